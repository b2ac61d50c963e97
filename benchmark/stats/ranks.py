"""Ranks of runs across the cases of a grid: Friedman's test and the Nemenyi post-hoc
test, as Demšar (JMLR 2006) recommends for comparing several methods over many cases.

A case is a (dataset, code length, direction) column; a run's value in it is its mean
over seeds. In each case the runs are ranked (1 = highest, ties sharing the mean
rank), and the ranks are averaged over the cases. Friedman's test
(``scipy.stats.friedmanchisquare``) asks whether the average ranks differ more than
chance would make them (with two runs it is the two-sided sign test,
``scipy.stats.binomtest``, over the cases they do not tie); the Nemenyi test
(``scikit_posthocs.posthoc_nemenyi_friedman``) gives the p-value of every pair, and
two runs differ at level alpha when their average ranks are farther apart than the
critical difference CD = q_alpha sqrt(k (k + 1) / (6 N)) for k runs and N cases, q_alpha
the studentized range quantile over sqrt 2 (Demšar's Table 5;
``scipy.stats.studentized_range``).

Only runs present in every case are ranked (a rank over fewer cases would not be
comparable); the others are named as left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.stats

from cmhbench.errors import CmhbenchError

ALPHA = 0.05


@dataclass(frozen=True)
class RankTest:
    """Average ranks (1 = best; ascending), the Friedman test, pairwise Nemenyi
    p-values, the critical difference at ``alpha``, and the runs left out for lacking
    a case."""

    mean_ranks: pd.Series
    cases: int
    friedman_statistic: float
    friedman_p: float
    nemenyi: pd.DataFrame
    critical_difference: float
    alpha: float
    left_out: list[str]


def case_matrix(frame: pd.DataFrame) -> pd.DataFrame:
    """Cases (dataset, bits, direction) x runs of the mean value over seeds, from a
    record frame's rows of one metric (finished cells only)."""
    ok = frame[frame["status"].eq("ok")]
    means = ok.groupby(["dataset", "bits", "direction", "method"])["value"].mean()
    return means.unstack("method")


def critical_difference(runs: int, cases: int, alpha: float = ALPHA) -> float:
    """The Nemenyi critical difference of average ranks for ``runs`` runs over ``cases``."""
    q_alpha = scipy.stats.studentized_range.ppf(1 - alpha, runs, np.inf) / np.sqrt(2)
    return float(q_alpha * np.sqrt(runs * (runs + 1) / (6 * cases)))


def rank_test(matrix: pd.DataFrame, alpha: float = ALPHA) -> RankTest:
    """Friedman and Nemenyi over the cases (rows) of ``matrix`` for the runs (columns)
    present in every case.

    Raises:
        CmhbenchError: fewer than two runs have every case, or there are fewer than
            two cases.
    """
    complete = matrix.dropna(axis=1, how="any")
    left_out = sorted(set(matrix.columns) - set(complete.columns))
    if complete.shape[1] < 2 or complete.shape[0] < 2:
        raise CmhbenchError(
            f"a rank comparison needs at least two methods over at least two cases; "
            f"found {complete.shape[1]} method(s) in all of {complete.shape[0]} case(s)"
            + (f" ({', '.join(left_out)} lack some case)" if left_out else "")
        )
    import scikit_posthocs

    ranks = complete.rank(axis=1, ascending=False)
    mean_ranks = ranks.mean().sort_values()
    values = [complete[run].to_numpy() for run in complete.columns]
    if len(values) == 2:
        wins = int((values[0] > values[1]).sum())
        untied = wins + int((values[0] < values[1]).sum())
        statistic = float(wins)
        p_value = float(scipy.stats.binomtest(wins, untied).pvalue) if untied else 1.0
    else:
        result = scipy.stats.friedmanchisquare(*values)
        statistic, p_value = float(result.statistic), float(result.pvalue)
    nemenyi = scikit_posthocs.posthoc_nemenyi_friedman(complete.reset_index(drop=True))
    return RankTest(
        mean_ranks=mean_ranks,
        cases=complete.shape[0],
        friedman_statistic=statistic,
        friedman_p=p_value,
        nemenyi=nemenyi,
        critical_difference=critical_difference(complete.shape[1], complete.shape[0], alpha),
        alpha=alpha,
        left_out=left_out,
    )
