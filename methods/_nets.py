"""Networks shared by the deep methods."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import torch
from torch import nn

from cmhbench.data import PairedSet
from cmhbench.training import TorchMethod, resolve_device, seed_everything, to_tensors


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
        widths = [in_dim, *hidden]
        layers: list[nn.Module] = []
        for a, b in pairwise(widths):
            layers += [nn.Linear(a, b), nn.ReLU(inplace=True)]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
        layers.append(nn.Linear(widths[-1], bits))
        self.body = nn.Sequential(*layers)
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
    method.device = resolve_device(device)
    generator = seed_everything(seed)
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
    return generator, to_tensors(data, method.device)
