"""FSH: Fusion Similarity Hashing (unsupervised, shallow).

H. Liu, R. Ji, Y. Wu, F. Huang, B. Zhang, "Cross-Modality Binary Code Learning via
Fusion Similarity Hashing", CVPR 2017, pp. 6345-6353. Code: ``trainFSH.m`` and
``testFSH.m`` in Lyn-L/FSH at de7f82e, the first author's re-implementation (the
original could not be released); this module follows that code.

Pre-processing (``testFSH.m``): every row l2-normalised, then centred on the training
mean; queries the same way with the training mean.

Anchor graphs (``trainFSH.m``): m paired anchors, m random training pairs (``opt.km =
1``, the demo's choice) or k-means centres of [x, y] after 10 iterations
(``anchors="kmeans"``). With Euclidean (not squared) distances,

    K_x(a, b) = exp(-||a_x - b_x|| / 2),   K_y likewise on the text anchors,

M_x (n x m) marks each item's k nearest image anchors, N_y (m x m) each anchor's k
nearest text anchors (itself included), M_y and N_x the other way round, and

    A_1 = M_x K_x N_y^T / k^2,   A_2 = M_y K_y N_x^T / k^2

(the code's double loop over items and anchors, as matrix products): an item's image
neighbourhood compared with an anchor's text neighbourhood, and the reverse.

Alternating updates, 100 iterations, eta = 0.5 first, from W_x, W_y ~ N(0, 1) and real
anchor codes C = W_y^T (anchor texts) (codes here are L x n, as in the code):

1. G = eta A_1 + (1 - eta) A_2 (the fused similarity, n x m);
2. B = sign(D_1), D_1 = C G^T + 2 lambda (W_x^T X + W_y^T Y) (``trainFSH.m`` at
   de7f82e). ``code_update="solve"`` gives the step of the code's first upload
   (f58890c), which the author commented out in d4cd543:
   B = sign((C C^T + 2 lambda I)^-1 D_1). On uci-mfeat (seeds 0-2, image->text /
   text->image) it scores 0.681 / 0.694 at 128 bits against 0.721 / 0.726 with the
   sign and 0.714 / 0.724 for the authors' code under Octave (0.681 / 0.698 against
   0.696 / 0.720 and 0.694 / 0.717 at 64 bits; within 0.01 at 16 and 32);
3. C = sign(B G);
4. W_m = (M M^T)^-1 M B^T for each view (least squares);
5. P_1 = tr(K_x - C^T B A_1), P_2 = tr(K_y - C^T B A_2) and
   eta = (r P_1)^(1/(1-r)) / (r P_1 + r P_2)^(1/(1-r)), the code's self-weighting.

Codes: sign(x W_x) for images, sign(y W_y) for texts (``testFSH.m``).

Defaults (``testFSH.m``): 50 anchors, k = 10, 100 iterations, lambda = 300, r = 0.5,
random anchors, random start. The paper's values could not be read.

Deviations and notes:

- Step 4 adds ``ridge`` (1e-6, the ridge ``trainFSH.m`` puts on its CCA start's
  covariances) to M M^T, which is singular when a view has a constant column or at
  least as many dimensions as training items; MATLAB's ``\\`` would warn and return
  an ill-defined solve.
- sign(0) is +1 (MATLAB's is 0; it does not arise with real inputs).
- The two n x d products of each iteration (X^T B^T in step 4 and X W in step 2) run
  in float32, the features' own precision; M^T M and the solves stay in float64 (codes
  of +-1 are exact in float32). At field scale (``synthetic:scale=mirflickr25k``, 128
  bits, 2 CPU cores) the fit takes 82 s instead of 120 s.
- The code's optional CCA start (``opt.cca = 1``) is not offered; its ``k == 0``
  branch never builds A_1, A_2 and fails, so ``neighbours`` must be at least 1.
- Step 5's eta is the code's formula, which leaves [0, 1] when P_1 and P_2 differ in
  sign (with r = 0.5 the exponent is 2 and eta stays real); an eta that is not a
  real number (another r with P_1 + P_2 < 0) is a clear error.
- K uses distances with sigma = 1 fixed, which assumes l2-normalised rows (done
  above). ``view_weights`` keeps eta after each iteration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.cluster.vq
import scipy.linalg
import scipy.spatial.distance

from cmhbench.data import Modality, PairedSet
from cmhbench.errors import CmhbenchError
from cmhbench.method import MethodInfo, hyperparameter
from cmhbench.methods._shallow import LinearHash, normalised_rows, signs
from cmhbench.registry import register_method

DEMO = "Lyn-L/FSH testFSH.m"


@dataclass(frozen=True)
class FSHParams:
    """FSH's hyper-parameters (see the module docstring for sources)."""

    anchor_count: int = hyperparameter(50, f"{DEMO}: opt.Nsamp")
    neighbours: int = hyperparameter(10, f"{DEMO}: opt.k")
    iterations: int = hyperparameter(100, f"{DEMO}: opt.iter")
    quantisation_weight: float = hyperparameter(300.0, f"{DEMO}: opt.lambda")
    weight_exponent: float = hyperparameter(0.5, f"{DEMO}: opt.lam (r)")
    anchors: Literal["random", "kmeans"] = hyperparameter("random", f"{DEMO}: opt.km = 1")
    ridge: float = hyperparameter(1e-6, "trainFSH.m's ridge on its CCA covariances")
    code_update: Literal["sign", "solve"] = hyperparameter(
        "sign", "trainFSH.m at de7f82e: B = sign(D1); 'solve': sign(D2\\D1) of f58890c"
    )


def nearest(points: np.ndarray, anchors: np.ndarray, k: int) -> np.ndarray:
    """0/1 matrix (len(points) x len(anchors)) marking each point's k nearest anchors
    by Euclidean distance, ties to the lower index (MATLAB's stable sort)."""
    distances = scipy.spatial.distance.cdist(points, anchors)
    order = np.argsort(distances, axis=1, kind="stable")[:, :k]
    marks = np.zeros(distances.shape)
    np.put_along_axis(marks, order, 1.0, axis=1)
    return marks


class _Regression:
    """The least-squares step W = (M^T M + ridge I)^-1 M^T B^T for one view (rows are
    items here), with M^T M formed in float64 and factorised once; the two n x d
    products of each iteration, M^T B^T and M W, run in float32 (module docstring)."""

    def __init__(self, features: np.ndarray, ridge: float):
        self.features = features.astype(np.float32)
        gram = features.T @ features + ridge * np.eye(features.shape[1])
        self.factor = scipy.linalg.cho_factor(gram)

    def solve(self, codes: np.ndarray) -> np.ndarray:
        """W from codes B (L x n) of +-1."""
        cross = self.features.T @ codes.T.astype(np.float32)
        return scipy.linalg.cho_solve(self.factor, cross.astype(np.float64))

    def project(self, weights: np.ndarray) -> np.ndarray:
        """M W (n x L), in float64."""
        return (self.features @ weights.astype(np.float32)).astype(np.float64)


@register_method("fsh")
class FSH(LinearHash):
    """Codes that agree with a fused anchor graph, linear hash functions."""

    info = MethodInfo(
        title="Cross-Modality Binary Code Learning via Fusion Similarity Hashing",
        authors="H. Liu, R. Ji, Y. Wu, F. Huang, B. Zhang",
        venue="CVPR 2017",
        code="https://github.com/Lyn-L/FSH (the first author's re-implementation)",
        supervised=False,
        short_name="FSH",
        version=3,  # 3: B = sign(D1) as at de7f82e (was the solve of f58890c)
    )
    Params = FSHParams

    def fit(
        self, data: PairedSet, *, device: str = "cpu", seed: int = 0, progress: bool = False
    ) -> None:
        p, n = self.params, len(data)
        if not 1 <= p.neighbours <= p.anchor_count <= n:
            raise CmhbenchError(
                f"fsh needs 1 <= neighbours <= anchor_count <= training items; got "
                f"{p.neighbours}, {p.anchor_count}, {n}"
            )
        views = [normalised_rows(data.image), normalised_rows(data.text)]
        self.means = {"image": views[0].mean(0), "text": views[1].mean(0)}
        x, y = views[0] - self.means["image"], views[1] - self.means["text"]
        rng = np.random.default_rng(seed)
        anchor_x, anchor_y = self._anchors(x, y, rng)
        k = p.neighbours
        kernel_x = np.exp(-scipy.spatial.distance.cdist(anchor_x, anchor_x) / 2)
        kernel_y = np.exp(-scipy.spatial.distance.cdist(anchor_y, anchor_y) / 2)
        graph_1 = nearest(x, anchor_x, k) @ kernel_x @ nearest(anchor_y, anchor_y, k).T / k**2
        graph_2 = nearest(y, anchor_y, k) @ kernel_y @ nearest(anchor_x, anchor_x, k).T / k**2
        w_x = rng.standard_normal((x.shape[1], self.bits))
        w_y = rng.standard_normal((y.shape[1], self.bits))
        anchor_codes = w_y.T @ anchor_y.T  # real-valued at the start, as in the code
        regressions = [_Regression(x, p.ridge), _Regression(y, p.ridge)]
        del views, x, y  # the regressions keep float32 copies
        weight_2 = 2 * p.quantisation_weight
        exponent = 1 / (1 - p.weight_exponent)
        eta = 0.5
        self.view_weights: list[float] = []  # eta after each iteration
        for _ in range(p.iterations):
            fused = eta * graph_1 + (1 - eta) * graph_2
            projected = regressions[0].project(w_x) + regressions[1].project(w_y)
            right = anchor_codes @ fused.T + weight_2 * projected.T
            if p.code_update == "solve":
                left = anchor_codes @ anchor_codes.T + weight_2 * np.eye(self.bits)
                right = scipy.linalg.solve(left, right, assume_a="pos")
            codes = signs(right)
            anchor_codes = signs(codes @ fused)
            w_x, w_y = (regression.solve(codes) for regression in regressions)
            agreement = anchor_codes.T @ (codes @ np.stack([graph_1, graph_2]))
            p_1 = np.trace(kernel_x) - np.trace(agreement[0])
            p_2 = np.trace(kernel_y) - np.trace(agreement[1])
            r = p.weight_exponent
            with np.errstate(invalid="ignore"):
                eta = float(np.power(r * p_1, exponent) / np.power(r * (p_1 + p_2), exponent))
            if not np.isfinite(eta):
                raise CmhbenchError(
                    f"fsh: the view weight eta is not a real number (P_1 = {p_1:.4g}, "
                    f"P_2 = {p_2:.4g}, r = {r}); choose weight_exponent with 1/(1-r) an integer"
                )
            self.view_weights.append(eta)
        self.projections = {"image": w_x, "text": w_y}

    def _anchors(
        self, x: np.ndarray, y: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """m random training pairs, or k-means centres of [x, y] (10 iterations)."""
        m = self.params.anchor_count
        if self.params.anchors == "random":
            chosen = rng.permutation(len(x))[:m]
            return x[chosen], y[chosen]
        centres, _ = scipy.cluster.vq.kmeans2(
            np.hstack([x, y]), m, iter=10, minit="points", seed=rng
        )
        return centres[:, : x.shape[1]], centres[:, x.shape[1] :]

    def features(self, raw: np.ndarray, modality: Modality) -> np.ndarray:
        """``testFSH.m``: rows l2-normalised, then centred on the training mean."""
        return normalised_rows(raw) - self.means[modality]
