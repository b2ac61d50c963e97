"""LSSH: Latent Semantic Sparse Hashing (unsupervised, shallow).

J. Zhou, G. Ding, Y. Guo, "Latent Semantic Sparse Hashing for Cross-Modal Similarity
Search", SIGIR 2014, pp. 415-424. Code: the authors' ``solveLSSH.m`` and
``LSSHcoding.m`` (J. Zhou, Y. Guo, v1.0, Nov 2013) with ``demo_LSSH.m``, as
redistributed in BMC-SDNU/Cross-Modal-Hashing-Retrieval at 0196e31; they call SLEP
4.1's ``LeastR`` for sparse codes and H. Lee's ``l2ls_learn_basis_dual.m`` for bases
(both re-written in :mod:`cmhbench.methods._sparse`).

Pre-processing: both views centred on the training mean; images projected onto their
top-L principal directions (L = the code length) and texts kept whole; every item
l2-normalised. At most 10,000 training pairs, a random sample of them when there are
more.

Model (the code's symbols; paper's in brackets): image dictionary D (L x 512) [B],
sparse codes S (512 x n), latent semantics Y (L x n) [A], text basis U (d_y x L), and R
(L x 512) mapping sparse codes to the latent space. The code minimises (paper Eq. 6 in
its form)

    ||X - D S||^2 + rho sum|S| + lambda ||Y - R S||^2 + mu ||T - U Y||^2,
    every column of D, R, U of norm <= 1,

from D, R, U ~ N(0, 1) and S = LeastR(D, X), by 20 rounds of

1. Y = (U^T U + (lambda / mu) I)^-1 ((lambda / mu) R S + U^T T);
2. U = the bounded basis of T on Y;
3. S = LeastR([D; sqrt(lambda) R], [X; sqrt(lambda) Y]) column by column;
4. D = the bounded basis of X on S, R = the bounded basis of Y on S.

LeastR runs 30 accelerated-gradient steps from 0 with an l1 weight of rho times each
target's ||M^T z||_inf (``rFlag = 1``).

Codes (``LSSHcoding.m``'s query codes): an image x is sparse-coded on D (LeastR, the
same settings) and hashed as sign(R s); a text y as sign((U^T U + (lambda / mu) I)^-1
U^T y).

Defaults: mu = 0.05, rho = 0.5, lambda = 0.2 (``demo_LSSH.m``; the authors' LabelMe
script ``LSSH_LM.m`` uses 0.5, 0.2, 1), 512 atoms, 20 rounds, 30 LeastR steps, 10,000
pairs (``solveLSSH.m``).

Deviations:

- Retrieval items are hashed by their own modality's function, as every method in
  this suite is. ``LSSHcoding.m`` gives each database item one unified code from both
  of its modalities, sign((U^T U + (lambda/mu) I)^-1 ((lambda/mu) R s + U^T y)), and
  compares both query types with it; ``LSSH.unified_codes`` computes those codes,
  which the native protocol (``--protocol native``) scores.
- The bounded-basis dual is minimised with L-BFGS-B instead of ``fmincon``'s trust
  region (same convex problem, so the same minimiser up to the solvers' tolerances);
  atoms that no sparse code uses get zero columns, which the MATLAB solve reaches as
  their multipliers go to zero.
- Zero-norm items stay zero instead of dividing by zero; sign(0) is +1.
- ``training_history`` is the objective the code computes after each round, which
  leaves mu off the text term.
- The code's random streams (``randn('state', 1)``) are MATLAB's; here the seed
  draws the training sample, then U, D and R, in the code's order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import scipy.linalg

from cmhbench.data import Modality, PairedSet
from cmhbench.errors import CmhbenchError
from cmhbench.method import Method, MethodInfo, as_sign_codes, hyperparameter
from cmhbench.methods._shallow import normalised_rows
from cmhbench.methods._sparse import bounded_basis, lasso_fista
from cmhbench.registry import register_method

DEMO = "BMC-SDNU toolbox demo_LSSH.m"
SOLVER = "solveLSSH.m v1.0"


@dataclass(frozen=True)
class LSSHParams:
    """LSSH's hyper-parameters (see the module docstring for sources)."""

    mu: float = hyperparameter(0.05, f"{DEMO}: mu")
    rho: float = hyperparameter(0.5, f"{DEMO}: rho (sparsity, a ratio of lambda_max)")
    embedding_weight: float = hyperparameter(0.2, f"{DEMO}: lambda")
    atoms: int = hyperparameter(512, f"{SOLVER}: dim1")
    rounds: int = hyperparameter(20, f"{DEMO}: opts.maxOutIter")
    lasso_steps: int = hyperparameter(30, f"{SOLVER}: opts.maxIter of LeastR")
    max_train: int = hyperparameter(10_000, f"{SOLVER}: nSamples")


def principal_directions(centred: np.ndarray, count: int) -> np.ndarray:
    """The top ``count`` eigenvectors of the covariance of ``centred`` rows (d x count)."""
    covariance = centred.T @ centred / max(len(centred) - 1, 1)
    d = len(covariance)
    _, vectors = scipy.linalg.eigh(covariance, subset_by_index=[d - count, d - 1])
    return vectors[:, ::-1]


@register_method("lssh")
class LSSH(Method):
    """Sparse codes of images and a factorised text space, joined in a latent space."""

    info = MethodInfo(
        title="Latent Semantic Sparse Hashing for Cross-Modal Similarity Search",
        authors="J. Zhou, G. Ding, Y. Guo",
        venue="SIGIR 2014",
        code="https://github.com/BMC-SDNU/Cross-Modal-Hashing-Retrieval (LSSH, authors' files)",
        supervised=False,
        short_name="LSSH",
        native="unified-database",
        version=2,  # 2: LeastR's work arrays one target per row, in reused buffers (rounding)
    )
    Params = LSSHParams
    quick_settings: ClassVar[dict[str, Any]] = {"rounds": 4}

    def fit(
        self, data: PairedSet, *, device: str = "cpu", seed: int = 0, progress: bool = False
    ) -> None:
        p, bits = self.params, self.bits
        if bits > data.image.shape[1]:
            raise CmhbenchError(
                f"lssh projects images onto {bits} principal directions, but they have "
                f"only {data.image.shape[1]} dimensions"
            )
        self.means = {
            "image": data.image.mean(0, dtype=np.float64),
            "text": data.text.mean(0, dtype=np.float64),
        }
        rng = np.random.default_rng(seed)
        rows = np.arange(len(data))
        if len(data) > p.max_train:
            rows = rng.permutation(len(data))[: p.max_train]
        images = data.image[rows]
        self.directions = principal_directions(images - self.means["image"], bits)
        x = self._image_features(images)  # L x n
        t = self._text_features(data.text[rows])  # d_y x n
        text_basis = rng.standard_normal((t.shape[0], bits))
        dictionary = rng.standard_normal((bits, p.atoms))
        mapping = rng.standard_normal((bits, p.atoms))
        sparse = lasso_fista(dictionary, x, p.rho, p.lasso_steps)
        ratio, root = p.embedding_weight / p.mu, np.sqrt(p.embedding_weight)
        self.history: list[float] = []
        for _ in range(p.rounds):
            latent = scipy.linalg.solve(
                text_basis.T @ text_basis + ratio * np.eye(bits),
                ratio * mapping @ sparse + text_basis.T @ t,
                assume_a="pos",
            )
            text_basis = bounded_basis(t, latent)
            sparse = lasso_fista(
                np.vstack([dictionary, root * mapping]),
                np.vstack([x, root * latent]),
                p.rho,
                p.lasso_steps,
            )
            dictionary, mapping = bounded_basis(x, sparse), bounded_basis(latent, sparse)
            self.history.append(
                float(
                    np.sum((x - dictionary @ sparse) ** 2)
                    + p.rho * np.abs(sparse).sum()
                    + p.embedding_weight * np.sum((latent - mapping @ sparse) ** 2)
                    + np.sum((t - text_basis @ latent) ** 2)
                )
            )
        self.dictionary, self.mapping, self.text_basis = dictionary, mapping, text_basis
        self.ratio = ratio
        self.latent_solve = np.linalg.inv(text_basis.T @ text_basis + ratio * np.eye(bits))

    def _image_features(self, images: np.ndarray) -> np.ndarray:
        """Centred images on the principal directions, l2-normalised, as columns."""
        centred = images.astype(np.float64) - self.means["image"]
        return normalised_rows(centred @ self.directions).T

    def _sparse_codes(self, images: np.ndarray) -> np.ndarray:
        """LeastR codes (atoms x items) of images on the learnt dictionary."""
        x = self._image_features(images)
        return lasso_fista(self.dictionary, x, self.params.rho, self.params.lasso_steps)

    def _text_features(self, texts: np.ndarray) -> np.ndarray:
        """Centred, l2-normalised texts as columns."""
        return normalised_rows(texts.astype(np.float64) - self.means["text"]).T

    def _check_fitted(self, what: str) -> None:
        if not hasattr(self, "latent_solve"):
            raise CmhbenchError(f"lssh: {what}() called before fit()")

    def encode(self, features: np.ndarray, modality: Modality) -> np.ndarray:
        self._check_fitted("encode")
        if modality == "text":
            latent = self.latent_solve @ self.text_basis.T @ self._text_features(features)
            return as_sign_codes(latent.T)
        return as_sign_codes((self.mapping @ self._sparse_codes(features)).T)

    def unified_codes(self, images: np.ndarray, texts: np.ndarray) -> np.ndarray:
        """``LSSHcoding.m``'s database codes, one per image-text pair:
        sign((U^T U + (lambda/mu) I)^-1 ((lambda/mu) R s + U^T y)), for comparisons with
        the authors' protocol (the suite hashes each modality on its own)."""
        self._check_fitted("unified_codes")
        image_part = self.ratio * self.mapping @ self._sparse_codes(images)
        text_part = self.text_basis.T @ self._text_features(texts)
        return as_sign_codes((self.latent_solve @ (image_part + text_part)).T)
