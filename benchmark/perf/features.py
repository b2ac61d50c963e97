"""Image feature extraction speed: VGG-19 fc7 (seeded random weights) over generated
JPEGs of MIRFlickr's typical size (500 x 375), with decoding in DataLoader worker
processes against decoding in the network's own process, in the same run.

Reported per setting: images per second, and the share of the wall time the network
spends in its forward passes ("busy"): with decoding overlapped it should be near
100%, without it the decoding time shows as idle network.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import click
import numpy as np
import torch


class _Timed(torch.nn.Module):
    """``inner`` with the seconds spent in its forward passes added up."""

    def __init__(self, inner: torch.nn.Module, device: torch.device):
        super().__init__()
        self.inner, self.device, self.seconds = inner, device, 0.0

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        start = time.perf_counter()
        out = self.inner(images)
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        self.seconds += time.perf_counter() - start
        return out


def _images(folder: Path, count: int) -> list[Path]:
    from PIL import Image

    rng = np.random.default_rng(0)
    paths = []
    for index in range(count):
        pixels = rng.integers(0, 256, size=(375, 500, 3), dtype=np.uint8)
        path = folder / f"im{index + 1}.jpg"
        Image.fromarray(pixels, "RGB").save(path, quality=90)
        paths.append(path)
    return paths


@click.command()
@click.option("--images", "count", default=256, show_default=True, help="Images to extract.")
@click.option("--batch-size", default=32, show_default=True)
@click.option(
    "--workers", default=1, show_default=True, help="Decoding processes to compare with 0."
)
@click.option(
    "--device", "device_spec", default="cpu", show_default=True, help="cpu, cuda, cuda:N or auto."
)
def features_benchmark(count: int, batch_size: int, workers: int, device_spec: str) -> None:
    """VGG-19 fc7 extraction: images per second and the network's busy share."""
    from cmhbench.features.catalogue import get_backbone
    from cmhbench.features.extract import extract
    from cmhbench.features.weights import load_backbone
    from cmhbench.training import resolve_device

    device = resolve_device(device_spec)
    model, made = load_backbone(get_backbone("vgg19"), "random", seed=0)
    with tempfile.TemporaryDirectory(prefix="cmhbench-perf-features-") as tmp:
        paths = _images(Path(tmp), count)
        click.echo(f"VGG-19 fc7, {count} JPEGs of 500 x 375, batch {batch_size}, on {device}")
        rates = {}
        for decoders in (0, workers):
            timed = _Timed(model, device)
            start = time.perf_counter()
            extract(paths, timed, Path(tmp) / f"out-{decoders}", made, batch_size=batch_size,
                    device=str(device), workers=decoders, progress=False)  # fmt: skip
            wall = time.perf_counter() - start
            rates[decoders] = count / wall
            click.echo(
                f"  {decoders} decoding worker(s): {rates[decoders]:.1f} images/s, "
                f"network busy {100 * timed.seconds / wall:.0f}% of {wall:.1f} s"
            )
        click.echo(f"{workers} worker(s) against none: {rates[workers] / rates[0]:.2f}x")
