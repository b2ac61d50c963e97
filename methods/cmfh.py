"""CMFH: Collective Matrix Factorization Hashing (unsupervised, shallow).

G. Ding, Y. Guo, J. Zhou, "Collective Matrix Factorization Hashing for Multimodal
Data", CVPR 2014; G. Ding, Y. Guo, J. Zhou, Y. Gao, IEEE TIP 25(11), 2016. Code: the
authors' ``solveCMFH.m`` v1.0 (Y. Guo, Oct 2013), and the copy most papers ran,
``CMFH/code/CMFH_learn.m`` v2.0 with ``demo_CMFH.m`` in BMC-SDNU/Cross-Modal-Hashing-
Retrieval at 0196e31.

With X (n x d_x) and T (n x d_y) the training features centred on their means, V
(n x L) the shared latent factor, U_x, U_y the bases and P_x, P_y the hash projections,
CMFH minimises (paper Eq. 5; ``solveCMFH.m``'s header)

    lambda ||X - V U_x^T||^2 + (1 - lambda) ||T - V U_y^T||^2
    + mu (||V - X P_x||^2 + ||V - T P_y||^2)
    + gamma (||U_x||^2 + ||U_y||^2 + ||P_x||^2 + ||P_y||^2 + ||V||^2)

by alternating the closed-form steps of ``solveCMFH.m`` from uniform [0, 1) starts of
V, P_x and P_y:

1. U_m = M_m^T V (V^T V + gamma I)^-1 for each view M_m;
2. V = [lambda X U_x + (1 - lambda) T U_y + mu (X P_x + T P_y)]
       [lambda U_x^T U_x + (1 - lambda) U_y^T U_y + (2 mu + gamma) I]^-1;
3. P_m = (M_m^T M_m + gamma I)^-1 M_m^T V (its matrix factorised once);

and stops when the objective, computed as the code does with unsquared norms, falls by
less than ``tolerance`` (0.01) from one iteration to the next. Codes:
sign((x - mean) P_x) for images and sign((y - mean) P_y) for texts (``CMFH_compress1.m``:
every item by its own modality's hash function).

``variant="toolbox"`` runs ``CMFH_learn.m`` v2.0 instead: views weighted alpha_m =
(lambda, 1 - lambda) in the V step, which takes mu alpha_m for the projection terms and
(mu + gamma) I; the projection step as MATLAB parses the file,
``W = mu * (mu*X'*X + gamma*I) \\ X'*Y`` = (mu (mu X^T X + gamma I))^-1 X^T V, which is
the intended projection divided by mu^2 (its codes keep their signs, but the next V
step then nearly ignores the projection terms); a fixed 25 iterations. The reference
numbers of this suite's Octave run (``../shared/data/peers``) come from that copy.

Defaults: lambda = 0.5, mu = 100, gamma = 0.01, as ``demo_CMFH.m`` sets them
(``solveCMFH.m`` takes them as arguments; the paper's values could not be read).

Deviations: the loop also stops after ``max_iterations`` (1,000), which
``solveCMFH.m`` does not bound (its objective is bounded below, so it ends, but its
stopping rule is absolute, so on other feature scales it can take long); sign(0) is
+1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.linalg

from cmhbench.data import Modality, PairedSet
from cmhbench.errors import CmhbenchError
from cmhbench.method import Method, MethodInfo, as_sign_codes, hyperparameter
from cmhbench.registry import register_method

TOOLBOX = "BMC-SDNU toolbox demo_CMFH.m"
AUTHOR = "solveCMFH.m v1.0"


@dataclass(frozen=True)
class CMFHParams:
    """CMFH's hyper-parameters (see the module docstring for sources)."""

    image_weight: float = hyperparameter(0.5, f"{TOOLBOX}: alphas = [0.5 0.5] (lambda)")
    mu: float = hyperparameter(100.0, f"{TOOLBOX}: mu")
    gamma: float = hyperparameter(0.01, f"{TOOLBOX}: gamma")
    tolerance: float = hyperparameter(0.01, f"{AUTHOR}: threshold")
    max_iterations: int = hyperparameter(1000, "this suite's bound on solveCMFH.m's loop")
    variant: Literal["author", "toolbox"] = hyperparameter("author", AUTHOR)


def _sym_solve(matrix: np.ndarray, right: np.ndarray) -> np.ndarray:
    """right @ matrix^-1 for a symmetric positive-definite ``matrix``."""
    return scipy.linalg.solve(matrix, right.T, assume_a="pos").T


class _View:
    """One centred training view M (n x d) with its weight in the factorisation and
    the P step's factorised matrix: M^T M + gamma I (``solveCMFH.m``), or
    mu (mu M^T M + gamma I) as MATLAB parses ``CMFH_learn.m``'s line."""

    def __init__(self, features: np.ndarray, p: CMFHParams, weight: float):
        self.features, self.weight = features, weight
        self.gram = features.T @ features
        self.squared_norm = float(np.sum(features * features))
        scale, ridge = (1.0, p.gamma) if p.variant == "author" else (p.mu**2, p.mu * p.gamma)
        self.factor = scipy.linalg.cho_factor(scale * self.gram + ridge * np.eye(len(self.gram)))

    def project(self, cross: np.ndarray) -> np.ndarray:
        """The P step from M^T V."""
        return scipy.linalg.cho_solve(self.factor, cross)


def _objective(
    views: list[_View],
    latent: np.ndarray,
    bases: list[np.ndarray],
    projections: list[np.ndarray],
    cross: list[np.ndarray],
    p: CMFHParams,
) -> float:
    """``solveCMFH.m``'s objective, whose terms are unsquared Frobenius norms, from
    traces: ||M - V U^T||^2 = ||M||^2 - 2 tr(U^T M^T V) + tr(U^T U V^T V) and
    ||V - M P||^2 = ||V||^2 - 2 tr(P^T M^T V) + tr(P^T M^T M P)."""
    vtv = latent.T @ latent
    v_norm = float(np.trace(vtv))
    value = 0.0
    for view, u, q, c in zip(views, bases, projections, cross, strict=True):
        factorisation = view.squared_norm - 2 * np.sum(u * c) + np.sum((u.T @ u) * vtv)
        projection = v_norm - 2 * np.sum(q * c) + np.sum(q * (view.gram @ q))
        value += view.weight * np.sqrt(max(factorisation, 0.0))
        value += p.mu * np.sqrt(max(projection, 0.0))
        value += p.gamma * (np.linalg.norm(u) + np.linalg.norm(q))
    return float(value + p.gamma * np.sqrt(v_norm))


@register_method("cmfh")
class CMFH(Method):
    """A latent factor shared by both views, linear hash functions onto it."""

    info = MethodInfo(
        title="Collective Matrix Factorization Hashing for Multimodal Data",
        authors="G. Ding, Y. Guo, J. Zhou",
        venue="CVPR 2014",
        code="https://github.com/BMC-SDNU/Cross-Modal-Hashing-Retrieval (CMFH, toolbox copy)",
        supervised=False,
        short_name="CMFH",
    )
    Params = CMFHParams

    def fit(
        self, data: PairedSet, *, device: str = "cpu", seed: int = 0, progress: bool = False
    ) -> None:
        p = self.params
        if not 0 < p.image_weight < 1:
            raise CmhbenchError(f"cmfh: image_weight must be in (0, 1), got {p.image_weight}")
        x, t = data.image.astype(np.float64), data.text.astype(np.float64)
        self.means = {"image": x.mean(0), "text": t.mean(0)}
        views = [
            _View(x - self.means["image"], p, p.image_weight),
            _View(t - self.means["text"], p, 1 - p.image_weight),
        ]
        rng = np.random.default_rng(seed)
        bits = self.bits
        latent = rng.random((x.shape[0], bits))
        projections = [rng.random((view.features.shape[1], bits)) for view in views]
        eye = np.eye(bits)
        cross = [view.features.T @ latent for view in views]  # M^T V, d x L
        self.history: list[float] = []
        previous = 99999999.0  # solveCMFH.m's lastF before the first iteration
        for _ in range(p.max_iterations if p.variant == "author" else 25):
            gram = latent.T @ latent + p.gamma * eye
            bases = [_sym_solve(gram, c) for c in cross]
            # The V step's right side, one product per view: M (w U + mu P) (author),
            # w M (U + mu P) (toolbox).
            if p.variant == "author":
                left = (2 * p.mu + p.gamma) * eye
                mixes = [
                    v.weight * u + p.mu * q
                    for v, u, q in zip(views, bases, projections, strict=True)
                ]
            else:
                left = (p.mu + p.gamma) * eye
                mixes = [
                    v.weight * (u + p.mu * q)
                    for v, u, q in zip(views, bases, projections, strict=True)
                ]
            left = left + sum(v.weight * u.T @ u for v, u in zip(views, bases, strict=True))
            latent = _sym_solve(
                left, sum(v.features @ m for v, m in zip(views, mixes, strict=True))
            )
            cross = [view.features.T @ latent for view in views]
            projections = [view.project(c) for view, c in zip(views, cross, strict=True)]
            objective = _objective(views, latent, bases, projections, cross, p)
            self.history.append(objective)
            if p.variant == "author" and previous - objective < p.tolerance:
                break
            previous = objective
        self.projections = {"image": projections[0], "text": projections[1]}

    def training_history(self) -> list[float]:
        return list(getattr(self, "history", []))

    def encode(self, features: np.ndarray, modality: Modality) -> np.ndarray:
        if not hasattr(self, "projections"):
            raise CmhbenchError("cmfh: encode() called before fit()")
        centred = features.astype(np.float64) - self.means[modality]
        return as_sign_codes(centred @ self.projections[modality])
