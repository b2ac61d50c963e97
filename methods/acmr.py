"""ACMR: Adversarial Cross-Modal Retrieval, as a hashing baseline (supervised).

B. Wang, Y. Yang, X. Xu, A. Hanjalic, H. T. Shen, "Adversarial Cross-Modal
Retrieval", ACM MM 2017. Official demo code: https://github.com/sunpeng981712364/ACMR_demo
at 14b277f (``models/adv_crossmodal_triplet_wiki.py``, ``models/flip_gradient.py``).
Where the paper is explicit this module follows it, elsewhere the code.

ACMR learns a real-valued common space. Two feature projectors f_V, f_T (tanh MLPs)
map image and text features to it and play against a modality classifier D:

* label prediction L_imd (paper Sec. 3.2): a linear classifier on both embeddings,
  trained with the projectors (Eq. 9 minimises over its parameters too);
* structure preservation L_imi (Sec. 3.3): cross-modal triplet constraints (an image
  anchor with texts, a text anchor with images), positives sharing the anchor's
  label, negatives sharing none, with d(a, b) = ||a - b||^2 / 2 and the code's hinge
  [m + alpha d(a, p) - d(a, n)]_+ (m = 0.1, alpha = 5);
* L_emb = beta L_imd + L_imi (Eq. 7; beta = 100 in the code), weight decay as L_reg;
* L_adv (Eq. 8): D classifies which modality an embedding came from; as in the code
  D is linear, L -> L/2 -> L/4 -> modality with no activation between its layers.
  The min-max (Eq. 9) is one backward pass through a gradient-reversal layer with
  lambda_p = 2 / (1 + exp(-10 p)) - 1 (Sec. 3.5; p the fraction of training done):
  D descends L_adv, the projectors ascend it.

Optimiser (code): Adam, learning rate 1e-4, beta1 0.5, batch 64, 50 epochs. Every
layer starts as TensorFlow slim's fully-connected layers do: Glorot-uniform weights,
zero biases. Projectors (code, NUS-WIDE): image d_x -> 4096 -> 1000 -> L, text
d_y -> 1000 -> 300 -> L, tanh after every layer.

Hashing (this suite's choice, not the paper's): the common space has L dimensions
and the code of an item is the sign of its embedding minus its modality's mean
embedding over the training pairs (computed after training and kept with the
network).

Deviations:

* Multi-label data: the classifier has a sigmoid per label (binary cross-entropy
  summed over labels, mean over the batch) where the code uses softmax over single
  labels; triplets use label overlap.
* Triplets: every valid (positive, negative) of each anchor in the batch, the hinge per
  triplet (the paper's sum over triplets), averaged per anchor and summed over the
  batch's anchors. The code forms one triplet per anchor (its own pair as positive,
  the most input-similar differently-labelled item as negative) and sums the batch's
  distances before one hinge; summing over anchors keeps the code's scale, and so the
  balance its 100:1 label-to-triplet weighting was tuned for. Positives are the other
  modality's items that share the anchor's label, as the paper describes
  (``positives="label"``); ``positives="pair"`` takes the anchor's own pair, as the
  code does. On multi-label data the difference is large: with alpha = 5 on the
  positive distance, label-sharing positives pull items that share one of several
  labels together (``synthetic``, 32 bits, seed 0: 0.37 / 0.35 with ``label``,
  0.60 / 0.61 with ``pair``).
* The label classifier is trained; the code leaves it out of every optimiser's
  variable list, so it stays at its random start there.
* The adversarial term reaches the projectors, as the paper describes; the demo code
  builds that update but never runs it (its projectors never see L_adv). lambda_p
  grows per step; the code sets it once per epoch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import torch
import torch.nn.functional as F
from torch import nn

from cmhbench.data import PairedSet
from cmhbench.method import MethodInfo, hyperparameter
from cmhbench.methods._adversarial import reversal_scale, reverse_gradient
from cmhbench.methods._nets import Centre, glorot_init_, mlp, start_training
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
    positives: Literal["label", "pair"] = hyperparameter(
        "label", "ACMR paper: the other modality's items with the anchor's label"
    )
    positive_weight: float = hyperparameter(5.0, f"{CODE}, alpha on the positive distance")
    adversarial_weight: float = hyperparameter(1.0, "ACMR paper Eq. 9 (0 turns L_adv off)")
    image_hidden: tuple[int, ...] = hyperparameter((4096, 1000), f"{CODE}, NUS-WIDE model")
    text_hidden: tuple[int, ...] = hyperparameter((1000, 300), f"{CODE}, NUS-WIDE model")
    classifier_widths: tuple[float, ...] = hyperparameter(
        (0.5, 0.25), f"{CODE}, domain classifier: semantic_emb_dim / 2 and / 4 (linear)"
    )
    epochs: int = hyperparameter(50, f"{CODE}, triplet variant")
    batch_size: int = hyperparameter(64, f"{CODE}, batch size")
    lr: float = hyperparameter(1e-4, f"{CODE}, Adam learning rate")
    beta1: float = hyperparameter(0.5, f"{CODE}, Adam beta1")
    weight_decay: float = hyperparameter(0.0, f"{CODE}: L_reg is not in the triplet loss")


def triplet_loss(
    anchors: torch.Tensor,
    candidates: torch.Tensor,
    positive: torch.Tensor,
    relevant: torch.Tensor,
    margin: float,
    positive_weight: float,
) -> torch.Tensor:
    """[m + alpha d(a, p) - d(a, n)]_+ averaged over each anchor's valid triplets and
    summed over the anchors (anchors with no valid triplet add 0).

    Args:
        anchors, candidates: (B, L) embeddings of the two modalities; row i of each
            comes from item i.
        positive: (B, B) bool, True where candidate j may be anchor i's positive.
        relevant: (B, B) bool, True where anchor i and candidate j share a label
            (the negatives are the candidates that share none).
    """
    distance = torch.cdist(anchors, candidates).pow(2) / 2
    valid = positive[:, :, None] & ~relevant[:, None, :]
    hinge = F.relu(margin + positive_weight * distance[:, :, None] - distance[:, None, :])
    per_anchor = (hinge * valid).sum((1, 2)) / valid.sum((1, 2)).clamp(min=1)
    return per_anchor.sum()


def linear_classifier(bits: int, widths: tuple[float, ...]) -> nn.Sequential:
    """The code's modality classifier: linear layers of ``widths`` x L units, no
    activation between them, and one logit (a two-way softmax's difference)."""
    hidden = [max(1, round(fraction * bits)) for fraction in widths]
    return mlp(bits, hidden, 1, activation=nn.Identity)


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
        version=2,  # 2: the code's linear modality classifier, cross-modal triplets summed
    )
    Params = ACMRParams
    quick_settings: ClassVar[dict[str, Any]] = {
        "epochs": 40,
        "image_hidden": (256,),
        "text_hidden": (256,),
        "lr": 3e-4,
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
        modality_classifier = linear_classifier(self.bits, p.classifier_widths).to(self.device)
        own_pair = torch.eye(p.batch_size, dtype=torch.bool, device=self.device)
        modules = [*projectors.values(), label_classifier, modality_classifier]
        for module in modules:
            glorot_init_(module)
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
            positive = relevant if p.positives == "label" else own_pair[: len(batch), : len(batch)]
            structure = triplet_loss(
                v, t, positive, relevant, p.margin, p.positive_weight
            ) + triplet_loss(t, v, positive, relevant, p.margin, p.positive_weight)
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
