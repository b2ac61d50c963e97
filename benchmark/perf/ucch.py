"""UCCH training speed: cmhbench's implementation against a loop shaped like the official one.

Both train UCCH (feature input, the default 8192-wide networks) on the same data for
the same epochs, each in a fresh process so that its peak memory is its own:

* ``cmhbench``: :class:`cmhbench.methods.ucch.UCCH` (data and memory bank on the
  device, negatives sampled in one call per step, logits by one product and a
  gather, fused Adam, nothing else per epoch).
* ``official-style``: the same losses in a loop structured as penghu-cs/UCCH's
  ``UCCH.py``: a per-item ``Dataset`` behind a shuffling ``DataLoader``, the sampled
  keys gathered into a (B, K+1, L) tensor and multiplied with ``bmm``, torch's
  default Adam, and after each epoch a validation pass (encode the first 2,000
  training items, mAP both ways) and a checkpoint of networks and optimiser
  written with ``torch.save``.

Reported: seconds per step and per epoch, training pairs per second, the time
extrapolated to 20 epochs, peak resident memory (and peak GPU memory on CUDA), and
the ratio of the two. ``--device cuda`` runs both on the GPU; the official-style
loop then moves each batch to the device, as the official code does.
"""

from __future__ import annotations

import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

if TYPE_CHECKING:
    import torch

IMPLEMENTATIONS = ("official-style", "cmhbench")


def _problem(n_train: int, image_dim: int, text_dim: int):
    from cmhbench.datasets.synthetic import SyntheticConfig, generate

    config = SyntheticConfig(
        n_items=n_train + 200, n_query=200, n_train=None, image_dim=image_dim, text_dim=text_dim
    )
    return generate(config, seed=0).part("train", with_labels=True)


def _train_cmhbench(data, bits: int, epochs: int, device: torch.device) -> None:
    from cmhbench.methods.ucch import UCCH

    UCCH(bits, epochs=epochs).fit(data, device=str(device), seed=0)


def _train_official_style(
    data, bits: int, epochs: int, device: torch.device
) -> tuple[torch.nn.Module, torch.nn.Module]:
    """The official loop's structure; returns the trained (image, text) networks."""
    import torch

    from cmhbench.methods._nets import HashMLP
    from cmhbench.methods.ucch import (
        UCCHParams,
        contrastive_loss,
        cross_modal_ranking_loss,
        in_batch_loss,
        initial_bank,
        momentum_update,
    )
    from cmhbench.metrics import evaluate_codes

    p = UCCHParams()
    torch.manual_seed(0)

    class PairDataset(torch.utils.data.Dataset):
        def __len__(self):
            return len(data)

        def __getitem__(self, i):
            return i, torch.from_numpy(data.image[i]), torch.from_numpy(data.text[i])

    loader = torch.utils.data.DataLoader(
        PairDataset(), batch_size=p.batch_size, shuffle=True, drop_last=True
    )
    image_net = HashMLP(data.image.shape[1], p.image_hidden, bits).to(device)
    text_net = HashMLP(data.text.shape[1], p.text_hidden, bits).to(device)
    parameters = [*image_net.parameters(), *text_net.parameters()]
    optimizer = torch.optim.Adam(parameters, lr=p.lr, weight_decay=p.weight_decay)
    bank = initial_bank(len(data), bits, torch.Generator().manual_seed(0)).to(device)
    temperature = p.tau * math.sqrt(bits)
    checkpoint = Path(tempfile.mkdtemp()) / "best_checkpoint.t7"
    for epoch in range(epochs):
        image_net.train()
        text_net.train()
        for idx, images, texts in loader:
            idx = idx.to(device)
            hx, hy = image_net(images.to(device)), text_net(texts.to(device))
            if epoch < p.warmup_epochs:
                contrast = in_batch_loss(hx, hy, temperature)
            else:
                indices = torch.randint(len(data), (len(idx), p.n_negatives + 1), device=device)
                indices[:, 0] = idx
                keys = (
                    torch.index_select(bank, 0, indices.view(-1))
                    .view(len(idx), p.n_negatives + 1, bits)
                    .sign()
                )
                contrast = cast(
                    torch.Tensor,
                    sum(
                        contrastive_loss(torch.bmm(keys, h.unsqueeze(2)).squeeze(2) / temperature)
                        for h in (hx, hy)
                    ),
                )
            momentum_update(bank, idx, hx, hy, 0.0 if epoch < p.warmup_epochs else p.momentum)
            ranking = cross_modal_ranking_loss(hx, hy, p.margin, p.shift, p.kappa)
            loss = p.alpha * contrast + (1 - p.alpha) * ranking
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(parameters, p.grad_clip)
            optimizer.step()
        image_net.eval()
        text_net.eval()
        with torch.no_grad():
            rows = slice(0, p.validation_size)
            image = image_net(torch.from_numpy(data.image[rows]).to(device)).sign().cpu().numpy()
            text = text_net(torch.from_numpy(data.text[rows]).to(device)).sign().cpu().numpy()
        labels = data.labels[rows]
        for q, r in ((image, text), (text, image)):
            evaluate_codes(q, r, labels, labels, map_k=(), topk=(), zero_relevant="exclude")
        torch.save(
            {
                "image_model_state_dict": image_net.state_dict(),
                "text_model_state_dict": text_net.state_dict(),
                "optimizer_state_dict": optimizer.state_dict(),
            },
            checkpoint,
        )
    return image_net, text_net


def _measure(
    implementation: str,
    n_train: int,
    image_dim: int,
    text_dim: int,
    bits: int,
    epochs: int,
    device_spec: str,
) -> dict:
    """Train once in this process; return times and the peak memory."""
    import torch

    from cmhbench.training import resolve_device

    device = resolve_device(device_spec)
    data = _problem(n_train, image_dim, text_dim)
    train = _train_cmhbench if implementation == "cmhbench" else _train_official_style
    start = time.perf_counter()
    train(data, bits, epochs, device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - start
    steps = epochs * (n_train // 256)
    return {
        "implementation": implementation,
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "seconds": seconds,
        "step_s": seconds / steps,
        "epoch_s": seconds / epochs,
        "pairs_per_s": epochs * n_train / seconds,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_gpu_mb": (
            torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None
        ),
    }


@click.command()
@click.option("--train", "n_train", default=1800, show_default=True, help="Training pairs.")
@click.option("--image-dim", default=240, show_default=True)
@click.option("--text-dim", default=76, show_default=True)
@click.option("--bits", default=64, show_default=True)
@click.option("--epochs", default=3, show_default=True, help="Epochs timed (warm-up included).")
@click.option(
    "--device", "device_spec", default="cpu", show_default=True, help="cpu, cuda, cuda:N or auto."
)
@click.option("--only", type=click.Choice(IMPLEMENTATIONS), default=None, hidden=True)
def ucch_benchmark(
    n_train: int,
    image_dim: int,
    text_dim: int,
    bits: int,
    epochs: int,
    device_spec: str,
    only: str | None,
) -> None:
    """UCCH training: cmhbench against an official-style loop, each in its own process."""
    sizes = (n_train, image_dim, text_dim, bits, epochs, device_spec)
    if only:
        click.echo(json.dumps(_measure(only, *sizes)))
        return
    options = ("--train", "--image-dim", "--text-dim", "--bits", "--epochs", "--device")
    results = {}
    for implementation in IMPLEMENTATIONS:
        command = [sys.executable, "-m", "cmhbench.perf", "ucch", "--only", implementation]
        command += [f"{option}={value}" for option, value in zip(options, sizes, strict=True)]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        results[implementation] = json.loads(output.strip().splitlines()[-1])
    click.echo(
        f"UCCH, {n_train} pairs ({image_dim}-d image, {text_dim}-d text), {bits} bits, "
        f"{epochs} epochs timed on {results['cmhbench']['device']}"
    )
    for implementation, r in results.items():
        gpu = f", GPU peak {r['peak_gpu_mb']:.0f} MiB" if r["peak_gpu_mb"] is not None else ""
        click.echo(
            f"{implementation:>15}: {r['step_s']:.3f} s/step  {r['epoch_s']:.2f} s/epoch  "
            f"{r['pairs_per_s']:.0f} pairs/s  20 epochs ~ {20 * r['epoch_s']:.1f} s  "
            f"peak {r['peak_mb']:.0f} MiB{gpu}"
        )
    speedup = results["official-style"]["seconds"] / results["cmhbench"]["seconds"]
    memory = results["official-style"]["peak_mb"] / results["cmhbench"]["peak_mb"]
    click.echo(f"cmhbench is {speedup:.2f}x faster and uses {memory:.2f}x less peak memory")
