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


# The official configuration files (KaiserLew/JDSH at caa8224), in this suite's names.
JSON_KEYS = {
    "alpha": "image_weight",
    "beta": "text_weight",
    "lamb": "joint_weight",
    "mu": "mu",
    "INTRA": "intra",
    "LR_IMG": "lr_image",
    "LR_TXT": "lr_text",
    "MIN": "low_anchor",
    "MAX": "high_anchor",
    "ALPHA": "left_k",
    "LOC_LEFT": "left_loc",
    "SCALE_LEFT": "left_scale",
    "BETA": "right_k",
    "LOC_RIGHT": "right_loc",
    "SCALE_RIGHT": "right_scale",
    "L1": "low_weight",
    "L2": "high_weight",
    "BATCH_SIZE": "batch_size",
    "MOMENTUM": "momentum",
    "WEIGHT_DECAY": "weight_decay",
    "NUM_EPOCH": "epochs",
}
COMMON = {"INTRA": 0.1, "LR_IMG": 0.01, "LR_TXT": 0.01, "ALPHA": 2, "BETA": 4}
COMMON |= {"BATCH_SIZE": 32, "MOMENTUM": 0.9, "WEIGHT_DECAY": 5e-4, "NUM_EPOCH": 300}
OFFICIAL = {
    "synthetic": {  # config/JDSH_MIRFlickr.json, the defaults everywhere else
        **COMMON,
        **{"alpha": 0.5, "beta": 0.1, "lamb": 0.4, "mu": 1.4, "MIN": -0.52, "MAX": 0.68},
        **{"LOC_LEFT": -0.49, "SCALE_LEFT": 0.019, "LOC_RIGHT": -0.49, "SCALE_RIGHT": 0.088},
        **{"L1": 0.1, "L2": 0.2},
    },
    "nus-wide-tc10": {  # config/JDSH_NUSWIDE.json
        **COMMON,
        **{"alpha": 0.4, "beta": 0.3, "lamb": 0.3, "mu": 1.4, "MIN": -0.64, "MAX": 0.75},
        **{"LOC_LEFT": -0.62, "SCALE_LEFT": 0.0128, "LOC_RIGHT": -0.62, "SCALE_RIGHT": 0.086},
        **{"L1": 0.2, "L2": 0.2},
    },
}


@pytest.mark.parametrize("dataset", list(OFFICIAL))
def test_resolved_settings_are_the_official_configuration_files(dataset):
    from cmhbench.run.grid import _settings

    params = JDSH(16, **_settings(JDSH, dataset, {})).params
    resolved = {key: getattr(params, name) for key, name in JSON_KEYS.items()}
    assert resolved == OFFICIAL[dataset]
