"""ACMR: the gradient-reversal layer, the triplet term, and learning from labels."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import nn

from cmhbench.datasets import load_dataset
from cmhbench.methods._adversarial import reversal_scale, reverse_gradient
from cmhbench.methods.acmr import ACMR, linear_classifier, triplet_loss


def test_gradient_reversal_is_identity_forward_and_negated_scaled_backward():
    x = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = reverse_gradient(x, 0.25)
    assert torch.equal(y, x)
    (y * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert torch.allclose(x.grad, torch.tensor([-0.25, -0.5, -0.75]))


def test_reversal_schedule():
    assert reversal_scale(0.0) == 0.0
    assert reversal_scale(0.5) == pytest.approx(2 / (1 + torch.e**-5) - 1)
    assert 0.999 < reversal_scale(1.0) < 1.0


@pytest.mark.parametrize("positives", ["label", "pair"])
def test_triplet_loss_by_hand(positives):
    """Per anchor, the mean hinge over its (positive, negative) candidates; summed over
    the anchors (anchor 1 has no negative here and adds nothing)."""
    anchors = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    candidates = torch.tensor([[0.5, 0.0], [1.0, 1.0], [0.0, -1.0]])
    relevant = torch.tensor([[1, 0, 1], [1, 1, 1], [1, 0, 1]], dtype=torch.bool)
    positive = relevant if positives == "label" else torch.eye(3, dtype=torch.bool)
    margin, alpha = 0.1, 5.0
    expected = 0.0
    for a in range(3):
        terms = []
        for p, n in itertools.product(range(3), repeat=2):
            if positive[a, p] and not relevant[a, n]:
                d_p = float(((anchors[a] - candidates[p]) ** 2).sum()) / 2
                d_n = float(((anchors[a] - candidates[n]) ** 2).sum()) / 2
                terms.append(max(0.0, margin + alpha * d_p - d_n))
        expected += sum(terms) / len(terms) if terms else 0.0
    got = triplet_loss(anchors, candidates, positive, relevant, margin, alpha)
    assert float(got) == pytest.approx(expected)


def test_the_modality_classifier_is_linear_with_the_code_s_widths():
    classifier = linear_classifier(32, (0.5, 0.25))
    assert [layer.out_features for layer in classifier if isinstance(layer, nn.Linear)] == [
        16,
        8,
        1,
    ]
    assert all(isinstance(layer, (nn.Linear, nn.Identity)) for layer in classifier)


@pytest.mark.slow
def test_adversarial_term_reaches_the_projectors():
    data = load_dataset("synthetic").part("train")
    weights = {}
    for adversarial in (0.0, 1.0):
        method = ACMR(16, epochs=1, adversarial_weight=adversarial, image_hidden=(64,))
        method.fit(data, seed=0)
        weights[adversarial] = method.networks["image"][0][0][0].weight.detach().clone()
    assert not torch.equal(weights[0.0], weights[1.0])
