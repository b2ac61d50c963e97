"""DCH: Discriminant Cross-modal Hashing (supervised, shallow).

X. Xu, F. Shen, Y. Yang, H. T. Shen, X. Li, "Learning Discriminative Binary Codes for
Large-scale Cross-modal Retrieval", IEEE TIP 26(5), 2017, pp. 2494-2507. There is no
official repository; this module follows the copy the field runs, ``DCH/code`` of
BMC-SDNU/Cross-Modal-Hashing-Retrieval at 0196e31 (``demo_DCH.m``, ``DCH_discrete.m``,
``RRC.m``; its ``runCMDH_icmr.m`` names the first author, so it probably derives from
the authors' code). Only the paper's abstract could be read: its equations, defaults
and the form of its hash functions (the toolbox computes RBF anchors and a width and
then uses the linear features) could not be checked.

Unified binary codes B in {-1, +1}^{n x L} of the n training pairs are the features of
a linear classifier of the labels Y (n x c, multi-hot), and each modality's hash
function regresses B on that modality's features (``DCH_discrete.m`` with the demo's
settings, squared loss):

1. B starts as the signs of a standard normal draw;
2. W = (B^T B + lambda_W I)^-1 B^T Y (the classifier; ``RRC(B, Y, 1)``);
3. the B step:
   * ``codes="relaxed"`` (default; what the toolbox runs): B = sign(Y W^T (W W^T +
     lambda_P I)^-1), the least-squares codes of the classifier, then their signs;
   * ``codes="discrete"``: the discrete cyclic coordinate descent the file keeps
     commented out, min ||Y - B W||^2 over B in {-1, +1}: from B = 0, up to 10 sweeps
     of b_k = sign(q_k - B_{-k} W_{-k} w_k^T) with Q = Y W^T, stopping when a sweep
     changes B by less than 1e-6 of its norm;
4. W again (step 2); repeat 3-4 for ``iterations`` (5);
5. P_m = (M_m^T M_m + lambda_P I)^-1 M_m^T B for each modality's centred features
   (``RRC(X, B, 1e-2)``; the file switches to the n x n form when n > d, the same
   solution), codes sign((x - mean) P_m) for queries and database alike.

With the demo's nu = mu = 0 the codes depend on the labels only and the hash functions
are fitted to them afterwards (the coupling terms of the SDH-style objective are off).

Deviations: sign(0) = +1 (MATLAB's sign gives 0: in the discrete B step a zero stays
for an item without labels, and a query whose projection is exactly 0 gets bit 0);
numpy's generator draws the start, so codes differ from a MATLAB run.

On ``uci-mfeat`` (mean over seeds 0-2 and 16-128 bits) the default scores 0.707 /
0.742 against 0.714 / 0.749 for the toolbox under Octave (5-seed means,
``../shared/data/peers``); ``codes="discrete"`` scores 0.723 / 0.751. Data note: on
``synthetic`` (512 training items, 512-d images) the least-squares hash functions
interpolate the training codes (0.30 image->text at 32 bits, random codes 0.25); with
``synthetic:train_size=2000``, 0.74.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.linalg

from cmhbench.data import PairedSet
from cmhbench.method import MethodInfo, hyperparameter
from cmhbench.methods._shallow import LinearHash, ridge, signs, training_labels
from cmhbench.registry import register_method

DEMO = "BMC-SDNU toolbox demo_DCH.m"
DISCRETE_SWEEPS = 10  # DCH_discrete.m's commented-out loop: for time = 1:10
DISCRETE_TOLERANCE = 1e-6  # ... norm(B - Z0, 'fro') < 1e-6 * norm(Z0, 'fro')


@dataclass(frozen=True)
class DCHParams:
    """DCH's hyper-parameters (the toolbox demo; the paper's could not be read)."""

    classifier_ridge: float = hyperparameter(1.0, f"{DEMO}: gmap.lambda")
    projection_ridge: float = hyperparameter(1e-2, f"{DEMO}: Fmap.lambda")
    iterations: int = hyperparameter(5, f"{DEMO}: maxItr")
    codes: Literal["relaxed", "discrete"] = hyperparameter(
        "relaxed", "DCH_discrete.m's active B step ('discrete': its commented-out loop)"
    )


def discrete_codes(labels: np.ndarray, classifier: np.ndarray) -> np.ndarray:
    """min ||Y - B W||^2 over B in {-1, +1}^{n x L} by cyclic coordinate descent from
    B = 0 (``DCH_discrete.m``'s commented-out L2 branch)."""
    target = labels @ classifier.T  # Q = Y W^T
    cross = classifier @ classifier.T  # W W^T
    codes = np.zeros_like(target)
    for _ in range(DISCRETE_SWEEPS):
        previous = codes.copy()
        for k in range(codes.shape[1]):
            others = codes @ cross[:, k] - codes[:, k] * cross[k, k]  # B_{-k} W_{-k} w_k^T
            codes[:, k] = signs(target[:, k] - others)
        if np.linalg.norm(codes - previous) < DISCRETE_TOLERANCE * np.linalg.norm(previous):
            break
    return codes


@register_method("dch")
class DCH(LinearHash):
    """Unified codes that linearly predict the labels, linear hash functions onto them."""

    info = MethodInfo(
        title="Learning Discriminative Binary Codes for Large-scale Cross-modal Retrieval",
        authors="X. Xu, F. Shen, Y. Yang, H. T. Shen, X. Li",
        venue="IEEE TIP 2017",
        code="https://github.com/BMC-SDNU/Cross-Modal-Hashing-Retrieval (DCH, toolbox copy)",
        supervised=True,
        short_name="DCH",
    )
    Params = DCHParams

    def fit(
        self, data: PairedSet, *, device: str = "cpu", seed: int = 0, progress: bool = False
    ) -> None:
        p = self.params
        labels = training_labels(data, self.name)
        codes = signs(np.random.default_rng(seed).standard_normal((len(data), self.bits)))
        classifier = ridge(codes, labels, p.classifier_ridge)
        for _ in range(p.iterations):
            if p.codes == "relaxed":
                gram = classifier @ classifier.T + p.projection_ridge * np.eye(self.bits)
                relaxed = scipy.linalg.solve(gram, classifier @ labels.T, assume_a="pos")
                codes = signs(relaxed.T)
            else:
                codes = discrete_codes(labels, classifier)
            classifier = ridge(codes, labels, p.classifier_ridge)
        self.training_codes = codes.astype(np.int8)  # the unified codes B
        self.means = {
            "image": data.image.mean(0, dtype=np.float64),
            "text": data.text.mean(0, dtype=np.float64),
        }
        self.projections = {
            modality: ridge(
                self.features(data.features(modality), modality), codes, p.projection_ridge
            )
            for modality in ("image", "text")
        }
