"""CVH: Cross-View Hashing, for two views with co-occurrence pairs only.

S. Kumar, R. Udupa, "Learning Hash Functions for Cross-View Similarity Search",
IJCAI 2011. No official code.

CVH learns one linear hash function per view, y^(k)(x) = sign(A^(k)T x), by
minimising the distance between the codes of similar objects within each view
plus the disagreement between the codes of the same object across views, relaxed
by dropping sign and solved as a generalised eigenproblem. Here the only known
similarity is the pairing itself (W = I, the unsupervised setting of UCCH's
comparison), so the within-view term vanishes (L = D - W = 0) and what remains,
for two views under the decorrelation constraint, is canonical correlation
analysis. On training features centred with their means mu_x, mu_y:

    C_xx = X^T X / n + eps I,   C_yy = Y^T Y / n + eps I,   C_xy = X^T Y / n,
    C_yx C_xx^-1 C_xy b = rho^2 C_yy b     (symmetric-definite; scipy.linalg.eigh),
    a = C_xx^-1 C_xy b,

solved on the view with fewer dimensions (the roles swap when d_x < d_y), keeping
the L directions with the largest rho. Codes: sign(A^T (x - mu_x)) for images and
sign(B^T (y - mu_y)) for texts. Because later canonical directions carry less and
less shared signal, mAP typically falls as L grows (UCCH's Table 1, MIRFlickr
image->text: 0.620 at 16 bits, 0.583 at 128).

Notes and deviations:

* CCA gives at most min(d_x, d_y) directions; asking for more bits is an error
  (e.g. 128 bits on a 76-d view), not padded with made-up bits.
* eps is added to the covariances normalised by n; the BMC-SDNU MATLAB toolbox adds
  1e-4 to the unnormalised X^T X. The same toolbox builds C_xy C_yy C_yx, without
  the inverse of C_yy, which is not CCA; this implementation uses the inverse.
* Features are not L2-normalised first (the toolbox's data come pre-normalised);
  normalise them in the data if wanted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from cmhbench.data import PairedSet
from cmhbench.errors import CmhbenchError
from cmhbench.method import MethodInfo, hyperparameter
from cmhbench.methods._shallow import LinearHash
from cmhbench.registry import register_method


@dataclass(frozen=True)
class CVHParams:
    """CVH's one hyper-parameter."""

    eps: float = hyperparameter(
        1e-4, "ridge on the covariances; the BMC-SDNU toolbox's 1e-4 (demo_CVH.m)"
    )


def canonical_directions(
    x: np.ndarray, y: np.ndarray, n_directions: int, eps: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The top canonical directions of centred ``x`` (n, d_x) and ``y`` (n, d_y).

    Returns:
        (A (d_x, k), B (d_y, k), rho (k,)), strongest correlation first.
    """
    n = x.shape[0]
    if y.shape[1] > x.shape[1]:
        b, a, rho = canonical_directions(y, x, n_directions, eps)
        return a, b, rho
    c_xx = x.T @ x / n + eps * np.eye(x.shape[1])
    c_yy = y.T @ y / n + eps * np.eye(y.shape[1])
    c_xy = x.T @ y / n
    c_xx_inv_c_xy = scipy.linalg.solve(c_xx, c_xy, assume_a="pos")
    left = c_xy.T @ c_xx_inv_c_xy
    left = (left + left.T) / 2  # exact symmetry for eigh
    k = y.shape[1]
    values, vectors = scipy.linalg.eigh(left, c_yy, subset_by_index=[k - n_directions, k - 1])
    order = np.argsort(values)[::-1]
    b = vectors[:, order]
    a = c_xx_inv_c_xy @ b
    return a, b, np.sqrt(np.clip(values[order], 0.0, None))


@register_method("cvh")
class CVH(LinearHash):
    """Cross-View Hashing with W = I: CCA directions, codes by sign."""

    info = MethodInfo(
        title="Learning Hash Functions for Cross-View Similarity Search",
        authors="S. Kumar, R. Udupa",
        venue="IJCAI 2011",
        code="",
        supervised=False,
        short_name="CVH",
    )
    Params = CVHParams

    def fit(
        self, data: PairedSet, *, device: str = "cpu", seed: int = 0, progress: bool = False
    ) -> None:
        limit = min(data.image.shape[1], data.text.shape[1], len(data) - 1)
        if self.bits > limit:
            raise CmhbenchError(
                f"cvh learns at most min(d_x, d_y, n - 1) = {limit} directions on this data; "
                f"{self.bits} bits were asked for"
            )
        x = data.image.astype(np.float64)
        y = data.text.astype(np.float64)
        self.means = {"image": x.mean(0), "text": y.mean(0)}
        a, b, self.correlations = canonical_directions(
            x - self.means["image"], y - self.means["text"], self.bits, self.params.eps
        )
        self.projections = {"image": a, "text": b}
