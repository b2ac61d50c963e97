"""A backbone with its weights: a torchvision weight file (given, or in torch's hub
cache), or seeded random weights for tests and smoke runs."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import torch

from cmhbench.errors import CmhbenchError
from cmhbench.features.backbones import VGG, build
from cmhbench.features.catalogue import Backbone

RANDOM = "random"


def hub_cache_file(backbone: Backbone) -> Path:
    """Where torchvision's download of ``backbone``'s weights is kept."""
    return Path(torch.hub.get_dir()) / "checkpoints" / backbone.weights_file


def load_backbone(
    backbone: Backbone, weights: str | None, seed: int = 0
) -> tuple[VGG, dict[str, Any]]:
    """``backbone`` in eval mode with ``weights`` ("random", a file, or None for the hub
    cache), and how they were made (for the sidecar).

    Raises:
        CmhbenchError: no weights file, or a file that is not this backbone's weights.
    """
    model = build(backbone)
    if weights == RANDOM:
        generator = torch.Generator().manual_seed(seed)
        model.initialise(generator)
        return model.eval(), {"weights": RANDOM, "seed": seed}
    path = Path(weights) if weights is not None else hub_cache_file(backbone)
    if not path.is_file():
        given = f"{path}: no such weights file" if weights is not None else "no weights given"
        raise CmhbenchError(
            f"{given}; pass --weights FILE with torchvision's {backbone.name} ImageNet "
            f"weights ({backbone.weights_url}), put that file at {hub_cache_file(backbone)}, "
            "or use --weights random"
        )
    model.load_state_dict(_state_dict(path, model, backbone))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return model.eval(), {"weights": str(path), "weights_sha256": digest}


def _state_dict(path: Path, model: VGG, backbone: Backbone) -> dict[str, torch.Tensor]:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises several types for a foreign file
        raise CmhbenchError(f"{path}: not a torch weights file ({error})") from None
    expected = model.state_dict()
    if not isinstance(state, dict) or set(state) != set(expected):
        found = set(state) if isinstance(state, dict) else set()
        missing = sorted(set(expected) - found)[:3]
        raise CmhbenchError(
            f"{path}: not torchvision's {backbone.name} weights (missing {missing or 'none'}, "
            f"unexpected {sorted(found - set(expected))[:3] or 'none'})"
        )
    for key, tensor in expected.items():
        if state[key].shape != tensor.shape:
            raise CmhbenchError(
                f"{path}: not torchvision's {backbone.name} weights ({key} has shape "
                f"{tuple(state[key].shape)}, expected {tuple(tensor.shape)})"
            )
    return state
