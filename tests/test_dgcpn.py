"""DGCPN's neighbour matrix on a tiny graph, its loss by hand, and that it learns."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cmhbench.datasets import load_dataset
from cmhbench.methods._similarity import graph_neighbour_similarity, neighbour_coherence
from cmhbench.methods.dgcpn import DGCPN, DGCPNParams, binary, dgcpn_loss

GRAPH = torch.tensor(
    [
        [1.0, 0.9, 0.2, 0.4],
        [0.9, 1.0, 0.3, -0.1],
        [0.2, 0.3, 1.0, 0.8],
        [0.4, -0.1, 0.8, 1.0],
    ]
)


def test_neighbour_matrix_keeps_the_k_nearest_other_items_and_sums_to_one():
    p = neighbour_coherence(GRAPH, neighbours=2).numpy()
    expected = np.array(
        [
            [0, 0.9, 0, 0.4],  # self dropped; 0.9 and 0.4 kept; 0.2 dropped
            [0.9, 0, 0.3, 0],
            [0, 0.3, 0, 0.8],
            [0.4, 0, 0.8, 0],
        ]
    )
    expected /= expected.sum(1, keepdims=True)
    assert p == pytest.approx(expected, abs=1e-6)


def test_training_set_similarity_by_hand():
    rng = np.random.default_rng(0)
    image, text = rng.random((5, 3)), rng.random((5, 4))

    def cos(a):
        u = a / np.linalg.norm(a, axis=1, keepdims=True)
        return u @ u.T

    pair = 0.01 * cos(text) + 0.99 * cos(image)
    kept = np.zeros((5, 5))
    for i in range(5):
        order = np.argsort(-pair[i])
        kept[i, order[1:3]] = pair[i, order[1:3]]
    kept /= kept.sum(1, keepdims=True)
    expected = 2 * (0.7 * pair + 0.3 * 4.0 * kept @ kept.T) - 1
    got = graph_neighbour_similarity(
        torch.tensor(image), torch.tensor(text), 0.01, 0.3, neighbours=2, scale=4.0
    )
    assert got.numpy() == pytest.approx(expected, abs=1e-9)


def test_loss_terms_by_hand():
    codes_i = F.normalize(torch.tensor([[1.0, 2.0], [-1.0, 0.5], [0.3, -0.2]]), dim=1)
    codes_t = F.normalize(torch.tensor([[0.5, 1.0], [-1.0, -0.5], [0.2, 0.1]]), dim=1)
    target = torch.tensor([[1.0, 0.2, -0.3], [0.2, 1.0, 0.1], [-0.3, 0.1, 1.0]])
    i_t = (codes_i @ codes_t.T).numpy()
    i_i = (codes_i @ codes_i.T).numpy()
    t_t = (codes_t @ codes_t.T).numpy()
    s, off = target.numpy(), 1 - np.eye(3)

    def mse(a, b):
        return ((a - b) ** 2).mean()

    pair = mse(np.diag(i_t), 1.5)
    dis = mse(off * t_t, off * s) + mse(off * i_t, off * s) + mse(off * i_i, off * s)
    cons = mse(i_t, i_i) + mse(i_t, t_t) + mse(i_i, t_t) + mse(i_t, i_t.T)
    got = dgcpn_loss(codes_i, codes_t, target, DGCPNParams())
    assert float(got) == pytest.approx(pair + dis + cons, rel=1e-5)
    assert binary(codes_i).norm(dim=1).numpy() == pytest.approx(np.ones(3))


def test_a_large_training_set_is_subsampled_to_max_train():
    data = load_dataset("synthetic")
    method = DGCPN(16, epochs=1, max_train=100, image_hidden=(32,), text_hidden=(32,))
    method.fit(data.part("train", with_labels=False), seed=0)
    assert method.n_trained == 100 and len(method.history) == 1
