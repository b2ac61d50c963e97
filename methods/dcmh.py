"""DCMH: Deep Cross-Modal Hashing, feature-input version (supervised).

Q.-Y. Jiang, W.-J. Li, "Deep Cross-Modal Hashing", CVPR 2017. Official code:
https://github.com/jiangqy/DCMH-CVPR2017 (``DCMH_matlab/DCMH_release``, the version
the authors recommend: ``process_DCMH.m``, ``update_net.m``, ``net_structure_txt.m``).

Objective over the n training pairs (paper Eq. 2), with F, G in R^{L x n} the image
and text network outputs, Theta_ij = F_i^T G_j / 2 and S_ij = 1 when items i and j
share a label:

    J = -sum_ij (S_ij Theta_ij - log(1 + e^Theta_ij))
        + gamma (||B - F||^2 + ||B - G||^2) + eta (||F 1||^2 + ||G 1||^2),

log(1 + e^x) computed stably (softplus). Optimisation (paper Sec. 2.3, Algorithm 1;
the code): F and G are kept for the whole training set (starting at zero); each epoch
sets B = sign(gamma (F + G)) (paper Eq. 7), then makes ceil(n / batch) text steps and
as many image steps. A step draws a random batch, runs the network, writes its rows
of G (or F), and descends J with respect to the network through those rows only
(the gradients of paper Eqs. 4-5, here from autograd of J restricted to the batch).
As in ``update_net.m``, the gradient is divided by batch x n and the update is plain
SGD, w <- w - lr (grad / (batch n) + 5e-4 w), with the learning rate falling
log-linearly from 10^-1.5 to 10^-3 over 500 epochs (``DCMH_demo.m``). Text features
are centred (``normZeroMean``); every layer starts from N(0, 0.01^2).

Feature-input networks: image = one hash layer on the features (the CNN-F's new
fc8, 4096 -> L; ``image_hidden`` adds hidden ReLU layers); text = the code's
d_y -> 8192 -> L with ReLU. Codes are sign of the outputs.

Deviations: none in the objective or the schedule. Text features are centred on the
training pairs' mean (the code centres all items, queries included, which would let
query statistics reach training). The training set is the suite's
supervised split (5,000 retrieval pairs on the field's datasets where the paper uses
10,000 on MIRFlickr). The loss history holds each epoch's mean step objective
divided by batch x n (the code prints the full J once per epoch).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, cast

import numpy as np
import torch

from cmhbench.data import PairedSet
from cmhbench.method import MethodInfo, hyperparameter
from cmhbench.methods._losses import pairwise_likelihood
from cmhbench.methods._nets import Centre, mlp, normal_init_, start_training
from cmhbench.registry import register_method
from cmhbench.training import TorchMethod, check_finite, epoch_bar, random_batch

CODE = "DCMH official MATLAB code (jiangqy/DCMH-CVPR2017)"


@dataclass(frozen=True)
class DCMHParams:
    """DCMH's hyper-parameters (paper and official MATLAB code)."""

    gamma: float = hyperparameter(1.0, "DCMH paper Sec. 3.2 (gamma = eta = 1)")
    eta: float = hyperparameter(1.0, "DCMH paper Sec. 3.2 (gamma = eta = 1)")
    epochs: int = hyperparameter(500, f"{CODE}, DCMH_demo.m maxIter")
    batch_size: int = hyperparameter(128, f"{CODE}, DCMH_demo.m batch_size")
    lr_start: float = hyperparameter(10**-1.5, f"{CODE}, logspace(-1.5, -3, maxIter)")
    lr_end: float = hyperparameter(1e-3, f"{CODE}, logspace(-1.5, -3, maxIter)")
    weight_decay: float = hyperparameter(5e-4, f"{CODE}, update_net.m")
    init_std: float = hyperparameter(0.01, f"{CODE}, net_structure_txt.m")
    image_hidden: tuple[int, ...] = hyperparameter((), f"{CODE}: new fc8 on CNN-F features")
    text_hidden: tuple[int, ...] = hyperparameter((8192,), f"{CODE}, net_structure_txt.m")


def pairwise_objective(
    outputs: torch.Tensor,
    other: torch.Tensor,
    similarity: torch.Tensor,
    own_rest: torch.Tensor,
    codes: torch.Tensor,
    gamma: float,
    eta: float,
) -> torch.Tensor:
    """The part of J that depends on one batch of one modality's outputs.

    Args:
        outputs: (b, L) this modality's network outputs for the batch.
        other: (n, L) the other modality's stored outputs for all training items.
        similarity: (n, b) S between every training item and the batch.
        own_rest: (L,) the sum of this modality's stored outputs outside the batch.
        codes: (b, L) the batch rows of B.
    """
    theta = other @ outputs.T / 2
    likelihood = pairwise_likelihood(theta, similarity)
    quantisation = (codes - outputs).pow(2).sum()
    balance = (outputs.sum(0) + own_rest).pow(2).sum()
    return likelihood + gamma * quantisation + eta * balance


@register_method("dcmh")
class DCMH(TorchMethod):
    """Supervised deep hashing by the pairwise likelihood of label-sharing pairs."""

    info = MethodInfo(
        title="Deep Cross-Modal Hashing",
        authors="Q.-Y. Jiang, W.-J. Li",
        venue="CVPR 2017",
        code="https://github.com/jiangqy/DCMH-CVPR2017",
        supervised=True,
        short_name="DCMH",
    )
    Params = DCMHParams
    quick_settings: ClassVar[dict[str, Any]] = {"epochs": 150, "text_hidden": (1024,)}

    def fit(
        self, data: PairedSet, *, device: str = "cpu", seed: int = 0, progress: bool = False
    ) -> None:
        p = self.params
        generator, tensors = start_training(self, data, device, seed)
        text_mean = tensors["text"].mean(0)
        self.networks = {
            "image": normal_init_(
                mlp(data.image.shape[1], p.image_hidden, self.bits), p.init_std
            ).to(self.device),
            "text": torch.nn.Sequential(
                Centre(text_mean),
                normal_init_(mlp(data.text.shape[1], p.text_hidden, self.bits), p.init_std),
            ).to(self.device),
        }
        labels = tensors["labels"]
        n = len(data)
        batch_size = min(p.batch_size, n)
        stored = {m: torch.zeros(n, self.bits, device=self.device) for m in ("image", "text")}
        rates = np.logspace(np.log10(p.lr_start), np.log10(p.lr_end), p.epochs)
        self.history = []
        bar = epoch_bar(p.epochs, f"dcmh {self.bits} bits", progress)
        for epoch in bar:
            codes = torch.sign(p.gamma * (stored["image"] + stored["text"]))
            total, steps = 0.0, 0
            for modality, other in (("text", "image"), ("image", "text")):
                net = self.networks[modality]
                net.train()
                for _ in range(-(-n // batch_size)):
                    batch = random_batch(n, batch_size, generator, self.device)
                    outputs = net(tensors[modality][batch])
                    objective = pairwise_objective(
                        outputs,
                        stored[other],
                        (labels @ labels[batch].T > 0).float(),
                        stored[modality].sum(0) - stored[modality][batch].sum(0),
                        codes[batch],
                        p.gamma,
                        p.eta,
                    ) / (batch_size * n)
                    total += check_finite(objective, epoch, steps)
                    net.zero_grad(set_to_none=True)
                    objective.backward()
                    self._sgd_step(net, float(rates[epoch]))
                    stored[modality][batch] = outputs.detach()
                    steps += 1
                net.eval()
            self.history.append(total / steps)
            bar.set_postfix(loss=f"{self.history[-1]:.4f}")

    @torch.no_grad()
    def _sgd_step(self, net: torch.nn.Module, lr: float) -> None:
        """``update_net.m``: w <- w - lr (grad + weight_decay w), every parameter at once
        (the same operations, hence the same values, as one parameter at a time)."""
        params: list[torch.Tensor] = list(net.parameters())
        step = list(torch._foreach_mul(params, self.params.weight_decay))
        torch._foreach_add_(step, [cast(torch.Tensor, q.grad) for q in params])
        torch._foreach_mul_(step, lr)
        torch._foreach_sub_(params, step)
