"""What every deep method shares: devices, seeding, mini-batches, the training loop.

A deep method writes its networks and its loss; :func:`train` does the rest
(optimiser, shuffled mini-batches indexed from tensors already on the device,
gradient clipping, a tqdm bar, the loss history, and a clear error when the loss
becomes NaN or infinite). :class:`TorchMethod` gives such methods ``encode``.
"""

from __future__ import annotations

import dataclasses
import math
import random
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import numpy as np
import torch
from tqdm.auto import tqdm

from cmhbench.data import Modality, PairedSet
from cmhbench.errors import CellTimeout, CmhbenchError, DivergenceError
from cmhbench.method import Method, as_sign_codes
from cmhbench.progress import EpochLines, epoch_progress


def resolve_device(spec: str = "auto") -> torch.device:
    """'auto' means the first CUDA device when one is present, else the CPU."""
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(spec)
    except (RuntimeError, ValueError):
        raise CmhbenchError(f"unknown device {spec!r}; use auto, cpu, cuda or cuda:N") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise CmhbenchError(f"device {spec!r} requested but CUDA is not available")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise CmhbenchError(
                f"device {spec!r} does not exist ({torch.cuda.device_count()} CUDA devices)"
            )
    elif device.type != "cpu":
        raise CmhbenchError(f"unsupported device {spec!r}; use auto, cpu, cuda or cuda:N")
    return device


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch; return a CPU generator for data order."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def to_tensors(data: PairedSet, device: torch.device) -> dict[str, torch.Tensor]:
    """Move a training set to the device once: {'image', 'text'[, 'labels']} float32."""
    tensors = {
        "image": torch.as_tensor(data.image, device=device),
        "text": torch.as_tensor(data.text, device=device),
    }
    if data.labels is not None:
        tensors["labels"] = torch.as_tensor(data.labels, device=device).float()
    return tensors


def minibatches(
    n: int, batch_size: int, generator: torch.Generator, device: torch.device, drop_last: bool
) -> Iterator[torch.Tensor]:
    """Shuffled index batches for one epoch, as tensors on ``device``."""
    order = torch.randperm(n, generator=generator).to(device)
    stop = n - n % batch_size if drop_last and n >= batch_size else n
    for start in range(0, stop, batch_size):
        yield order[start : start + batch_size]


def random_batch(
    n: int, batch_size: int, generator: torch.Generator, device: torch.device
) -> torch.Tensor:
    """One batch of ``batch_size`` distinct indices drawn afresh (the head of a new
    permutation), as the DCMH and SSAH codes draw every step's batch; on ``device``."""
    return torch.randperm(n, generator=generator)[:batch_size].to(device)


@dataclass(frozen=True)
class LoopConfig:
    """Optimisation settings of :func:`train` (each method passes its own defaults)."""

    epochs: int
    batch_size: int
    lr: float
    weight_decay: float = 0.0
    optimizer: str = "adam"
    momentum: float = 0.9
    beta1: float = 0.9
    grad_clip: float | None = None
    drop_last: bool = True

    @classmethod
    def from_params(cls, params: object) -> LoopConfig:
        """Take every field that a method's ``Params`` also has (epochs, lr, ...)."""
        names = [f.name for f in dataclasses.fields(cls)]
        return cls(**{name: getattr(params, name) for name in names if hasattr(params, name)})


def make_optimizer(
    params: Iterable[torch.nn.Parameter] | list[dict], config: LoopConfig
) -> torch.optim.Optimizer:
    """Adam or SGD (with momentum) as named in ``config``.

    Adam uses torch's fused kernel: the same update rule, about 20 times faster than
    the default implementation on the CPU for the wide MLPs of UCCH.
    """
    if config.optimizer == "adam":
        return torch.optim.Adam(
            params,
            lr=config.lr,
            betas=(config.beta1, 0.999),
            weight_decay=config.weight_decay,
            fused=True,
        )
    if config.optimizer == "sgd":
        return torch.optim.SGD(
            params, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay
        )
    raise CmhbenchError(f"unknown optimizer {config.optimizer!r}; use adam or sgd")


_DEADLINE: ContextVar[tuple[float, float] | None] = ContextVar("cmhbench_deadline", default=None)


@contextmanager
def cell_deadline(limit_s: float | None) -> Iterator[None]:
    """Within the block, :func:`check_finite` (called at every training step of every
    method) raises :class:`CellTimeout` once ``limit_s`` seconds have passed."""
    token = _DEADLINE.set(None if limit_s is None else (time.monotonic() + limit_s, limit_s))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def check_finite(loss: torch.Tensor, epoch: int, step: int) -> float:
    """The loss as a float; raises :class:`DivergenceError` when it is NaN or infinite,
    and :class:`CellTimeout` past the cell's deadline."""
    value = float(loss.detach())
    if not math.isfinite(value):
        raise DivergenceError(epoch, step, value)
    deadline = _DEADLINE.get()
    if deadline is not None and time.monotonic() > deadline[0]:
        raise CellTimeout(deadline[1], epoch, step)
    return value


def epoch_bar(epochs: int, desc: str, progress: bool) -> tqdm | EpochLines:
    """Progress over epochs on stderr (:func:`cmhbench.progress.epoch_progress`): a bar
    on a terminal, a line every few minutes in a log, nothing unless ``progress``."""
    return epoch_progress(epochs, desc, progress)


def train(
    modules: list[torch.nn.Module],
    loss_fn: Callable[[torch.Tensor, int], torch.Tensor],
    *,
    n: int,
    config: LoopConfig,
    device: torch.device,
    generator: torch.Generator,
    progress: bool = False,
    desc: str = "train",
    param_groups: list[dict] | None = None,
    on_epoch_end: Callable[[int], None] | None = None,
) -> list[float]:
    """Run the standard loop: shuffle, batch, loss, backward, clip, step.

    Args:
        modules: the networks being trained (put in train mode).
        loss_fn: called as ``loss_fn(batch_indices, epoch)``; returns a scalar loss.
            It may update non-gradient state (a memory bank) as a side effect.
        n: number of training items.
        config: optimiser and schedule.
        device: where the batches live.
        generator: the seeded generator that orders the batches.
        progress: show a tqdm bar over epochs with the running loss and an ETA.
        desc: the bar's label.
        param_groups: optimiser parameter groups (e.g. a learning rate per network);
            defaults to all parameters of ``modules``.
        on_epoch_end: called with the epoch number after each epoch (networks in
            eval mode), e.g. for model selection.

    Returns:
        The mean loss of each epoch.
    """
    if n < 1:
        raise CmhbenchError("the training set is empty")
    batch_size = min(config.batch_size, n)
    parameters: list[torch.nn.Parameter] | list[dict] = [p for m in modules for p in m.parameters()]
    if param_groups:
        parameters = param_groups
    optimizer = make_optimizer(parameters, config)
    clip_params = [p for m in modules for p in m.parameters()]
    history: list[float] = []
    bar = epoch_bar(config.epochs, desc, progress)
    for epoch in bar:
        for module in modules:
            module.train()
        total, steps = 0.0, 0
        for batch in minibatches(n, batch_size, generator, device, config.drop_last):
            loss = loss_fn(batch, epoch)
            value = check_finite(loss, epoch, steps)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if config.grad_clip is not None:
                torch.nn.utils.clip_grad_norm_(clip_params, config.grad_clip)
            optimizer.step()
            total, steps = total + value, steps + 1
        history.append(total / max(steps, 1))
        bar.set_postfix(loss=f"{history[-1]:.4f}")
        if on_epoch_end is not None:
            for module in modules:
                module.eval()
            on_epoch_end(epoch)
    for module in modules:
        module.eval()
    return history


class TorchMethod(Method):
    """A method whose hash functions are one torch network per modality.

    Subclasses set ``self.networks = {'image': net_x, 'text': net_y}``,
    ``self.device`` and ``self.history`` in ``fit``; ``encode`` runs the network and
    takes the sign of its output.
    """

    networks: dict[str, torch.nn.Module]
    device: torch.device = torch.device("cpu")
    history: list[float]
    encode_batch_size: int = 4096

    @torch.no_grad()
    def encode(self, features: np.ndarray, modality: Modality) -> np.ndarray:
        if not hasattr(self, "networks"):
            raise CmhbenchError(f"{self.name}: encode() called before fit()")
        net = self.networks[modality]
        net.eval()
        outputs = []
        for start in range(0, features.shape[0], self.encode_batch_size):
            chunk = torch.as_tensor(features[start : start + self.encode_batch_size])
            outputs.append(net(chunk.to(self.device)).float().cpu().numpy())
        return as_sign_codes(np.concatenate(outputs, axis=0))
