"""DCMH: the objective's gradient is the paper's, and the method learns from labels."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cmhbench.data import PairedSet
from cmhbench.datasets import load_dataset
from cmhbench.errors import CmhbenchError
from cmhbench.methods.dcmh import DCMH, pairwise_objective


def test_batch_gradient_is_the_papers_equation_5():
    """dJ/dG_*j = 1/2 sum_i (sigma(Theta_ij) F_i - S_ij F_i) + 2 gamma (G_j - B_j)
    + 2 eta G 1 (Jiang & Li, Eq. 5), for a batch of two columns of G."""
    rng = np.random.default_rng(0)
    n, bits, gamma, eta = 5, 3, 0.7, 0.3
    image = torch.tensor(rng.standard_normal((n, bits)))  # F^T, every item
    text = torch.tensor(rng.standard_normal((n, bits)))  # G^T, every item
    similarity = torch.tensor((rng.random((n, n)) < 0.5).astype(float))
    codes = torch.sign(torch.tensor(rng.standard_normal((n, bits))))
    batch = [1, 3]
    outputs = text[batch].clone().requires_grad_(True)
    rest = text.sum(0) - text[batch].sum(0)
    objective = pairwise_objective(
        outputs, image, similarity[:, batch], rest, codes[batch], gamma, eta
    )
    objective.backward()
    for row, j in enumerate(batch):
        theta = image @ text[j] / 2
        expected = (
            0.5 * ((torch.sigmoid(theta) - similarity[:, j])[:, None] * image).sum(0)
            + 2 * gamma * (text[j] - codes[j])
            + 2 * eta * text.sum(0)
        )
        assert torch.allclose(outputs.grad[row], expected)


def test_objective_is_finite_for_large_inner_products():
    big = torch.full((2, 4), 50.0)
    value = pairwise_objective(big, big, torch.zeros(2, 2), torch.zeros(4), -big.sign(), 1, 1)
    assert torch.isfinite(value)


def test_needs_labels():
    data = load_dataset("synthetic").part("train", with_labels=False)
    with pytest.raises(CmhbenchError, match="supervised"):
        DCMH(8, epochs=1).fit(PairedSet(data.image[:8], data.text[:8]))


def test_sgd_step_is_update_nets_formula_to_the_bit():
    """All parameters at once give exactly w - lr (grad + weight_decay w) of each."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(7, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3))
    net(torch.randn(4, 7)).pow(2).sum().backward()
    method = DCMH(16)
    expected = [
        (w - 0.03 * (w.grad + method.params.weight_decay * w)).detach() for w in net.parameters()
    ]
    method._sgd_step(net, 0.03)
    assert all(torch.equal(w, e) for w, e in zip(net.parameters(), expected, strict=True))
