"""ImageNet preprocessing as torchvision's standard evaluation transform does it on
PIL images: the shorter side resized to 256 (bilinear, PIL's antialiasing), the
central 224 x 224 crop, values scaled to [0, 1] and normalised per channel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

RESIZE, CROP = 256, 224
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def resized_size(width: int, height: int, shorter: int = RESIZE) -> tuple[int, int]:
    """(width, height) with the shorter side ``shorter`` and the longer one scaled and
    truncated, as torchvision's ``Resize(256)``."""
    if width <= height:
        return shorter, int(shorter * height / width)
    return int(shorter * width / height), shorter


def preprocess(image: Image.Image) -> torch.Tensor:
    """One decoded image as the network's (3, 224, 224) float input."""
    image = image.convert("RGB")
    image = image.resize(resized_size(*image.size), Image.Resampling.BILINEAR)
    width, height = image.size
    left, top = round((width - CROP) / 2.0), round((height - CROP) / 2.0)
    image = image.crop((left, top, left + CROP, top + CROP))
    pixels = np.asarray(image, dtype=np.float32) / 255.0
    normalised = (pixels - np.array(MEAN, np.float32)) / np.array(STD, np.float32)
    return torch.from_numpy(normalised.transpose(2, 0, 1).copy())


def read_image(path: Path) -> torch.Tensor:
    """Decode and preprocess the image file at ``path`` (PIL's errors propagate: the
    caller lists unreadable images and goes on)."""
    with Image.open(path) as image:
        return preprocess(image)
