"""FOMH follows demo_FOMH.m and solveFOMH.m (written out here with samples as columns,
as the files have them) and lands near their Octave run on uci-mfeat."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
import toy_views

from cmhbench.data import PairedSet
from cmhbench.errors import CmhbenchError
from cmhbench.methods.fomh import FOMH

ALPHA, BETA, GAMMA, RHO = 1e-5, 0.1, 1e-3, 0.1


labelled_views = partial(
    toy_views.labelled_views, n=24, dx=6, dy=5, classes=3, seed=7, extra_label=2, signal=2.0
)


def phi(x, anchors, sigma):
    """demo_FOMH.m's features (rows of x), as columns."""
    sq = ((x[:, None, :] - anchors[None, :, :]) ** 2).sum(-1)
    return np.hstack([np.exp(-sq / (2 * sigma**2)), np.ones((len(x), 1))]).T


@pytest.mark.parametrize("order", ["given", "shuffled"])
def test_two_chunks_of_two_rounds_are_solveFOMH_m(order):
    """'given': the pairs streamed as the code streams its file; 'shuffled': the same,
    after a seeded permutation drawn last."""
    data = labelled_views()
    bits, batch, m, rounds = 4, 12, 8, 2
    method = FOMH(
        bits, anchors=m, chunk=batch, rounds=rounds, image_width=3.0, text_width=2.0,
        order=order,
    )  # fmt: skip
    method.fit(data, seed=1)
    rng = np.random.default_rng(1)  # the draws FOMH.fit makes, in its order
    sample = rng.choice(len(data), m, replace=False)
    x = [data.image.astype(np.float64), data.text.astype(np.float64)]
    p1, p2 = phi(x[0], x[0][sample], 3.0), phi(x[1], x[1][sample], 2.0)
    lab = data.labels.astype(np.float64).T
    bt = np.where(rng.uniform(-1, 1, (bits, batch)) >= 0, 1.0, -1.0)
    zb = np.where(rng.uniform(-1, 1, (bits, batch)) >= 0, 1.0, -1.0)
    g, dt = bt - zb, rng.standard_normal((bits, batch))
    stream = rng.permutation(len(data)) if order == "shuffled" else np.arange(len(data))
    text_features = p2  # in the data's order, for the encoding check below
    p1, p2, lab = p1[:, stream], p2[:, stream], lab[:, stream]
    mu1, mu2, one = 0.5, 0.5, np.ones((batch, 1))
    bx1p = bx2p = xx1p = xx2p = 0
    for t in range(0, len(data), batch):
        x1, x2, lt = p1[:, t : t + batch], p2[:, t : t + batch], lab[:, t : t + batch]
        for _ in range(rounds):
            bx1, xx1 = bx1p + bt @ x1.T, xx1p + x1 @ x1.T
            w1 = (bx1 / mu1) @ np.linalg.inv(xx1 / mu1 + GAMMA * np.eye(len(x1)))
            bx2, xx2 = bx2p + bt @ x2.T, xx2p + x2 @ x2.T
            w2 = (bx2 / mu2) @ np.linalg.inv(xx2 / mu2 + GAMMA * np.eye(len(x2)))
            s = 2 * dt @ lt.T @ lt - dt @ one @ one.T
            bt = np.sign(
                2 / mu1 * w1 @ x1
                + 2 / mu2 * w2 @ x2
                + 2 * ALPHA * bits * s
                - ALPHA * dt @ dt.T @ zb
                + 2 * BETA * dt
                + RHO * zb
                - g
            )
            right = ALPHA * bits * (2 * bt @ lt.T @ lt - bt @ one @ one.T) + BETA * bt
            dt = np.linalg.solve(ALPHA * bt @ bt.T + BETA * np.eye(bits), right)
            zb = np.sign(-ALPHA * dt @ dt.T @ bt + RHO * bt + g)
            g = g + RHO * (bt - zb)
            r1, r2 = np.linalg.norm(bt - w1 @ x1), np.linalg.norm(bt - w2 @ x2)
            mu1, mu2 = r1 / (r1 + r2), r2 / (r1 + r2)
        bx1p, bx2p, xx1p, xx2p = bx1, bx2, xx1, xx2
    assert np.allclose(method.projections["image"], w1.T)  # stored as W^T
    assert np.allclose(method.projections["text"], w2.T)
    codes = method.encode(data.text, "text")
    assert np.array_equal(codes, np.where(w2 @ text_features >= 0, 1, -1).T)


def test_a_training_set_smaller_than_a_chunk_or_the_anchors_is_used_whole():
    data = labelled_views(n=10)
    method = FOMH(4)  # 1,000 anchors and chunks of 1,000
    method.fit(data, seed=0)
    assert len(method.anchors["image"]) == 10 and len(method.history) == 10  # one chunk


def test_without_labels_it_is_one_clear_error():
    data = labelled_views()
    with pytest.raises(CmhbenchError, match="supervised"):
        FOMH(4).fit(PairedSet(data.image, data.text))
