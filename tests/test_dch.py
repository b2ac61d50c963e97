"""DCH follows the toolbox's demo_DCH.m, DCH_discrete.m and RRC.m (written out here as
the files have them) and lands near their Octave run on uci-mfeat."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
import toy_views

from cmhbench.data import PairedSet
from cmhbench.errors import CmhbenchError
from cmhbench.methods._shallow import ridge
from cmhbench.methods.dch import DCH, discrete_codes

labelled_views = partial(
    toy_views.labelled_views, n=40, dx=7, dy=50, classes=4, seed=5, extra_label=1, signal=1.0
)


def rrc(a, y, lam):
    """``RRC.m``: the n x n form when a has more rows than columns."""
    if a.shape[0] > a.shape[1]:
        return a.T @ np.linalg.inv(a @ a.T + lam * np.eye(len(y))) @ y
    return np.linalg.solve(a.T @ a + lam * np.eye(a.shape[1]), a.T) @ y


def test_ridge_is_RRC_m_in_both_of_its_forms():
    rng = np.random.default_rng(0)
    for shape in ((30, 5), (5, 30)):
        a, y = rng.standard_normal(shape), rng.standard_normal((shape[0], 3))
        assert np.allclose(ridge(a, y, 0.01), rrc(a, y, 0.01))


def test_the_default_is_demo_DCH_m():
    data = labelled_views()  # the text view has more dimensions than items
    bits = 6
    method = DCH(bits)
    method.fit(data, seed=3)
    y = data.labels.astype(np.float64)
    b = np.where(np.random.default_rng(3).standard_normal((len(data), bits)) >= 0, 1.0, -1.0)
    wg = rrc(b, y, 1.0)
    for _ in range(5):
        b = np.linalg.solve(wg @ wg.T + 0.01 * np.eye(bits), wg @ y.T).T
        b = np.where(b >= 0, 1.0, -1.0)
        wg = rrc(b, y, 1.0)
    assert np.array_equal(method.training_codes, b)
    for modality in ("image", "text"):
        features = data.features(modality).astype(np.float64)
        centred = features - features.mean(0)
        assert np.allclose(method.projections[modality], rrc(centred, b, 0.01))


def test_the_discrete_step_is_the_commented_out_loop_of_DCH_discrete_m():
    rng = np.random.default_rng(1)
    y = (rng.random((25, 4)) < 0.4).astype(np.float64)
    wg = rng.standard_normal((5, 4))
    q, b = y @ wg.T, np.zeros((25, 5))
    for _ in range(10):
        z0 = b.copy()
        for k in range(5):
            zk, wk = np.delete(b, k, axis=1), np.delete(wg, k, axis=0)
            b[:, k] = np.where(q[:, k] - zk @ wk @ wg[k] >= 0, 1.0, -1.0)
        if np.linalg.norm(b - z0) < 1e-6 * np.linalg.norm(z0):
            break
    assert np.array_equal(discrete_codes(y, wg), b)


def test_without_labels_it_is_one_clear_error():
    data = labelled_views()
    with pytest.raises(CmhbenchError, match="supervised"):
        DCH(4).fit(PairedSet(data.image, data.text))
