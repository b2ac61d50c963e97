"""ACMR: Adversarial Cross-Modal Retrieval, as a hashing baseline (supervised).

B. Wang, Y. Yang, X. Xu, A. Hanjalic, H. T. Shen, "Adversarial Cross-Modal
Retrieval", ACM MM 2017. Official demo code: https://github.com/sunpeng981712364/ACMR_demo
(``models/adv_crossmodal_triplet_wiki.py``, ``models/flip_gradient.py``).

ACMR learns a real-valued common space. Two feature projectors f_V, f_T (tanh MLPs)
map image and text features to it and play against a modality classifier D:

* label prediction L_imd (paper Sec. 3.2): a linear classifier on both embeddings;
* structure preservation L_imi (Sec. 3.3): triplet constraints within and across
  modalities, positives sharing the anchor's label, negatives sharing none, with
  d(a, b) = ||a - b||^2 / 2 and the code's hinge [m + alpha d(a, p) - d(a, n)]_+;
* L_emb = beta L_imd + L_imi (Eq. 7; beta = 100 and alpha = 5, m = 0.1 in the code),
  weight decay as L_reg;
* L_adv (Eq. 8): D (common space -> 20 -> 10 -> modality) classifies which modality
  an embedding came from. The min-max (Eq. 9) is one backward pass through a
  gradient-reversal layer with lambda_p = 2 / (1 + exp(-10 p)) - 1 (Sec. 3.5; p the
  fraction of training done): D descends L_adv, the projectors ascend it.

Optimiser (code): Adam, learning rate 1e-4, beta1 0.5, batch 64, 50 epochs.
Projectors (code, NUS-WIDE): image d_x -> 4096 -> 1000 -> L, text
d_y -> 1000 -> 300 -> L, tanh after every layer.

Hashing (this suite's choice, not the paper's): the common space has L dimensions
and the code of an item is the sign of its embedding minus its modality's mean
embedding over the training pairs (computed after training and kept with the
network).

Deviations:

* Multi-label data: the classifier has a sigmoid per label (binary cross-entropy
  summed over labels, mean over the batch) where the code uses softmax over single
  labels; triplets use label overlap.
* Triplets: every valid (anchor, positive, negative) of the batch, image and text
  anchors, positives and negatives in the other modality and in the same one (an
  intra-modal positive is never the anchor itself); the hinge is per triplet,
  averaged over valid triplets. The code forms one triplet per anchor (the most
  input-similar negative) and sums distances over the batch before one hinge.
* The adversarial term reaches the projectors, as the paper describes; the demo code
  builds that update but never runs it (its projectors never see L_adv).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from cmhbench.data import PairedSet
from cmhbench.method import MethodInfo, hyperparameter
from cmhbench.methods._adversarial import reversal_scale, reverse_gradient
from cmhbench.methods._nets import Centre, mlp, start_training
from cmhbench.registry import register_method
from cmhbench.training import (
    LoopConfig,
    TorchMethod,
)
from cmhbench.training import train as run_training_loop

CODE = "ACMR demo code (sunpeng981712364/ACMR_demo)"


@dataclass(frozen=True)
class ACMRParams:
    """ACMR's hyper-parameters (the official demo's triplet variant)."""

    label_weight: float = hyperparameter(100.0, f"{CODE}: emb loss = 100 label + triplet")
    margin: float = hyperparameter(0.1, f"{CODE}, triplet margin")
    positive_weight: float = hyperparameter(5.0, f"{CODE}, alpha on the positive distance")
    adversarial_weight: float = hyperparameter(1.0, "ACMR paper Eq. 9 (0 turns L_adv off)")
    image_hidden: tuple[int, ...] = hyperparameter((4096, 1000), f"{CODE}, NUS-WIDE model")
    text_hidden: tuple[int, ...] = hyperparameter((1000, 300), f"{CODE}, NUS-WIDE model")
    classifier_hidden: tuple[int, ...] = hyperparameter((20, 10), f"{CODE}, domain classifier")
    epochs: int = hyperparameter(50, f"{CODE}, triplet variant")
    batch_size: int = hyperparameter(64, f"{CODE}, batch size")
    lr: float = hyperparameter(1e-4, f"{CODE}, Adam learning rate")
    beta1: float = hyperparameter(0.5, f"{CODE}, Adam beta1")
    weight_decay: float = hyperparameter(0.0, f"{CODE}: L_reg is not in the triplet loss")


def triplet_loss(
    anchors: torch.Tensor,
    candidates: torch.Tensor,
    relevant: torch.Tensor,
    margin: float,
    positive_weight: float,
    exclude_self: bool,
) -> torch.Tensor:
    """Mean of [m + alpha d(a, p) - d(a, n)]_+ over every valid triplet of the batch.

    Args:
        anchors, candidates: (B, L) embeddings; row i of each comes from item i.
        relevant: (B, B) bool, True where anchor i and candidate j share a label.
        exclude_self: drop candidate i as a positive of anchor i (same modality).
    """
    distance = torch.cdist(anchors, candidates).pow(2) / 2
    positive = relevant.clone()
    if exclude_self:
        positive.fill_diagonal_(False)
    valid = positive[:, :, None] & ~relevant[:, None, :]
    hinge = F.relu(margin + positive_weight * distance[:, :, None] - distance[:, None, :])
    return (hinge * valid).sum() / valid.sum().clamp(min=1)


@register_method("acmr")
class ACMR(TorchMethod):
    """Supervised common-space learning with an adversarial modality classifier."""

    info = MethodInfo(
        title="Adversarial Cross-Modal Retrieval",
        authors="B. Wang, Y. Yang, X. Xu, A. Hanjalic, H. T. Shen",
        venue="ACM MM 2017",
        code="https://github.com/sunpeng981712364/ACMR_demo",
        supervised=True,
        short_name="ACMR",
    )
    Params = ACMRParams
    quick_settings: ClassVar[dict[str, Any]] = {
        "epochs": 15,
        "image_hidden": (128,),
        "text_hidden": (128,),
    }

    def fit(
        self, data: PairedSet, *, device: str = "cpu", seed: int = 0, progress: bool = False
    ) -> None:
        p = self.params
        generator, tensors = start_training(self, data, device, seed)
        n_labels = tensors["labels"].shape[1]
        projectors = {
            modality: nn.Sequential(
                mlp(getattr(data, modality).shape[1], hidden, self.bits, activation=nn.Tanh),
                nn.Tanh(),
            ).to(self.device)
            for modality, hidden in (("image", p.image_hidden), ("text", p.text_hidden))
        }
        label_classifier = nn.Linear(self.bits, n_labels).to(self.device)
        modality_classifier = mlp(self.bits, p.classifier_hidden, 1).to(self.device)
        modules = [*projectors.values(), label_classifier, modality_classifier]
        config = LoopConfig.from_params(p)
        steps_per_epoch = max(1, len(data) // min(p.batch_size, len(data)))
        total_steps = p.epochs * steps_per_epoch
        step = 0

        def loss_fn(batch: torch.Tensor, epoch: int) -> torch.Tensor:
            nonlocal step
            labels = tensors["labels"][batch]
            v = projectors["image"](tensors["image"][batch])
            t = projectors["text"](tensors["text"][batch])
            relevant = labels @ labels.T > 0
            label_loss = sum(
                F.binary_cross_entropy_with_logits(label_classifier(e), labels, reduction="sum")
                for e in (v, t)
            ) / len(batch)
            structure = sum(
                triplet_loss(a, c, relevant, p.margin, p.positive_weight, same)
                for a, c, same in ((v, t, False), (t, v, False), (v, v, True), (t, t, True))
            )
            scale = reversal_scale(step / total_steps)
            step += 1
            embeddings = reverse_gradient(torch.cat([v, t]), scale)
            modality = torch.cat([torch.ones(len(v)), torch.zeros(len(t))]).to(self.device)
            adversarial = F.binary_cross_entropy_with_logits(
                modality_classifier(embeddings).squeeze(1), modality
            )
            return p.label_weight * label_loss + structure + p.adversarial_weight * adversarial

        self.history = run_training_loop(
            modules,
            loss_fn,
            n=len(data),
            config=config,
            device=self.device,
            generator=generator,
            progress=progress,
            desc=f"acmr {self.bits} bits",
        )
        with torch.no_grad():
            self.networks = {
                modality: nn.Sequential(net, Centre(net(tensors[modality]).mean(0))).eval()
                for modality, net in projectors.items()
            }
