"""JDSH's similarity by hand on a 4-item batch, both threshold modes, and that it learns."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import encode_and_score
from test_djsrh import IMAGE, TEXT, by_hand_similarity

from cmhbench.datasets import load_dataset
from cmhbench.methods.jdsh import JDSH, estimated_thresholds


def test_joint_modal_similarity_and_fixed_weighting_on_a_4_item_batch():
    method = JDSH(16)
    p = method.params
    s_i, s_t = by_hand_similarity(IMAGE), by_hand_similarity(TEXT)
    rows_i = s_i / np.linalg.norm(s_i, axis=1, keepdims=True)
    rows_t = s_t / np.linalg.norm(s_t, axis=1, keepdims=True)
    high = rows_i @ rows_t.T
    joint = p.image_weight * s_i + p.text_weight * s_t + p.joint_weight * (high + high.T) / 2
    left = p.left_loc - p.left_k * p.left_scale  # -0.528
    right = p.right_loc + p.right_k * p.right_scale  # -0.138
    expected = joint.copy()
    for (i, j), s in np.ndenumerate(joint):
        if s < left:
            expected[i, j] = s * (1 + p.low_weight * np.exp(-(s - p.low_anchor)))
        elif s > right:
            expected[i, j] = s * (1 + p.high_weight * np.exp(s - p.high_anchor))
    assert (joint < left).any() and (joint > right).any()  # both branches are exercised
    got = method.target(IMAGE, TEXT).numpy()
    assert got == pytest.approx(p.mu * expected, abs=1e-5)


def test_estimated_thresholds_come_from_the_off_diagonal_entries():
    s = torch.tensor([[1.0, 0.1, 0.3], [0.1, 1.0, -0.5], [0.3, -0.5, 1.0]])
    off = np.array([0.1, 0.3, 0.1, -0.5, 0.3, -0.5])
    loc = off.mean()
    below, above = off[off < loc], off[off >= loc]
    cuts = estimated_thresholds(s, left_k=2, right_k=4)
    assert cuts["left"] == pytest.approx(loc - 2 * below.std(ddof=1))
    assert cuts["right"] == pytest.approx(loc + 4 * above.std(ddof=1))
    assert (cuts["low_anchor"], cuts["high_anchor"]) == pytest.approx((-0.5, 0.3))


@pytest.mark.slow
def test_learns_with_estimated_thresholds_too():
    """The method contract checks the default (the code's fixed thresholds)."""
    data = load_dataset("synthetic")
    method = JDSH(32, **JDSH.quick_settings, thresholds="estimated")
    method.fit(data.part("train", with_labels=False), seed=0)
    scores = encode_and_score(method, data)[1]
    assert method.history[-1] < method.history[0]
    assert scores["i2t"].map > 0.4 and scores["t2i"].map > 0.4  # random codes: 0.25
