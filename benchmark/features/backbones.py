"""Image backbones defined in plain torch, with torchvision's parameter names so that
torchvision's ImageNet weight files load into them unchanged.

torchvision itself is not used: its PyPI wheel does not import beside the CPU build of
torch. VGG-19 follows torchvision's ``vgg19`` (configuration "E" of Simonyan and
Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition", ICLR
2015, Table 1): sixteen 3x3 convolutions with ReLU in five blocks closed by 2x2 max
pooling, a 7x7 adaptive average pool, and the classifier fc6-ReLU-dropout-fc7-ReLU-
dropout-fc8. The field's "fc7" features (DJSRH's and UCCH's extraction: the classifier
without its last layer, in eval mode) are fc7's output after its ReLU, 4,096-d.
Checked against torchvision 0.26 where it imports (an NVIDIA H200 machine): its
``vgg19()`` state dict loads with ``strict=True`` and fc7 agrees exactly, on the CPU
and the GPU.
"""

from __future__ import annotations

import torch
from torch import nn

from cmhbench.features.catalogue import Backbone


class VGG(nn.Module):
    """torchvision's VGG layout (``features``, ``avgpool``, ``classifier``); ``forward``
    returns fc7 after its ReLU."""

    def __init__(self, layers: tuple[int | str, ...], classes: int = 1000):
        super().__init__()
        modules: list[nn.Module] = []
        channels = 3
        for layer in layers:
            if layer == "M":
                modules.append(nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                assert isinstance(layer, int)
                modules += [nn.Conv2d(channels, layer, kernel_size=3, padding=1), nn.ReLU()]
                channels = layer
        self.features = nn.Sequential(*modules)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(channels * 7 * 7, 4096),
            nn.ReLU(),
            nn.Dropout(),
            nn.Linear(4096, 4096),
            nn.ReLU(),
            nn.Dropout(),
            nn.Linear(4096, classes),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        pooled = torch.flatten(self.avgpool(self.features(images)), 1)
        return self.classifier[:5](pooled)  # fc6, ReLU, dropout, fc7, ReLU

    def initialise(self, generator: torch.Generator) -> None:
        """torchvision's initialisation, drawn from ``generator``: Kaiming normal
        (fan out, ReLU) convolutions, N(0, 0.01) linear layers, zero biases."""
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(
                    module.weight, mode="fan_out", nonlinearity="relu", generator=generator
                )
            elif isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, 0.0, 0.01, generator=generator)
        for name, parameter in self.named_parameters():
            if name.endswith(".bias"):
                nn.init.zeros_(parameter)


def build(backbone: Backbone) -> VGG:
    """``backbone``'s network, with PyTorch's default initialisation."""
    return VGG(backbone.layers)
