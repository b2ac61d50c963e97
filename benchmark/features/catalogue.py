"""The image backbones ``cmhbench features`` offers, by name (no torch import: the
command line lists them)."""

from __future__ import annotations

from dataclasses import dataclass

from cmhbench.errors import UnknownNameError

# torchvision's configuration "E": output channels of each 3x3 convolution, "M" a pool
VGG19_LAYERS: tuple[int | str, ...] = (
    *(64, 64, "M", 128, 128, "M"),
    *(256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"),
)


@dataclass(frozen=True)
class Backbone:
    """A named image backbone: how to build it, its output, its weight file."""

    name: str
    layers: tuple[int | str, ...]
    layer: str
    dim: int
    weights_file: str  # the file name torchvision's download saves in the hub cache
    weights_url: str


BACKBONES = {
    "vgg19": Backbone(
        name="vgg19",
        layers=VGG19_LAYERS,
        layer="fc7 (after its ReLU)",
        dim=4096,
        weights_file="vgg19-dcbb9e9d.pth",
        weights_url="https://download.pytorch.org/models/vgg19-dcbb9e9d.pth",
    ),
}


def get_backbone(name: str) -> Backbone:
    try:
        return BACKBONES[name]
    except KeyError:
        raise UnknownNameError("backbone", name, BACKBONES) from None
