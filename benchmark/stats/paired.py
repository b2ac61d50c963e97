"""Two runs on the same queries, and a column's runs against its best.

**The test.** Each run's AP in a column is a seeds x queries matrix, the queries shared
by both runs (paired), each run's seeds its own (pooled). The difference of the two
mAP values has a variance of two parts, estimated from the matrices (a two-way
random-effects decomposition by the method of moments):

* the queries': the sample variance of the per-query differences of seed-averaged
  AP, over the number of queries (it holds the seed x query noise too, since it is
  averaged over the seeds of each run);
* each run's systematic seed effect: the variance of its seed means, less the share of
  the seed x query noise in it (the two-way residual mean square over the number of
  queries), floored at 0, over its number of seeds (0 with one seed: it cannot be
  estimated).

The difference over the root of the variance is referred to Student's t with the
Welch-Satterthwaite degrees of freedom (queries - 1 for the first part, seeds - 1 for
each seed part), two-sided (``scipy.stats.t``). Without a seed part this is exactly the
paired t-test over queries of the seed-averaged AP (``scipy.stats.ttest_rel``; the
tests check it), which information retrieval's comparison of tests found to agree with
the randomization test and the bootstrap (Smucker, Allan & Carterette, CIKM 2007);
with one, the few seeds' degrees of freedom make it as cautious as three seeds
warrant. The tests' simulations measure its error rates with and without seed
effects.

**A column.** Within a column (dataset, code length, direction) every run is compared
with the run of the highest mean; the p-values are adjusted by Holm's step-down method
(:func:`holm`), which holds the family-wise error rate at :data:`ALPHA` without
assuming the comparisons independent. A run whose adjusted
p-value is at least :data:`ALPHA` is not significantly below the best.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ALPHA = 0.05
TEST_NAME = "paired t-test over queries with each run's seed variance, Holm-corrected"


@dataclass(frozen=True)
class Difference:
    """``first`` minus ``second`` on the same queries: the difference of their means,
    its 95% interval, the two-sided p-value and the test's degrees of freedom."""

    difference: float
    low: float
    high: float
    p_value: float
    degrees_of_freedom: float
    queries: int


def compare_runs(first: np.ndarray, second: np.ndarray) -> Difference:
    """``first`` minus ``second`` (seeds x queries each, the same queries)."""
    queries = first.shape[1]
    per_query = first.mean(axis=0) - second.mean(axis=0)
    difference = float(per_query.mean())
    parts = [(per_query.var(ddof=1) / queries, queries - 1)]
    parts += [part for part in (_seed_part(first), _seed_part(second)) if part[0] > 0]
    variance = sum(v for v, _ in parts)
    if variance == 0:  # identical per-query differences: nothing varies
        p_value = 1.0 if difference == 0 else 0.0
        return Difference(difference, difference, difference, p_value, np.inf, queries)
    import scipy.stats  # here: tables import this module, and scipy.stats loads slowly

    freedom = variance**2 / sum(v**2 / df for v, df in parts)
    scale = float(np.sqrt(variance))
    distribution = scipy.stats.t(freedom)
    margin = float(distribution.ppf(0.975)) * scale
    p_value = float(2 * distribution.sf(abs(difference) / scale))
    return Difference(
        difference, difference - margin, difference + margin, p_value, float(freedom), queries
    )


def _seed_part(samples: np.ndarray) -> tuple[float, int]:
    """(variance of the run's mean from its systematic seed effect, its degrees of
    freedom): 0 with one seed."""
    seeds, queries = samples.shape
    if seeds < 2:
        return 0.0, 1
    seed_means = samples.mean(axis=1)
    residual = samples - seed_means[:, None] - samples.mean(axis=0) + samples.mean()
    noise = float((residual**2).sum()) / ((seeds - 1) * (queries - 1))
    effect = max(0.0, float(seed_means.var(ddof=1)) - noise / queries)
    return effect / seeds, seeds - 1


def holm(p_values: list[float]) -> list[float]:
    """Holm-adjusted p-values (family-wise error rate), in the given order: the i-th
    smallest of m times (m - i + 1), made non-decreasing, at most 1. Written here
    because ``statsmodels.stats.multitest.multipletests`` runs the garbage collector
    on every call (110 ms a column here, a fifth of the reference grid's statistics);
    the tests check it against statsmodels."""
    if not p_values:
        return []
    values = np.asarray(p_values, dtype=np.float64)
    order = np.argsort(values, kind="stable")
    scaled = values[order] * (len(values) - np.arange(len(values)))
    adjusted = np.empty_like(values)
    adjusted[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return [float(p) for p in adjusted]


def against_the_best(samples: dict[str, np.ndarray]) -> dict[str, float]:
    """{run: Holm-adjusted p-value of the column's best run against it}; the best run
    (highest mean) has 1.0. ``samples``: {run: seeds x queries}, the same queries."""
    best = max(samples, key=lambda run: float(samples[run].mean()))
    others = [run for run in samples if run != best]
    raw = [compare_runs(samples[best], samples[run]).p_value for run in others]
    return {best: 1.0, **dict(zip(others, holm(raw), strict=True))}
