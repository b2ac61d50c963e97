"""DGCPN: Deep Graph-neighbor Coherence Preserving Network, feature-input version.

J. Yu, H. Zhou, Y. Zhan, D. Tao, "Deep Graph-neighbor Coherence Preserving Network
for Unsupervised Cross-modal Hashing", AAAI 2021. Official code:
https://github.com/Atmegal/DGCPN at 9f62c56 (``train.py`` for the defaults,
``train_div.py`` for the similarity, the loss and the updates, ``models.py``).

Similarity, once on the training set (Sec. 3.2; ``cal_similarity``): with cosines of
the features, S_pair = a1 cos(F_T) + (1 - a1) cos(F_I) (a1 = 0.01); the
graph-neighbour coherence P keeps, per row, the largest entries of S_pair after the
item itself, divided by their sum (L1, as ``pro / pro.sum(1)``); C = scale P P^T;
S = 2 [(1 - a2) S_pair + a2 C] - 1 (a2 = 0.3).

Loss per batch of B pairs (Sec. 3.3; the code's three terms), with
B_I = normalise(tanh(h_I)), B_T = normalise(tanh(h_T)), I the identity mask and
MSE the mean over all B x B entries:

* pair: MSE(diag(B_I B_T^T), K) with K = 1.5;
* dis: MSE((1-I) B_T B_T^T, (1-I) S) + MSE((1-I) B_I B_T^T, (1-I) S)
  + MSE((1-I) B_I B_I^T, (1-I) S);
* cons: MSE(B_I B_T^T, B_I B_I^T) + MSE(B_I B_T^T, B_T B_T^T)
  + MSE(B_I B_I^T, B_T B_T^T) + MSE(B_I B_T^T, (B_I B_T^T)^T);
* L = pair + dw dis + cw cons (dw = cw = 1).

"Half-real, half-binary" optimisation, three updates per batch (``train``): both
networks on L(B_I, B_T); the image network on L(B_I, b_T); the text network on
L(b_I, B_T), where b = sign(B) / sqrt(L) is the detached binary code (the loss
L2-normalises every code it gets, and a normalised sign vector is sign / sqrt(L)).

Networks: image d_x -> 4096 -> L, text d_y -> 4096 -> L, ReLU and dropout 0.5 after
the hidden layer, tanh; the text network's last layer starts from N(0, 0.3^2). SGD,
learning rate 0.005, momentum 0.9, weight decay 5e-4, batch 32.

Deviations:

* The code zeroes, per row, the ``knn_number`` = 3,000 smallest entries and the
  largest one (the item itself), so it keeps 1,999 neighbours of 5,000 training pairs,
  with scale 4,000; here k = ``neighbour_fraction`` (0.4) of the training set (2,000
  at 5,000 pairs, one more) and scale = 2 k (the code's at 5,000 pairs), so that C
  keeps its size when the training set differs. Negative kept entries count as 0
  here; the code keeps them (among the 40% largest cosines they are rare).
* Updates two and three: the code computes both networks' codes once after the first
  update and reuses them: the text update's target is the sign of the image codes
  from before the image update, and its text codes are that same forward (same
  dropout mask, graph retained). Here the text update recomputes both forwards
  after the image update (a fresher image target, a new dropout mask).
* The n x n similarity is built on at most ``max_train`` (5,000, the code's training
  size) pairs: a larger training set is subsampled (seeded by the fit seed) and the
  method trains on that sample.
* The code trains up to 100 epochs and stops early on validation mAP, which uses
  labels; here it trains ``epochs`` (100) epochs and keeps the last.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F

from cmhbench.data import PairedSet
from cmhbench.method import MethodInfo, hyperparameter
from cmhbench.methods._nets import HashMLP, start_mlp_training
from cmhbench.methods._similarity import graph_neighbour_similarity
from cmhbench.registry import register_method
from cmhbench.training import (
    LoopConfig,
    TorchMethod,
    check_finite,
    epoch_bar,
    make_optimizer,
    minibatches,
)

CODE = "DGCPN official code (Atmegal/DGCPN)"


@dataclass(frozen=True)
class DGCPNParams:
    """DGCPN's hyper-parameters (the official code's defaults)."""

    text_weight: float = hyperparameter(0.01, f"{CODE}, a1")
    coherence_weight: float = hyperparameter(0.3, f"{CODE}, a2")
    neighbour_fraction: float = hyperparameter(0.4, f"{CODE}: knn_number 3000 of 5000 pairs")
    pair_target: float = hyperparameter(1.5, f"{CODE}, K")
    dis_weight: float = hyperparameter(1.0, f"{CODE}, dw")
    cons_weight: float = hyperparameter(1.0, f"{CODE}, cw")
    max_train: int = hyperparameter(5000, f"{CODE}: 5,000 training pairs")
    image_hidden: tuple[int, ...] = hyperparameter((4096,), f"{CODE}, models.py")
    text_hidden: tuple[int, ...] = hyperparameter((4096,), f"{CODE}, models.py")
    dropout: float = hyperparameter(0.5, f"{CODE}, models.py")
    text_init_std: float = hyperparameter(0.3, f"{CODE}, models.py (text hash layer)")
    epochs: int = hyperparameter(100, f"{CODE}, the most epochs before early stopping")
    batch_size: int = hyperparameter(32, f"{CODE}, batch size")
    lr: float = hyperparameter(0.005, f"{CODE}, learning rate")
    momentum: float = hyperparameter(0.9, f"{CODE}, SGD momentum")
    weight_decay: float = hyperparameter(5e-4, f"{CODE}, weight decay")


def dgcpn_loss(
    codes_i: torch.Tensor, codes_t: torch.Tensor, target: torch.Tensor, p: DGCPNParams
) -> torch.Tensor:
    """pair + dw dis + cw cons (module docstring) for one batch."""
    i_t, i_i, t_t = codes_i @ codes_t.T, codes_i @ codes_i.T, codes_t @ codes_t.T
    off = 1 - torch.eye(len(target), device=target.device)
    pair = F.mse_loss(i_t.diagonal(), torch.full_like(i_t.diagonal(), p.pair_target))
    dis = sum(F.mse_loss(off * m, off * target) for m in (t_t, i_t, i_i))
    cons = (
        F.mse_loss(i_t, i_i) + F.mse_loss(i_t, t_t) + F.mse_loss(i_i, t_t) + F.mse_loss(i_t, i_t.T)
    )
    return pair + p.dis_weight * dis + p.cons_weight * cons


def binary(codes: torch.Tensor) -> torch.Tensor:
    """sign(B) / sqrt(L), detached: the binary code at the scale of the relaxed one."""
    return codes.detach().sign() / math.sqrt(codes.shape[1])


@register_method("dgcpn")
class DGCPN(TorchMethod):
    """Unsupervised hashing that preserves graph-neighbour coherence."""

    info = MethodInfo(
        title="Deep Graph-neighbor Coherence Preserving Network for Unsupervised Cross-modal "
        "Hashing",
        authors="J. Yu, H. Zhou, Y. Zhan, D. Tao",
        venue="AAAI 2021",
        code="https://github.com/Atmegal/DGCPN",
        supervised=False,
        short_name="DGCPN",
    )
    Params = DGCPNParams
    quick_settings: ClassVar[dict[str, Any]] = {
        "epochs": 2,
        "image_hidden": (256,),
        "text_hidden": (256,),
    }

    def fit(
        self, data: PairedSet, *, device: str = "cpu", seed: int = 0, progress: bool = False
    ) -> None:
        p = self.params
        if len(data) > p.max_train:
            rows = np.sort(np.random.default_rng(seed).choice(len(data), p.max_train, False))
            data = PairedSet(data.image[rows], data.text[rows])
        generator, tensors = start_mlp_training(self, data, device, seed)
        image_net, text_net = self.networks["image"], self.networks["text"]
        assert isinstance(text_net, HashMLP)
        last_layer = text_net.body[-1]
        assert isinstance(last_layer, torch.nn.Linear)
        torch.nn.init.normal_(last_layer.weight, std=p.text_init_std)
        n = self.n_trained = len(data)
        neighbours = max(1, min(n - 1, round(p.neighbour_fraction * n)))
        with torch.no_grad():
            similarity = graph_neighbour_similarity(
                tensors["image"],
                tensors["text"],
                p.text_weight,
                p.coherence_weight,
                neighbours,
                scale=2.0 * neighbours,
            )
        config = LoopConfig(
            epochs=p.epochs,
            batch_size=p.batch_size,
            lr=p.lr,
            weight_decay=p.weight_decay,
            optimizer="sgd",
            momentum=p.momentum,
        )
        optimizers = {
            name: make_optimizer(list(net.parameters()), config)
            for name, net in self.networks.items()
        }

        def update(names: tuple[str, ...], loss: torch.Tensor) -> None:
            for name in names:
                optimizers[name].zero_grad(set_to_none=True)
            loss.backward()
            for name in names:
                optimizers[name].step()

        image_net.train()
        text_net.train()
        self.history = []
        bar = epoch_bar(p.epochs, f"dgcpn {self.bits} bits", progress)
        for epoch in bar:
            total, steps = 0.0, 0
            for batch in minibatches(n, min(p.batch_size, n), generator, self.device, True):
                image, text = tensors["image"][batch], tensors["text"][batch]
                target = similarity[batch][:, batch]
                loss = dgcpn_loss(image_net(image), text_net(text), target, p)
                total += check_finite(loss, epoch, steps)
                update(("image", "text"), loss)
                codes_t = text_net(text)
                update(("image",), dgcpn_loss(image_net(image), binary(codes_t), target, p))
                codes_i = image_net(image)
                update(("text",), dgcpn_loss(binary(codes_i), text_net(text), target, p))
                steps += 1
            self.history.append(total / max(steps, 1))
            bar.set_postfix(loss=f"{self.history[-1]:.4f}")
        image_net.eval()
        text_net.eval()
