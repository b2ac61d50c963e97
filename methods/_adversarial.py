"""Pieces of adversarial training shared by the adversarial methods."""

from __future__ import annotations

import math

import torch


class _ReverseGradient(torch.autograd.Function):
    """Identity forward; backward multiplies the incoming gradient by -scale."""

    @staticmethod
    def forward(ctx, inputs: torch.Tensor, scale: float) -> torch.Tensor:
        ctx.scale = scale
        return inputs.view_as(inputs)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return -ctx.scale * grad, None


def reverse_gradient(inputs: torch.Tensor, scale: float) -> torch.Tensor:
    """The gradient-reversal layer of Y. Ganin and V. Lempitsky ("Unsupervised Domain
    Adaptation by Backpropagation", ICML 2015): the identity going forward, the
    gradient times -``scale`` going back, so that one backward pass trains a
    classifier to tell domains apart and the features before it to confuse it."""
    return _ReverseGradient.apply(inputs, scale)


def reversal_scale(progress: float) -> float:
    """Ganin and Lempitsky's schedule lambda_p = 2 / (1 + exp(-10 p)) - 1, p in [0, 1]
    the fraction of training done: 0 at the start, rising to about 1."""
    return 2.0 / (1.0 + math.exp(-10.0 * progress)) - 1.0
