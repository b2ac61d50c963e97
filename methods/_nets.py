"""Networks shared by the deep methods."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from itertools import pairwise
from typing import Protocol, runtime_checkable

import torch
from torch import nn

from cmhbench.data import PairedSet
from cmhbench.errors import CmhbenchError
from cmhbench.training import TorchMethod, resolve_device, seed_everything, to_tensors

RELU = partial(nn.ReLU, inplace=True)


def mlp(
    in_dim: int,
    hidden: Sequence[int],
    out_dim: int,
    dropout: float = 0.0,
    activation: Callable[[], nn.Module] = RELU,
) -> nn.Sequential:
    """``in -> hidden... -> out``: linear layers with ``activation`` (and optional
    dropout) between them and a linear output."""
    widths = [in_dim, *hidden]
    layers: list[nn.Module] = []
    for a, b in pairwise(widths):
        layers += [nn.Linear(a, b), activation()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(widths[-1], out_dim))
    return nn.Sequential(*layers)


def glorot_init_(module: nn.Module) -> nn.Module:
    """Glorot-uniform weights and zero biases in every linear layer: TensorFlow slim's
    ``fully_connected`` defaults."""
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)
    return module


@runtime_checkable
class DrawsNormal(Protocol):
    """A layer that draws its own N(0, std^2) initial weights (see ``normal_init_``)."""

    def reset_normal_(self, std: float) -> None: ...


def normal_init_(module: nn.Module, std: float) -> nn.Module:
    """Draw every linear layer's weights and biases from N(0, std^2), the initialisation
    of the MATLAB and TensorFlow hashing codes (``0.01 * randn``); a layer that stores
    its weight differently draws it with its own ``reset_normal_(std)``."""
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            nn.init.normal_(layer.weight, std=std)
            nn.init.normal_(layer.bias, std=std)
        elif isinstance(layer, DrawsNormal):
            layer.reset_normal_(std)
    return module


class Centre(nn.Module):
    """Subtract a fixed mean vector (stored with the network, so encoding repeats it)."""

    mean: torch.Tensor

    def __init__(self, mean: torch.Tensor):
        super().__init__()
        self.register_buffer("mean", mean.detach().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x - self.mean


class HashMLP(nn.Module):
    """Linear layers with ReLU between them, then tanh and (optionally) L2 normalisation.

    This is the feature-input hash head of UCCH's official code (``nets/ImageNet.py``,
    ``nets/TextNet.py``): ``in -> hidden... -> bits -> tanh -> h / ||h||``.

    Args:
        in_dim: input feature dimension.
        hidden: widths of the hidden layers (empty for a single linear layer).
        bits: output dimension, the code length.
        normalize: divide the tanh output by its L2 norm.
        dropout: dropout probability after each hidden ReLU (0: none).
    """

    def __init__(
        self,
        in_dim: int,
        hidden: Sequence[int],
        bits: int,
        normalize: bool = True,
        dropout: float = 0.0,
    ):
        super().__init__()
        self.body = mlp(in_dim, hidden, bits, dropout)
        self.normalize = normalize

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.tanh(self.body(x))
        return nn.functional.normalize(h, dim=1) if self.normalize else h


def start_mlp_training(
    method: TorchMethod, data: PairedSet, device: str, seed: int
) -> tuple[torch.Generator, dict[str, torch.Tensor]]:
    """The common start of ``fit`` for a method with one :class:`HashMLP` per modality.

    Resolves the device, seeds everything, builds the two networks from the
    method's ``params.image_hidden`` and ``params.text_hidden`` (with
    ``params.dropout`` when it has one), and moves the training data to the device
    once.

    Returns:
        (the seeded generator for batches and sampling, the data tensors)
    """
    generator, tensors = start_training(method, data, device, seed)
    p = method.params
    dropout = getattr(p, "dropout", 0.0)
    method.networks = {
        modality: HashMLP(
            getattr(data, modality).shape[1],
            getattr(p, f"{modality}_hidden"),
            method.bits,
            dropout=dropout,
        ).to(method.device)
        for modality in ("image", "text")
    }
    return generator, tensors


def start_training(
    method: TorchMethod, data: PairedSet, device: str, seed: int
) -> tuple[torch.Generator, dict[str, torch.Tensor]]:
    """The common start of every deep method's ``fit``: check that a supervised method
    has labels, resolve the device, seed everything, move the training data to the
    device once (labels as float 'labels' when present).

    Returns:
        (the seeded generator for batches and sampling, the data tensors)
    """
    if method.supervised and data.labels is None:
        raise CmhbenchError(f"{method.name} is supervised: its training set needs labels")
    method.device = resolve_device(device)
    generator = seed_everything(seed)
    return generator, to_tensors(data, method.device)
