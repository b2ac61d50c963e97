"""DJSRH's target similarity by hand on a 4-item batch, and that it learns."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from cmhbench.methods._similarity import (
    continuation_scale,
    feature_similarity,
    joint_semantics,
    reconstruction_mse,
    scaled_tanh_codes,
)

IMAGE = torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0], [3.0, 0.0]])
TEXT = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])


def by_hand_similarity(features: torch.Tensor) -> np.ndarray:
    rows = features.numpy()
    out = np.zeros((len(rows), len(rows)))
    for i, a in enumerate(rows):
        for j, b in enumerate(rows):
            out[i, j] = 2 * a @ b / (np.linalg.norm(a) * np.linalg.norm(b)) - 1
    return out


def test_feature_similarity_is_two_cosines_minus_one():
    s_i = feature_similarity(IMAGE).numpy()
    assert s_i == pytest.approx(by_hand_similarity(IMAGE), abs=1e-6)
    r = 1 / math.sqrt(2)
    assert s_i[0, 1] == pytest.approx(2 * r - 1) and s_i[0, 2] == pytest.approx(-1)


def test_joint_semantics_on_a_4_item_batch():
    beta, eta, mu = 0.9, 0.4, 1.5
    s_i, s_t = by_hand_similarity(IMAGE), by_hand_similarity(TEXT)
    mixed = beta * s_i + (1 - beta) * s_t
    diffused = np.zeros((4, 4))
    for i in range(4):
        for j in range(4):
            diffused[i, j] = sum(mixed[i, k] * mixed[j, k] for k in range(4)) / 4
    expected = mu * ((1 - eta) * mixed + eta * diffused)
    got = joint_semantics(feature_similarity(IMAGE), feature_similarity(TEXT), beta, eta, mu)
    assert got.numpy() == pytest.approx(expected, abs=1e-5)


def test_scaled_tanh_codes_and_the_reconstruction_error():
    h = torch.tensor([[0.5, -2.0], [1.0, 0.0]])
    codes = scaled_tanh_codes(h, continuation_scale(3))  # alpha = 2
    first = np.tanh(np.array([1.0, -4.0]))
    assert codes[0].numpy() == pytest.approx(first / np.linalg.norm(first), abs=1e-6)
    target = torch.eye(2)
    by_hand = ((codes @ codes.T - target) ** 2).mean()
    assert reconstruction_mse(codes, codes, target) == pytest.approx(float(by_hand))
