"""FSH follows trainFSH.m and testFSH.m (written out here with samples as columns, as
the files have them) and lands near their Octave run on uci-mfeat."""

from __future__ import annotations

import numpy as np
import pytest

from cmhbench.data import PairedSet
from cmhbench.errors import CmhbenchError
from cmhbench.methods._shallow import normalised_rows
from cmhbench.methods.fsh import FSH, nearest


def views(n=30, dx=6, dy=4):
    rng = np.random.default_rng(2)
    return rng.standard_normal((n, dx)).astype(np.float32), rng.standard_normal((n, dy))


def distances(a, b):
    return np.sqrt(np.maximum(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1), 0))


@pytest.mark.parametrize("code_update", ["sign", "solve"])
def test_two_iterations_are_trainFSH_m_with_its_double_loop(code_update):
    """'sign': B = sign(D1), trainFSH.m at de7f82e; 'solve': B = sign(D2\\D1), its
    first upload (f58890c)."""
    x_raw, y_raw = views()
    bits, k, m, lam = 5, 3, 8, 2.0  # a small lambda: with 300 the two updates agree here
    method = FSH(
        bits, anchor_count=m, neighbours=k, iterations=2, quantisation_weight=lam,
        code_update=code_update,
    )  # fmt: skip
    method.fit(PairedSet(x_raw, y_raw), seed=4)
    xs, ys = normalised_rows(x_raw), normalised_rows(y_raw)
    X, Y = (xs - xs.mean(0)).T, (ys - ys.mean(0)).T  # d x N, as testFSH.m passes them
    start = np.random.default_rng(4)  # the draws FSH.fit makes, in its order
    rp = start.permutation(X.shape[1])[:m]
    ax, ay = X[:, rp], Y[:, rp]
    indx = np.argsort(distances(X.T, ax.T), 1, kind="stable")[:, :k]
    indy = np.argsort(distances(Y.T, ay.T), 1, kind="stable")[:, :k]
    indax = np.argsort(distances(ax.T, ax.T), 1, kind="stable")[:, :k]
    inday = np.argsort(distances(ay.T, ay.T), 1, kind="stable")[:, :k]
    d3, d4 = np.exp(-distances(ax.T, ax.T) / 2), np.exp(-distances(ay.T, ay.T) / 2)
    a1, a2 = np.zeros((X.shape[1], m)), np.zeros((X.shape[1], m))
    for m1 in range(X.shape[1]):
        for m2 in range(m):
            a1[m1, m2] = d3[np.ix_(indx[m1], inday[m2])].sum() / k**2
            a2[m1, m2] = d4[np.ix_(indy[m1], indax[m2])].sum() / k**2
    wx, wy = start.standard_normal((X.shape[0], bits)), start.standard_normal((Y.shape[0], bits))
    bs, yeta = wy.T @ ay, 0.5
    for _ in range(2):
        d = yeta * a1 + (1 - yeta) * a2
        d1 = bs @ d.T + 2 * lam * (wx.T @ X + wy.T @ Y)
        if code_update == "solve":
            d1 = np.linalg.solve(bs @ bs.T + 2 * lam * np.eye(bits), d1)
        b = np.sign(d1)
        bs = np.sign(b @ d)
        wx = np.linalg.solve(X @ X.T + 1e-6 * np.eye(X.shape[0]), X @ b.T)
        wy = np.linalg.solve(Y @ Y.T + 1e-6 * np.eye(Y.shape[0]), Y @ b.T)
        p1, p2 = np.trace(d3 - bs.T @ b @ a1), np.trace(d4 - bs.T @ b @ a2)
        yeta = (0.5 * p1) ** 2 / (0.5 * p1 + 0.5 * p2) ** 2
    # atol: the n x d products run in float32 (module docstring)
    np.testing.assert_allclose(method.projections["image"], wx, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(method.projections["text"], wy, rtol=1e-5, atol=1e-6)
    assert np.abs(wx).max() > 0.1  # codes that did not collapse to one value
    assert np.isclose(method.view_weights[-1], yeta)


def test_nearest_marks_k_anchors_per_row_ties_to_the_lower_index():
    points = np.array([[0.0], [1.0]])
    anchors = np.array([[1.0], [-1.0], [1.0], [0.0]])
    marks = nearest(points, anchors, 2)
    assert marks.tolist() == [[1, 0, 0, 1], [1, 0, 1, 0]]


def test_encoding_normalises_rows_and_centres_on_the_training_mean():
    x, y = views()
    method = FSH(4, anchor_count=8, neighbours=3, iterations=3)
    method.fit(PairedSet(x, y), seed=0)
    scaled = method.encode(5 * x, "image")  # row scale does not matter
    assert np.array_equal(scaled, method.encode(x, "image"))


def test_bad_sizes_are_one_clear_error():
    x, y = views(n=10)
    with pytest.raises(CmhbenchError, match="anchor_count <= training items"):
        FSH(4).fit(PairedSet(x, y))  # 50 anchors, 10 items
    with pytest.raises(CmhbenchError, match="1 <= neighbours"):
        FSH(4, anchor_count=5, neighbours=0).fit(PairedSet(x, y))


def test_kmeans_anchors_train():
    x, y = views(n=60)
    method = FSH(4, anchor_count=6, neighbours=2, iterations=3, anchors="kmeans")
    method.fit(PairedSet(x, y), seed=0)
    assert method.encode(x, "image").shape == (60, 4)
