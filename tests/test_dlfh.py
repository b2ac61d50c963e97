"""DLFH follows DLFH.m and DLFH_algo.m (written out here as the files have them) and
lands near their Octave run on uci-mfeat."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
import toy_views
from scipy.special import expit

from cmhbench.data import PairedSet
from cmhbench.errors import CmhbenchError
from cmhbench.methods.dlfh import DLFH, update_columns

LAMBDA = 8.0


labelled_views = partial(
    toy_views.labelled_views, n=40, dx=7, dy=5, classes=4, seed=3, extra_label=0, signal=1.0
)


def update_column_u(u, v, s, sc, bit, lam, m):
    """``updateColumnU`` of DLFH.m: Theta recomputed for every column."""
    u = u.copy()
    for k in range(bit):
        ax = expit(lam * u @ v[sc].T / bit)
        p = lam * ((s - ax) * v[sc, k][None, :]) @ np.ones(m) / bit
        p += m * lam**2 * u[:, k] / (4 * bit**2)
        u[:, k] = np.where(p < 0, -1.0, 1.0)
    return u


def test_a_sweep_is_updateColumnU_of_DLFH_m():
    rng = np.random.default_rng(0)
    n, bits, m = 30, 6, 5
    u, v = np.sign(rng.standard_normal((2, n, bits)))
    labels = rng.integers(0, 2, (n, 3))
    sample = rng.permutation(n)[:m]
    s = (labels @ labels[sample].T > 0).astype(np.float64)
    expected = update_column_u(u, v, s, sample, bits, LAMBDA, m)
    assert not np.array_equal(expected, u)  # the sweep moves some bits
    assert np.array_equal(update_columns(u, v[sample], s, LAMBDA), expected)


def test_fit_is_DLFH_m_then_the_ridge_regressions_of_DLFH_algo_m():
    data = labelled_views()
    bits, iterations = 4, 3
    method = DLFH(bits, iterations=iterations)
    method.fit(data, seed=2)
    n, labels = len(data), data.labels.astype(np.float64)
    draws = np.random.default_rng(2)  # the draws DLFH.fit makes, in its order
    u = np.where(draws.standard_normal((n, bits)) < 0, -1.0, 1.0)
    v = np.where(draws.standard_normal((n, bits)) < 0, -1.0, 1.0)
    for _ in range(iterations):
        sc = draws.permutation(n)[:bits]
        sx = (labels @ labels[sc].T > 0).astype(np.float64)
        u = update_column_u(u, v, sx, sc, bits, LAMBDA, bits)
        sy = (labels[sc] @ labels.T > 0).astype(np.float64)  # updateColumnV uses S'
        v = update_column_u(v, u, sy.T, sc, bits, LAMBDA, bits)
    assert np.array_equal(method.training_codes["image"], u)
    assert np.array_equal(method.training_codes["text"], v)
    x = data.image.astype(np.float64)  # not centred, as in the code
    wx = np.linalg.solve(x.T @ x + 1e-6 * np.eye(x.shape[1]), x.T @ u)
    assert np.allclose(method.projections["image"], wx)
    assert np.array_equal(method.encode(data.image, "image"), np.where(x @ wx >= 0, 1, -1))


def test_bad_input_is_one_clear_error():
    data = labelled_views(n=10)
    with pytest.raises(CmhbenchError, match="samples 16 columns of S but has 10"):
        DLFH(16).fit(data)
    with pytest.raises(CmhbenchError, match="supervised"):
        DLFH(4).fit(PairedSet(data.image, data.text))
