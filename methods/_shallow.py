"""What the shallow methods share: MATLAB-derived helpers and linear hash functions."""

from __future__ import annotations

import numpy as np
import scipy.linalg

from cmhbench.data import Modality, PairedSet
from cmhbench.errors import CmhbenchError
from cmhbench.method import Method, as_sign_codes


def normalised_rows(features: np.ndarray) -> np.ndarray:
    """Rows divided by their l2 norms, in float64; all-zero rows stay zero (the MATLAB
    files divide by the norm and would give NaN there)."""
    rows = features.astype(np.float64)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms == 0, 1.0, norms)


def signs(values: np.ndarray) -> np.ndarray:
    """+1/-1 as float64, sign(0) = +1."""
    return np.where(values >= 0, 1.0, -1.0)


def ridge(inputs: np.ndarray, targets: np.ndarray, penalty: float) -> np.ndarray:
    """(A^T A + penalty I)^-1 A^T T, by the smaller of its two equal forms (the dual
    A^T (A A^T + penalty I)^-1 T when A has more columns than rows, as the toolboxes'
    ``RRC.m``), by Cholesky as MATLAB's backslash solves a symmetric positive-definite
    system, else by the symmetric-indefinite factorisation it falls back to."""
    n, d = inputs.shape
    if d <= n:
        system, right = inputs.T @ inputs + penalty * np.eye(d), inputs.T @ targets
    else:
        system, right = inputs @ inputs.T + penalty * np.eye(n), targets
    try:
        solution = scipy.linalg.solve(system, right, assume_a="pos")
    except np.linalg.LinAlgError:
        solution = scipy.linalg.solve(system, right, assume_a="sym")
    return solution if d <= n else inputs.T @ solution


def squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """||a_i - b_j||^2 as the MATLAB codes form them (``sqdist.m``, ``kernelMatrix.m``):
    squared norms minus twice the products, so entries can dip just below 0."""
    return (a**2).sum(1)[:, None] + (b**2).sum(1)[None, :] - 2 * a @ b.T


def training_labels(data: PairedSet, method: str) -> np.ndarray:
    """The training pairs' multi-hot labels as float64, or one clear error when a
    supervised method is given none."""
    if data.labels is None:
        raise CmhbenchError(f"{method} is supervised: fit() needs the training labels")
    return data.labels.astype(np.float64)


class LinearHash(Method):
    """A method whose hash functions are sign(features(x) P_modality): ``fit`` sets
    ``means`` and ``projections`` (one per modality); ``features`` centres on the
    training mean unless a method prepares its inputs otherwise."""

    means: dict[str, np.ndarray]
    projections: dict[str, np.ndarray]

    def features(self, raw: np.ndarray, modality: Modality) -> np.ndarray:
        """The inputs of the hash function: ``raw`` centred on the training mean."""
        return raw.astype(np.float64) - self.means[modality]

    def encode(self, features: np.ndarray, modality: Modality) -> np.ndarray:
        if not hasattr(self, "projections"):
            raise CmhbenchError(f"{self.name}: encode() called before fit()")
        return as_sign_codes(self.features(features, modality) @ self.projections[modality])
