"""A 95% interval of a run's mAP@all: a two-stage bootstrap, seeds, then queries.

A run's mAP@all in a column (dataset, code length, direction) is the mean of its
seeds x queries matrix of AP; it is uncertain because of which seeds trained the run
and which queries scored it. Each replicate draws the run's seeds with replacement,
then the queries with replacement (one draw for all drawn seeds: every seed is scored
on the same query set), and takes the mean of the drawn seeds' AP over the drawn
queries; the interval is the 2.5th and 97.5th percentile over :data:`RESAMPLES`
replicates. The generator is seeded (:data:`SEED`), so an interval is reproducible to
the digit; the runs of a column share the query draws.

Two known biases, measured in the tests' simulations: the seed stage also redraws the
seed x query noise that the query stage already holds, so where that noise dominates
(no systematic seed effect) the interval is wider than it should be; with the field's
usual three seeds a real seed effect is seen only in part (drawing from n seeds shrinks
their variance by (n - 1) / n). The paired test (:mod:`cmhbench.stats.paired`)
separates the two by their variance components instead.
"""

from __future__ import annotations

import numpy as np

RESAMPLES = 2000
LEVEL = 0.95
SEED = 0


def intervals(
    samples: dict[str, np.ndarray],
    *,
    level: float = LEVEL,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> dict[str, tuple[float, float]]:
    """{run: (low, high)} of each run's mean; ``samples``: {run: seeds x queries}, the
    same queries in the same order for every run."""
    queries = {values.shape[1] for values in samples.values()}
    if len(queries) > 1:
        raise ValueError(f"runs of one column must share their queries, got {sorted(queries)}")
    count = next(iter(queries), 0)
    rng = np.random.default_rng(seed)
    drawn = _draw_shares(rng, resamples, count)  # shared by the runs: paired
    runs = list(samples)
    # replicate x (run, seed): each seed's mean over the drawn queries, in one product
    per_seed = drawn @ np.vstack([samples[run] for run in runs]).T
    found, start = {}, 0
    for run in runs:
        seeds = samples[run].shape[0]
        weights = _draw_shares(rng, resamples, seeds)
        means = np.einsum("rs,rs->r", weights, per_seed[:, start : start + seeds])
        found[run] = _percentiles(means, level)
        start += seeds
    return found


def _draw_shares(rng: np.random.Generator, resamples: int, items: int) -> np.ndarray:
    """``resamples`` draws of ``items`` items out of ``items`` with replacement, each as
    the share of the draw that fell on each item (resamples x items)."""
    drawn = rng.integers(0, items, size=(resamples, items))
    offsets = np.arange(resamples)[:, None] * items
    counts = np.bincount((drawn + offsets).ravel(), minlength=resamples * items)
    return counts.reshape(resamples, items) / items


def _percentiles(replicates: np.ndarray, level: float) -> tuple[float, float]:
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(replicates, [tail, 100 - tail])
    return float(low), float(high)
