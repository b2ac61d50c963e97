"""Two runs compared over every column they share (``cmhbench compare``).

Per column (dataset, code length, direction) the difference of the two runs' mAP@all
with its 95% interval and p-value (:func:`cmhbench.stats.paired.compare_runs`);
overall, Holm's correction over the shared columns decides in how many each run is
significantly ahead.
"""

from __future__ import annotations

from dataclasses import dataclass

from cmhbench.errors import CmhbenchError, suggest
from cmhbench.stats.paired import ALPHA, Difference, compare_runs, holm
from cmhbench.stats.samples import QuerySamples


@dataclass(frozen=True)
class ColumnComparison:
    """One shared column: the two means, the difference, and its Holm-adjusted p-value."""

    dataset: str
    bits: int
    direction: str
    first_mean: float
    second_mean: float
    difference: Difference
    p_holm: float

    @property
    def winner(self) -> int:
        """1 or 2 when that run is significantly ahead, 0 otherwise."""
        if self.p_holm >= ALPHA:
            return 0
        return 1 if self.difference.difference > 0 else 2


def compare_over_columns(samples: QuerySamples, first: str, second: str) -> list[ColumnComparison]:
    """``first`` against ``second`` in every column both have per-query AP in.

    Raises:
        CmhbenchError: a run is not among the records, or the two share no column.
    """
    for run in (first, second):
        if run not in samples.runs():
            known = samples.runs()
            raise CmhbenchError(
                f"no records with per-query AP for {run!r}{suggest(run, known)} "
                f"(have: {', '.join(known) or 'none'})"
            )
    shared = sorted(samples.columns(first) & samples.columns(second))
    if not shared:
        raise CmhbenchError(f"{first} and {second} share no dataset, code length and direction")
    found = []
    for dataset, bits, direction in shared:
        a = samples.matrix((dataset, first, bits, direction))
        b = samples.matrix((dataset, second, bits, direction))
        found.append((dataset, bits, direction, a.mean(), b.mean(), compare_runs(a, b)))
    adjusted = holm([item[-1].p_value for item in found])
    return [
        ColumnComparison(d, bits, direction, float(ma), float(mb), diff, p)
        for (d, bits, direction, ma, mb, diff), p in zip(found, adjusted, strict=True)
    ]
