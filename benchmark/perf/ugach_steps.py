"""UGACH's batched adversarial steps against the official code's one-sample steps.

The official code takes one SGD step per triplet (D) and per query (G) in the
adversarial stage. cmhbench's UGACH takes ``batch_size`` of them per step, with their
losses summed and the weight decay applied as often as the code would, so that a step
moves the networks as far as the code's steps would to first order. This benchmark
measures how close that is, and what it saves: from one state (D after
``--pretrain-epochs`` passes of pre-training, G at initialisation) and with the same
draws, it makes one D pass over a round's triplets and one G pass over the queries

* ``per-sample``: batch size 1, the official code's stepping;
* ``batched``: ``--batch-size`` samples per step (cmhbench's default);
* ``averaged``: the same batches with the loss averaged and the weight decay applied
  once per step (UGACH version 1; D only, as G never had another path);

and prints per stepping and network the seconds per pass, the speed-up over
``per-sample``, and how the movement of the weights (after minus before) compares
with ``per-sample``'s: relative error ``||d - d_ref|| / ||d_ref||``, cosine and norm
ratio.
"""

from __future__ import annotations

import copy
import time

import click


def _movement(before: list, after: list):
    import torch

    return torch.cat([(a - b).ravel() for a, b in zip(after, before, strict=True)])


def _compare(delta, reference) -> dict[str, float]:
    import torch

    return {
        "relative_error": float((delta - reference).norm() / reference.norm()),
        "cosine": float(torch.nn.functional.cosine_similarity(delta, reference, dim=0)),
        "norm_ratio": float(delta.norm() / reference.norm()),
    }


@click.command()
@click.option("--dataset", default="uci-mfeat", show_default=True)
@click.option("--bits", default=32, show_default=True, type=click.IntRange(min=1))
@click.option("--batch-size", default=32, show_default=True, type=click.IntRange(min=2))
@click.option("--pretrain-epochs", default=2, show_default=True, type=click.IntRange(min=0))
@click.option("--hidden", default=8192, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=0, show_default=True)
def ugach_steps_benchmark(
    dataset: str, bits: int, batch_size: int, pretrain_epochs: int, hidden: int, seed: int
) -> None:
    """One adversarial D pass and G pass of UGACH, per-sample against batched."""
    import torch
    from tabulate import tabulate

    from cmhbench.methods._nets import start_training
    from cmhbench.methods.ugach import UGACH, PairNets, UGACHTraining
    from cmhbench.run.cell import dataset_views

    data = dataset_views(dataset, None, 0)[False].part("train")
    method = UGACH(bits, hidden=hidden, pretrain_epochs=pretrain_epochs)
    params = method.params
    rng, tensors = start_training(method, data, "cpu", seed)
    dims = (data.image.shape[1], data.text.shape[1])
    nets = [PairNets(*dims, hidden, bits, params.init_std) for _ in range(2)]
    training = UGACHTraining(params, bits, tensors, rng, *nets)
    training.pretrain()
    triplets = training.adversarial_triplets("i2t")
    draws = training.generator_samples("i2t")
    start_state = copy.deepcopy(training)

    def run_pass(network: str, batch: int, per_sample: bool) -> tuple[float, torch.Tensor]:
        trial = copy.deepcopy(start_state)
        nets = trial.discriminator if network == "D" else trial.generator
        before = [t.detach().clone() for t in nets.parameters()]
        start = time.perf_counter()
        if network == "D":
            trial.train_discriminator(
                triplets, "i2t", trial.d_optimizer, batch, 0, per_sample=per_sample
            )
        else:
            trial.generator_pass(*draws, "i2t", batch, 0)
        seconds = time.perf_counter() - start
        return seconds, _movement(before, [t.detach() for t in nets.parameters()])

    rows = []
    for network in ("D", "G"):
        reference_s, reference = run_pass(network, 1, True)
        rows.append([network, "per-sample (the code)", reference_s, 1.0, 0.0, 1.0, 1.0])
        steppings = [("batched", True)] + ([("averaged (v1)", False)] if network == "D" else [])
        for label, per_sample in steppings:
            seconds, delta = run_pass(network, batch_size, per_sample)
            agreement = _compare(delta, reference)
            rows.append(
                [
                    network,
                    f"{label}, {batch_size} per step",
                    seconds,
                    reference_s / seconds,
                    agreement["relative_error"],
                    agreement["cosine"],
                    agreement["norm_ratio"],
                ]
            )
    click.echo(
        f"UGACH one adversarial pass (image->text) on {dataset}, {len(data)} training "
        f"pairs, {bits} bits, hidden {hidden}, D pre-trained {pretrain_epochs} passes, "
        f"{torch.get_num_threads()} threads"
    )
    headers = ["net", "stepping", "s/pass", "speed-up", "rel. error", "cosine", "norm ratio"]
    click.echo(tabulate(rows, headers=headers, floatfmt=".4g"))
