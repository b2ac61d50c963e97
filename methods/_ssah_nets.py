"""SSAH's networks (C. Li et al., CVPR 2018; official code ``tnet.py``): TensorFlow's
local response normalisation, the multi-scale text fusion, and the semantic-feature
network with hash and label heads that LabNet, ImgNet and TxtNet share."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import torch
import torch.nn.functional as F
from torch import nn

from cmhbench.methods._nets import normal_init_


class FeatureLRN(nn.Module):
    """TensorFlow's local response normalisation across the units of a (batch, units)
    tensor: x / (bias + alpha * sum of x^2 over units within ``radius``)^beta.

    The window sums are shifted slices of the padded squares: the same values as
    ``nn.LocalResponseNorm``, whose 2-d average pooling made it half of a TxtNet step's
    normalisation time (forward and backward) on the CPU.
    """

    def __init__(self, radius: int = 2, bias: float = 2.0, alpha: float = 1e-4, beta: float = 0.75):
        super().__init__()
        self.radius, self.bias, self.alpha, self.beta = radius, bias, alpha, beta

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        squares = F.pad(x.pow(2), (self.radius, self.radius))
        units = x.shape[1]
        window = cast(
            torch.Tensor, sum(squares[:, i : i + units] for i in range(2 * self.radius + 1))
        )
        return x * (self.bias + self.alpha * window).pow(-self.beta)


class MultiScaleText(nn.Module):
    """SSAH's multi-scale fusion of a text vector: per scale s an average pool of width
    and stride 5s, one learnt weight, ReLU, linear resize back to the input length;
    the result is the input and those channels, flattened."""

    def __init__(self, length: int, scales: Sequence[int], init_std: float):
        super().__init__()
        self.length = length
        self.widths = [5 * s for s in scales if 5 * s <= length]
        self.weights = nn.Parameter(torch.randn(len(self.widths)) * init_std)

    @property
    def out_dim(self) -> int:
        return self.length * (1 + len(self.widths))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        channels = [x]
        for width, weight in zip(self.widths, self.weights, strict=True):
            pooled = F.avg_pool1d(x.unsqueeze(1), width, stride=width)
            channels.append(
                F.interpolate(F.relu(weight * pooled), size=self.length, mode="linear").squeeze(1)
            )
        return torch.cat(channels, dim=1)


class SemanticHashNet(nn.Module):
    """``front`` -> Linear -> ReLU (the semantic feature) -> optional LRN -> a tanh hash
    head and a label head (logits); every linear layer starts from N(0, init_std^2)."""

    def __init__(
        self,
        front: nn.Module,
        front_dim: int,
        semantic_dim: int,
        bits: int,
        n_labels: int,
        normalise_feature: bool,
        init_std: float,
    ):
        super().__init__()
        self.front = front
        self.semantic = nn.Linear(front_dim, semantic_dim)
        self.head_norm = FeatureLRN() if normalise_feature else nn.Identity()
        self.hash = nn.Linear(semantic_dim, bits)
        self.label = nn.Linear(semantic_dim, n_labels)
        normal_init_(self, init_std)

    def outputs(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(semantic feature, hash output in (-1, 1), label logits)."""
        feature = F.relu(self.semantic(self.front(x)))
        normed = self.head_norm(feature)
        return feature, torch.tanh(self.hash(normed)), self.label(normed)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.outputs(x)[1]
