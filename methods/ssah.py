"""SSAH: Self-Supervised Adversarial Hashing, feature-input version (supervised).

C. Li, C. Deng, N. Li, W. Liu, X. Gao, D. Tao, "Self-Supervised Adversarial Hashing
Networks for Cross-Modal Retrieval", CVPR 2018. Official TensorFlow code:
https://github.com/lelan-li/SSAH (``SSAH.py``, ``tnet.py``, ``ops.py``, ``setting.py``).

Three generator networks map their input to a 512-d semantic feature F (after ReLU),
an L-bit hash output H = tanh(.) and a label prediction sigmoid(.):

* LabNet reads the multi-hot label vector: c -> 4096 -> LRN -> 512 -> heads;
* ImgNet reads image features: d_x -> 512 -> heads (the CNN-F's new fc8 onwards);
* TxtNet reads the text vector through a multi-scale fusion (average pools of width
  5s for s in 1, 2, 3, 6, 10, each scaled by one learnt weight, ReLU, and resized back
  to the input length; six channels with the input), then -> 4096 -> LRN -> 512 ->
  LRN -> heads.

With Delta = F_label F_*^T / 2 and Gamma = H_label H_*^T / 2 between the label net's
stored outputs for every training item and the batch, S_ij = 1 where items share a
label, each generator minimises (paper Sec. 3, "self-supervised semantic generation"
for LabNet, "feature learning" for ImgNet and TxtNet)

    alpha J(Delta) + gamma J(Gamma) + beta ||sign(H) - H||^2 / 2 + eta ||L - L_hat||^2 / 2
    (+ delta L_adv for ImgNet and TxtNet),

J(Theta) = -sum(S Theta - log(1 + e^Theta)), the negative log-likelihood of S,
computed stably. Two discriminators (512 -> 512 -> 256 -> 1) learn to tell LabNet's
features (real) from ImgNet's or TxtNet's (fake), and the modality nets are trained to
make theirs pass as real (L_adv, sigmoid cross-entropy), so that all three share one
semantic space. The final codes of an item are sign(H) of its modality net.

Schedule (the code, ``SSAH.py``/``setting.py``): each epoch trains LabNet for two
stages of at most 10 and 5 passes, the discriminators for two single passes, then
ImgNet and TxtNet each for three stages of at most 15, 7 and 5 passes; a pass is
n // 128 steps on random batches (78 on the code's 10,000 training pairs), and a
stage ends early when a pass's mean loss stops falling. Adam, with the rate of
stage s in epoch e equal to the start rate times 10^-(e + s)/2; start rates 10^-2
(LabNet; 10^-3 here, see below), 10^-4.5 (ImgNet), 10^-3.5 (TxtNet), 10^-3
(discriminators). The stored LabNet features and hash outputs start as N(0, 1)
draws and are refreshed batch by batch; every layer starts from N(0, 0.01^2); LRN
as TensorFlow's ``local_response_normalization(depth_radius=2, bias=2, alpha=1e-4,
beta=0.75)``; alpha = beta = gamma = eta = delta = 1.

Two behaviours of the code differ from the paper; both are options:

* ``likelihood``: ``"nll"`` (default, the paper's J above) or ``"squared"`` (the
  code: (S Theta - log(1 + e^Theta))^2 / 2 summed, the NLL's terms squared, with
  S = 0.999 for label-sharing pairs as in ``calc_neighbor``).
* ``adversarial``: ``"paper"`` (default) passes the batch's own features to the
  discriminator, so L_adv's gradient trains ImgNet and TxtNet as the paper describes.
  ``"code"`` reproduces the release: the discriminators read stored (detached)
  features, so L_adv never reaches ImgNet or TxtNet, and the modality step's
  optimiser instead moves the discriminator towards calling those features real.
  The paper's behaviour is the default because it is the method the paper evaluates
  and describes; the release's is kept to reproduce its numbers.

Deviations:

* Epochs: 5, where ``setting.py`` says 500. Every rate falls by sqrt(10) per
  epoch, so by epoch 5 each is below 1/300 of its start (the code's rate lists run
  out at epoch ~190, where its loop would stop with an IndexError).
* A pass is at least ``steps_per_pass`` = 78 steps (the code's 10,000 / 128) on
  smaller training sets. The code draws each batch independently, so a pass is a
  number of updates, not a sweep over the data, and its rates were set for that
  many; with n // 128 steps on ``synthetic``'s 512 pairs (4 per pass) ImgNet and
  TxtNet barely move (mAP 0.24 / 0.30 at 16 bits after 10 epochs; 0.64 / 0.64 with
  78 steps after 2).
* LabNet's start rate is 10^-3, not 10^-2. At 10^-2 one Adam step moves each
  weight by the scale of its N(0, 0.01^2) start, and on single-label data (most
  pairs dissimilar) LabNet's ReLU units die within a few steps: on ``uci-mfeat``
  0.3% of its semantic units stay active and its own codes score mAP 0.21 between
  label vectors; at 10^-3 they score 1.00 after 200 steps.
* The early stop of a stage compares the mean training loss of consecutive passes
  (the code compares its own monitoring losses, computed once per pass or every
  other pass on the stored matrices).
* The resized multi-scale channels are linearly interpolated with half-pixel
  centres (PyTorch's ``interpolate``); TensorFlow 1's ``resize_images`` maps corners
  without the half-pixel shift. Pool widths longer than the text vector are left out
  (the code needs d_y >= 50).
* The discriminator's dropout is left out: the code always feeds keep_prob = 1.
* In ``adversarial="code"`` mode both discriminators read the batch's detached
  features (the code feeds ImgNet's whole stored feature matrix but TxtNet's batch).
* One Adam per network, each with its own step count. The code (lelan-li/SSAH at
  8780b20, ``SSAH.py`` lines 134-144) applies one TensorFlow 1 ``AdamOptimizer`` to
  LabNet, ImgNet and TxtNet; their moment estimates are per variable, but TF 1 keeps
  one ``beta1_power``/``beta2_power`` pair per optimiser, advanced by every network's
  steps. ImgNet and TxtNet therefore start after LabNet's first stages with almost no
  bias correction, and for a steady gradient their step is (1 - 0.9^t) /
  sqrt(1 - 0.999^t) times the corrected one after their t-th update: 3.2 at t = 1,
  6.5 near t = 10, 1.3 at t = 1,000. The paper says only "Adam"; PyTorch's
  per-optimiser count is the default, and ``adam_steps="shared"`` gives the three
  networks' Adam one step count, as the code's (TensorFlow's epsilon, added to
  sqrt(v) before the bias correction of the rate, is not reproduced).

Computation (version 2; the same functions as version 1 up to float rounding; one
epoch on ``uci-mfeat`` is 1.41x and on ``synthetic`` 1.26x faster on 2 CPU cores,
``python -m cmhbench.perf methods --against``): the multi-scale text layer is applied
in factorised form (``_ssah_nets.MultiScaleText``), LabNet runs once per distinct
label vector of a batch and its outputs are gathered back, and a stage computes no
gradients for parameters it does not move (the discriminator during ImgNet's and
TxtNet's steps, whose gradient flows through it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, cast

import torch
import torch.nn.functional as F
from torch import nn

from cmhbench.data import PairedSet
from cmhbench.method import MethodInfo, hyperparameter
from cmhbench.methods._losses import half_squared, pairwise_likelihood
from cmhbench.methods._nets import mlp, normal_init_, start_training
from cmhbench.methods._ssah_nets import (
    FeatureLRN,
    MultiScalePools,
    MultiScaleText,
    SemanticHashNet,
)
from cmhbench.registry import register_method
from cmhbench.training import TorchMethod, check_finite, epoch_bar, random_batch

CODE = "SSAH official code (lelan-li/SSAH)"


@dataclass(frozen=True)
class SSAHParams:
    """SSAH's hyper-parameters (paper and official code)."""

    alpha: float = hyperparameter(1.0, f"{CODE}, setting.py")
    beta: float = hyperparameter(1.0, f"{CODE}, setting.py")
    gamma: float = hyperparameter(1.0, f"{CODE}, setting.py")
    eta: float = hyperparameter(1.0, f"{CODE}, setting.py")
    delta: float = hyperparameter(1.0, f"{CODE}, setting.py")
    likelihood: Literal["nll", "squared"] = hyperparameter(
        "nll", "SSAH paper (the code squares it: 'squared')"
    )
    adversarial: Literal["paper", "code"] = hyperparameter(
        "paper", "SSAH paper (the release: 'code')"
    )
    semantic_dim: int = hyperparameter(512, f"{CODE}, SEMANTIC_EMBED")
    hidden: int = hyperparameter(4096, f"{CODE}, tnet.py LabNet and TxtNet first layer")
    text_scales: tuple[int, ...] = hyperparameter((1, 2, 3, 6, 10), f"{CODE}, MultiScaleTxt")
    epochs: int = hyperparameter(5, "SSAH code's rates fall by sqrt(10) per epoch; see module")
    batch_size: int = hyperparameter(128, f"{CODE}, setting.py")
    steps_per_pass: int = hyperparameter(78, f"{CODE}: 10,000 training pairs // 128; see module")
    label_passes: tuple[int, ...] = hyperparameter((10, 5), f"{CODE}, k_lab_net / (stage+1)")
    discriminator_passes: tuple[int, ...] = hyperparameter((1, 1), f"{CODE}, k_dis_net")
    image_passes: tuple[int, ...] = hyperparameter((15, 7, 5), f"{CODE}, k_img_net / (stage+1)")
    text_passes: tuple[int, ...] = hyperparameter((15, 7, 5), f"{CODE}, k_txt_net / (stage+1)")
    lr_label: float = hyperparameter(1e-3, f"{CODE} uses 1e-2 (lr_lab); see module")
    lr_image: float = hyperparameter(10**-4.5, f"{CODE}, lr_img")
    lr_text: float = hyperparameter(10**-3.5, f"{CODE}, lr_txt")
    lr_discriminator: float = hyperparameter(1e-3, f"{CODE}, lr_dis")
    lr_decay: float = hyperparameter(10**-0.5, f"{CODE}: each rate list steps by 10^-0.5")
    init_std: float = hyperparameter(0.01, f"{CODE}, tnet.py")
    adam_steps: Literal["per-network", "shared"] = hyperparameter(
        "per-network", "PyTorch's Adam (the code's one TF 1 Adam: 'shared'); see module"
    )


def _real(logits: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))


def _fake(logits: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits))


@register_method("ssah")
class SSAH(TorchMethod):
    """Supervised hashing guided by a label network, with adversarial feature alignment."""

    info = MethodInfo(
        title="Self-Supervised Adversarial Hashing Networks for Cross-Modal Retrieval",
        authors="C. Li, C. Deng, N. Li, W. Liu, X. Gao, D. Tao",
        venue="CVPR 2018",
        code="https://github.com/lelan-li/SSAH",
        supervised=True,
        short_name="SSAH",
        version=2,  # 2: factorised text layer, LabNet per distinct label (float rounding)
    )
    Params = SSAHParams
    quick_settings: ClassVar[dict[str, Any]] = {
        "hidden": 256,
        "semantic_dim": 64,
        "steps_per_pass": 12,
        "epochs": 2,
        "lr_image": 3e-4,
        "lr_text": 3e-4,
    }

    def fit(
        self, data: PairedSet, *, device: str = "cpu", seed: int = 0, progress: bool = False
    ) -> None:
        generator, tensors = start_training(self, data, device, seed)
        training = SSAHTraining(self.params, self.bits, tensors, generator, self.device)
        self.history = training.run(progress)
        self.networks = {"image": training.nets["image"], "text": training.nets["text"]}


class SSAHTraining:
    """The state of one SSAH training run: the five networks, their optimisers, and
    LabNet's stored features and hash outputs for every training item."""

    def __init__(
        self,
        params: SSAHParams,
        bits: int,
        tensors: dict[str, torch.Tensor],
        generator: torch.Generator,
        device: torch.device,
    ):
        p = self.params = params
        self.bits, self.tensors, self.generator, self.device = bits, tensors, generator, device
        labels = tensors["labels"]
        self.n, n_labels = labels.shape
        self.batch_size = min(p.batch_size, self.n)
        self.positive = 1.0 if p.likelihood == "nll" else 0.999
        self.nets = self._networks(n_labels, tensors["image"].shape[1], tensors["text"].shape[1])
        self.discriminators = {
            modality: normal_init_(mlp(p.semantic_dim, (512, 256), 1), p.init_std).to(device)
            for modality in ("image", "text")
        }
        self.stored_feature = torch.randn(self.n, p.semantic_dim, generator=generator).to(device)
        self.stored_hash = torch.randn(self.n, bits, generator=generator).to(device)
        self.generator_steps = 0  # LabNet's, ImgNet's and TxtNet's steps together
        self.optimisers = {
            name: torch.optim.Adam(self._trained_parameters(name), fused=True)
            for name in ("label", "discriminator", "image", "text")
        }

    def _networks(self, n_labels: int, image_dim: int, text_dim: int) -> dict[str, SemanticHashNet]:
        p = self.params

        def net(front: nn.Module, front_dim: int, normalise_feature: bool) -> SemanticHashNet:
            return SemanticHashNet(
                front,
                front_dim,
                p.semantic_dim,
                self.bits,
                n_labels,
                normalise_feature,
                p.init_std,
            ).to(self.device)

        def hidden_layer(front: MultiScalePools | None, in_dim: int) -> nn.Sequential:
            linear = nn.Linear(in_dim, p.hidden)
            first = linear if front is None else MultiScaleText(front, linear)
            return nn.Sequential(first, nn.ReLU(), FeatureLRN())

        pools = MultiScalePools(text_dim, p.text_scales, p.init_std)  # first draw, as in v1
        return {
            "label": net(hidden_layer(None, n_labels), p.hidden, False),
            "image": net(nn.Identity(), image_dim, False),
            "text": net(hidden_layer(pools, pools.out_dim), p.hidden, True),
        }

    def _trained_parameters(self, name: str) -> list[nn.Parameter]:
        """What one stage's optimiser moves: its network, or both discriminators; in
        ``adversarial="code"`` mode a modality stage also moves its discriminator."""
        if name == "discriminator":
            return [q for d in self.discriminators.values() for q in d.parameters()]
        params = list(self.nets[name].parameters())
        if name != "label" and self.params.adversarial == "code":
            params += list(self.discriminators[name].parameters())
        return params

    def run(self, progress: bool) -> list[float]:
        """The code's epochs of stages; returns ImgNet's plus TxtNet's last pass loss
        of each epoch."""
        p = self.params
        schedule: list[tuple[str, tuple[int, ...], float, int]] = [
            ("label", p.label_passes, p.lr_label, 2),
            ("discriminator", p.discriminator_passes, p.lr_discriminator, 0),
            ("image", p.image_passes, p.lr_image, 3),
            ("text", p.text_passes, p.lr_text, 3),
        ]
        history: list[float] = []
        bar = epoch_bar(p.epochs, f"ssah {self.bits} bits", progress)
        for epoch in bar:
            last = {}
            for name, passes, start_lr, min_passes in schedule:
                for stage, stage_passes in enumerate(passes):
                    lr = start_lr * p.lr_decay ** (epoch + stage)
                    last[name] = self._run_stage(name, stage_passes, lr, min_passes, epoch)
            history.append(last["image"] + last["text"])
            bar.set_postfix(loss=f"{history[-1]:.4f}")
        for module in (*self.nets.values(), *self.discriminators.values()):
            module.eval().requires_grad_(True)
        return history

    def _run_stage(self, name: str, passes: int, lr: float, min_passes: int, epoch: int) -> float:
        """Up to ``passes`` passes of max(n // batch, steps_per_pass) steps; stop when a
        pass's mean loss does not fall (after ``min_passes`` passes; 0: never early).
        Returns the last pass's mean loss."""
        loss_fn = self._loss_function(name)
        optimiser = self.optimisers[name]
        for group in optimiser.param_groups:
            group["lr"] = lr
        moved = {id(q) for group in optimiser.param_groups for q in group["params"]}
        for module in (*self.nets.values(), *self.discriminators.values()):
            module.train()
            for q in module.parameters():  # no gradients for what this stage does not move
                q.requires_grad_(id(q) in moved)
        steps = max(self.n // self.batch_size, self.params.steps_per_pass)
        losses: list[float] = []
        for _ in range(passes):
            total = 0.0
            for step in range(steps):
                batch = random_batch(self.n, self.batch_size, self.generator, self.device)
                loss = loss_fn(batch)
                total += check_finite(loss, epoch, step)
                optimiser.zero_grad(set_to_none=True)
                loss.backward()
                if self.params.adam_steps == "shared" and name != "discriminator":
                    self._share_step_count(optimiser)
                optimiser.step()
            losses.append(total / steps)
            if min_passes and len(losses) > min_passes and losses[-1] >= losses[-2]:
                break
        return losses[-1]

    def _share_step_count(self, optimiser: torch.optim.Optimizer) -> None:
        """Set the Adam step count of every parameter of ``optimiser`` to the number of
        steps LabNet, ImgNet and TxtNet have taken together, as TensorFlow 1's one
        ``AdamOptimizer`` for the three does (its bias correction uses one shared
        count); the step about to be taken adds one."""
        for group in optimiser.param_groups:
            for param in group["params"]:
                state = optimiser.state[param]
                if not state:  # the state Adam would create, with the shared count
                    state["exp_avg"] = torch.zeros_like(param)
                    state["exp_avg_sq"] = torch.zeros_like(param)
                    state["step"] = torch.zeros((), dtype=torch.float32, device=param.device)
                state["step"].fill_(self.generator_steps)
        self.generator_steps += 1

    def _loss_function(self, name: str) -> Callable[[torch.Tensor], torch.Tensor]:
        if name == "label":
            return self._label_loss
        if name == "discriminator":
            return self._discriminator_loss
        return lambda batch: self._modality_loss(name, batch)

    def _generator_terms(
        self, feature: torch.Tensor, hashed: torch.Tensor, logits: torch.Tensor, batch: torch.Tensor
    ) -> torch.Tensor:
        """alpha J(Delta) + gamma J(Gamma) + beta quantisation + eta label prediction."""
        p = self.params
        labels = self.tensors["labels"]
        similarity = (labels @ labels[batch].T > 0).float() * self.positive
        delta = self.stored_feature @ feature.T / 2
        gamma = self.stored_hash @ hashed.T / 2
        return (
            p.alpha * pairwise_likelihood(delta, similarity, p.likelihood)
            + p.gamma * pairwise_likelihood(gamma, similarity, p.likelihood)
            + p.beta * half_squared(torch.sign(hashed.detach()), hashed)
            + p.eta * half_squared(labels[batch], torch.sigmoid(logits))
        )

    def _label_outputs(
        self, batch: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """LabNet's outputs for the batch, computed once per distinct label vector and
        gathered back (a batch of single-label data holds at most one per class)."""
        distinct, rows = torch.unique(self.tensors["labels"][batch], dim=0, return_inverse=True)
        feature, hashed, logits = self.nets["label"].outputs(distinct)
        return feature[rows], hashed[rows], logits[rows]

    def _label_loss(self, batch: torch.Tensor) -> torch.Tensor:
        """LabNet's terms; its batch rows of the stored outputs are refreshed first."""
        feature, hashed, logits = self._label_outputs(batch)
        self.stored_feature[batch] = feature.detach()
        self.stored_hash[batch] = hashed.detach()
        return self._generator_terms(feature, hashed, logits, batch)

    def _modality_loss(self, modality: str, batch: torch.Tensor) -> torch.Tensor:
        """ImgNet's or TxtNet's terms plus delta L_adv (its features called real)."""
        feature, hashed, logits = self.nets[modality].outputs(self.tensors[modality][batch])
        adversarial_input = feature if self.params.adversarial == "paper" else feature.detach()
        adversarial = _real(self.discriminators[modality](adversarial_input))
        return (
            self._generator_terms(feature, hashed, logits, batch) + self.params.delta * adversarial
        )

    def _discriminator_loss(self, batch: torch.Tensor) -> torch.Tensor:
        """Mean of the four sigmoid cross-entropies: LabNet's features real, ImgNet's and
        TxtNet's fake (the code's Loss_D)."""
        with torch.no_grad():
            label_feature = self._label_outputs(batch)[0]
            features = {
                m: self.nets[m].outputs(self.tensors[m][batch])[0] for m in ("image", "text")
            }
        terms = [
            _real(self.discriminators[m](label_feature))
            + _fake(self.discriminators[m](features[m]))
            for m in ("image", "text")
        ]
        return cast(torch.Tensor, sum(terms)) / 4
