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


class MultiScalePools(nn.Module):
    """The channels of SSAH's multi-scale text fusion before their resize: per scale s
    an average pool of width and stride 5s, one learnt weight, ReLU. ``resize(i)`` is
    the fixed linear map R_s (pooled length, input length) of PyTorch's linear resize
    back to the input length."""

    def __init__(self, length: int, scales: Sequence[int], init_std: float):
        super().__init__()
        self.length = length
        self.widths = [5 * s for s in scales if 5 * s <= length]
        self.weights = nn.Parameter(torch.randn(len(self.widths)) * init_std)
        for i, width in enumerate(self.widths):
            identity = torch.eye(length // width).unsqueeze(1)
            resize = F.interpolate(identity, size=length, mode="linear").squeeze(1)
            self.register_buffer(f"resize{i}", resize)

    @property
    def out_dim(self) -> int:
        """Length of the fused vector: the input and one resized channel per scale."""
        return self.length * (1 + len(self.widths))

    def resize(self, channel: int) -> torch.Tensor:
        return cast(torch.Tensor, getattr(self, f"resize{channel}"))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        return [
            F.relu(weight * F.avg_pool1d(x.unsqueeze(1), width, stride=width).squeeze(1))
            for width, weight in zip(self.widths, self.weights, strict=True)
        ]

    def fused(self, x: torch.Tensor) -> torch.Tensor:
        """The fusion as SSAH writes it: the input and every resized channel, flattened."""
        return torch.cat([x, *(c @ self.resize(i) for i, c in enumerate(self(x)))], dim=1)


class MultiScaleText(nn.Module):
    """SSAH's multi-scale text fusion followed by a linear layer: ``linear(pools.fused(x))``.

    The layer is applied in factorised form: the weight block of channel s is multiplied
    by R_s^T once per step, then by the short pooled vector, instead of resizing every
    batch row and multiplying the full-length channels. Same values up to float
    rounding, with about a fifth of the layer's arithmetic. The weight is kept as one
    parameter per block (column block i of the linear layer's weight), so no step
    allocates a gradient of the whole weight.
    """

    def __init__(self, pools: MultiScalePools, linear: nn.Linear):
        super().__init__()
        self.pools = pools
        blocks = linear.weight.detach().split(pools.length, dim=1)
        self.blocks = nn.ParameterList([nn.Parameter(b.clone()) for b in blocks])
        self.bias = nn.Parameter(linear.bias.detach().clone())

    def reset_normal_(self, std: float) -> None:
        """Draw the weight and bias from N(0, std^2) exactly as ``normal_init_`` draws an
        ``nn.Linear``'s: the whole weight matrix first, then the bias."""
        with torch.no_grad():
            weight = torch.empty(len(self.bias), self.pools.out_dim).normal_(0.0, std)
            values = weight.split(self.pools.length, dim=1)
            for block, value in zip(self.blocks, values, strict=True):
                block.copy_(value)
            self.bias.normal_(0.0, std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        own, *scales = self.blocks
        folded = torch.cat([b @ self.pools.resize(i).T for i, b in enumerate(scales)], dim=1)
        pooled = torch.cat(self.pools(x), dim=1)
        return F.linear(x, own, self.bias) + pooled @ folded.T


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
