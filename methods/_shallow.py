"""Small helpers shared by the shallow methods' MATLAB-derived steps."""

from __future__ import annotations

import numpy as np


def normalised_rows(features: np.ndarray) -> np.ndarray:
    """Rows divided by their l2 norms, in float64; all-zero rows stay zero (the MATLAB
    files divide by the norm and would give NaN there)."""
    rows = features.astype(np.float64)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms == 0, 1.0, norms)


def signs(values: np.ndarray) -> np.ndarray:
    """+1/-1 as float64, sign(0) = +1."""
    return np.where(values >= 0, 1.0, -1.0)
