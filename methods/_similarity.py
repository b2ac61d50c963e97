"""Pieces shared by the similarity-reconstruction methods (DJSRH, JDSH, DGCPN).

These methods build a target similarity matrix S from the input features of a
batch and train the networks so that inner products of relaxed codes reproduce it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from cmhbench.data import PairedSet
from cmhbench.methods._nets import start_mlp_training
from cmhbench.training import LoopConfig
from cmhbench.training import train as run_training_loop

#: (image codes, text codes, image features, text features) of a batch -> its loss.
CodeLoss = Callable[[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


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


def joint_modal_similarity(
    image_similarity: torch.Tensor,
    text_similarity: torch.Tensor,
    image_weight: float,
    text_weight: float,
    joint_weight: float,
) -> torch.Tensor:
    """JDSH's S' = a S_I + b S_T + lambda (S_high + S_high^T) / 2 with the second-order
    S_high = rownorm(S_I) rownorm(S_T)^T (rows scaled to unit L2 norm)."""
    high = F.normalize(image_similarity, dim=1) @ F.normalize(text_similarity, dim=1).T
    return (
        image_weight * image_similarity
        + text_weight * text_similarity
        + joint_weight * (high + high.T) / 2
    )


def distribution_weighting(
    similarity: torch.Tensor,
    left: float,
    right: float,
    low_weight: float,
    high_weight: float,
    low_anchor: float,
    high_anchor: float,
) -> torch.Tensor:
    """JDSH's similarity decision and weighting: entries below ``left`` are multiplied
    by 1 + low_weight exp(-(s - low_anchor)), entries above ``right`` by
    1 + high_weight exp(s - high_anchor); the rest stay as they are."""
    low = similarity < left
    high = similarity > right
    factor = torch.ones_like(similarity)
    factor = torch.where(low, 1 + low_weight * torch.exp(-(similarity - low_anchor)), factor)
    factor = torch.where(high, 1 + high_weight * torch.exp(similarity - high_anchor), factor)
    return similarity * factor


def neighbour_coherence(similarity: torch.Tensor, neighbours: int) -> torch.Tensor:
    """DGCPN's graph-neighbour matrix P: per row keep the ``neighbours`` largest entries
    after the row's single largest one (the item itself), zero the rest, and scale the
    row to sum 1 (negative entries count as 0)."""
    kept = similarity.topk(neighbours + 1, dim=1)
    values = kept.values[:, 1:].clamp_min(0)
    rows = torch.zeros_like(similarity).scatter_(1, kept.indices[:, 1:], values)
    return rows / rows.sum(1, keepdim=True).clamp_min(1e-12)


def graph_neighbour_similarity(
    image: torch.Tensor,
    text: torch.Tensor,
    text_weight: float,
    coherence_weight: float,
    neighbours: int,
    scale: float,
) -> torch.Tensor:
    """DGCPN's training-set target S = 2 [(1 - a2) S_pair + a2 C] - 1 with
    S_pair = a1 cos(text) + (1 - a1) cos(image) and C = scale P P^T
    (P from :func:`neighbour_coherence` of S_pair)."""
    unit_i, unit_t = F.normalize(image, dim=1), F.normalize(text, dim=1)
    pair = text_weight * unit_t @ unit_t.T + (1 - text_weight) * unit_i @ unit_i.T
    p = neighbour_coherence(pair, neighbours)
    return 2 * ((1 - coherence_weight) * pair + coherence_weight * scale * p @ p.T) - 1


def fit_scaled_tanh_hashing(
    method: Any,
    data: PairedSet,
    code_loss: CodeLoss,
    *,
    device: str,
    seed: int,
    progress: bool,
) -> None:
    """The training scheme DJSRH and JDSH share: one :class:`HashMLP` per modality,
    relaxed codes :func:`scaled_tanh_codes` with alpha = :func:`continuation_scale`
    of the epoch, and SGD with momentum and a learning rate per network.

    ``method.params`` supplies epochs, batch_size, lr_image, lr_text, momentum and
    weight_decay; ``code_loss`` gives each batch's loss. Sets ``method.history``.
    """
    p = method.params
    generator, tensors = start_mlp_training(method, data, device, seed)
    image_net, text_net = method.networks["image"], method.networks["text"]

    def loss_fn(batch: torch.Tensor, epoch: int) -> torch.Tensor:
        image, text = tensors["image"][batch], tensors["text"][batch]
        alpha = continuation_scale(epoch)
        codes_i = scaled_tanh_codes(image_net.body(image), alpha)
        codes_t = scaled_tanh_codes(text_net.body(text), alpha)
        return code_loss(codes_i, codes_t, image, text)

    method.history = run_training_loop(
        [image_net, text_net],
        loss_fn,
        n=len(data),
        config=LoopConfig(
            epochs=p.epochs,
            batch_size=p.batch_size,
            lr=p.lr_image,
            weight_decay=p.weight_decay,
            optimizer="sgd",
            momentum=p.momentum,
        ),
        device=method.device,
        generator=generator,
        progress=progress,
        desc=f"{method.name} {method.bits} bits",
        param_groups=[
            {"params": list(image_net.parameters()), "lr": p.lr_image},
            {"params": list(text_net.parameters()), "lr": p.lr_text},
        ],
    )
