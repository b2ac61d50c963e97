"""Pieces shared by the similarity-reconstruction methods (DJSRH, JDSH, DGCPN).

These methods build a target similarity matrix S from the input features of a
batch and train the networks so that inner products of relaxed codes reproduce it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def feature_similarity(features: torch.Tensor) -> torch.Tensor:
    """2 cos(f_i, f_j) - 1 for the rows of ``features`` (DJSRH's S_I and S_T).

    Cosines of non-negative features (fc7 after ReLU, bag-of-words) lie in [0, 1],
    so S lies in [-1, 1]. An all-zero row has cosine 0 with everything.
    """
    unit = F.normalize(features, dim=1)
    return 2 * unit @ unit.T - 1


def joint_semantics(
    image_similarity: torch.Tensor,
    text_similarity: torch.Tensor,
    beta: float,
    eta: float,
    mu: float,
) -> torch.Tensor:
    """DJSRH's target: S~ = beta S_I + (1 - beta) S_T, S = mu [(1 - eta) S~ + eta S~ S~^T / B]."""
    mixed = beta * image_similarity + (1 - beta) * text_similarity
    return mu * ((1 - eta) * mixed + eta * mixed @ mixed.T / mixed.shape[0])


def scaled_tanh_codes(outputs: torch.Tensor, alpha: float) -> torch.Tensor:
    """Relaxed codes normalise(tanh(alpha h)); alpha grows with the epoch so that
    tanh approaches sign (the scaled-tanh continuation of DJSRH and JDSH)."""
    return F.normalize(torch.tanh(alpha * outputs), dim=1)


def continuation_scale(epoch: int) -> float:
    """alpha_e = sqrt(epoch + 1), epochs counted from 0 (DJSRH, JDSH ``set_alpha``)."""
    return (epoch + 1.0) ** 0.5


def reconstruction_mse(
    left: torch.Tensor, right: torch.Tensor, target: torch.Tensor
) -> torch.Tensor:
    """Mean over the B x B entries of (left right^T - target)^2."""
    return F.mse_loss(left @ right.T, target)
