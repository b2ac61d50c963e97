"""Small labelled paired views for the shallow supervised methods' unit tests."""

from __future__ import annotations

import numpy as np

from cmhbench.data import PairedSet


def labelled_views(
    n: int, dx: int, dy: int, classes: int, *, seed: int, extra_label: int, signal: float
) -> PairedSet:
    """``n`` items with one random label each, about 30% also labelled ``extra_label``,
    and image and text views: Gaussian noise plus ``signal`` times a random direction
    per label."""
    rng = np.random.default_rng(seed)
    labels = np.zeros((n, classes), np.uint8)
    labels[np.arange(n), rng.integers(0, classes, n)] = 1
    labels[rng.random(n) < 0.3, extra_label] = 1  # some items carry two labels
    image = rng.standard_normal((n, dx)) + signal * labels @ rng.normal(size=(classes, dx))
    text = rng.standard_normal((n, dy)) + signal * labels @ rng.normal(size=(classes, dy))
    return PairedSet(image.astype(np.float32), text.astype(np.float32), labels)
