"""Paper-layout result tables from the tidy record frame.

Layout as in UCCH's Tables 1-2: one row per method, unsupervised and supervised
methods in separate groups; column groups dataset -> direction -> bits. A cell
is the mean over seeds, with the sample standard deviation (ddof 1) where there
are several seeds, or (``interval='bootstrap'``) the 95% interval of the mean over
seeds and queries (:mod:`cmhbench.stats.bootstrap`). In each column the best measured
mean is bold and the second underlined, compared at the printed precision (equal
printed values share the mark). Given the records' per-query AP
(:class:`cmhbench.stats.samples.QuerySamples`; mAP@all only), every measured run is
compared with the column's best (:mod:`cmhbench.stats.paired`), and the runs not
significantly below it are marked. Published rows (``with_published``) sit under
their method, marked, and are never ranked: they come from other runs. Cells whose
codes collapsed in a seed (:mod:`cmhbench.health`) are counted, for a mark and a
footnote, or with ``degenerate='fail'`` count as failed seeds.
:mod:`cmhbench.report.formats` prints a table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, cast

import pandas as pd

from cmhbench.errors import CmhbenchError, suggest
from cmhbench.health import DEGENERATE_POLICIES, DegeneratePolicy
from cmhbench.protocols import Protocol
from cmhbench.report.frames import DIRECTIONS, run_order
from cmhbench.report.published import published_frame
from cmhbench.stats.paired import ALPHA

if TYPE_CHECKING:
    from cmhbench.stats.samples import QuerySamples

GROUPS = ("Unsupervised", "Supervised")
Interval = Literal["std", "bootstrap", "none"]
INTERVALS: tuple[Interval, ...] = ("std", "bootstrap", "none")


@dataclass(frozen=True)
class MetricChoice:
    """A metric of the record frame: its ``metric`` column value, K, and a label."""

    name: str
    k: int | None
    label: str


def parse_metric(text: str) -> MetricChoice:
    """'map', 'map_tie_aware', 'map@K' or 'precision@K' to a :class:`MetricChoice`."""
    spec = text.strip().lower()
    if spec == "map":
        return MetricChoice("map", None, "mAP@all")
    if spec == "map_tie_aware":
        return MetricChoice("map_tie_aware", None, "tie-aware mAP@all")
    match = re.fullmatch(r"(map|precision)@(\d+)", spec)
    if match:
        kind, k = match.group(1), int(match.group(2))
        label = f"mAP@{k}" if kind == "map" else f"precision@{k}"
        return MetricChoice(f"{kind}_at_k", k, label)
    known = ["map", "map_tie_aware", "map@K", "precision@K"]
    raise CmhbenchError(
        f"unknown metric {text!r}: expected one of {', '.join(known)}{suggest(spec, known)}"
    )


@dataclass
class PaperTable:
    """A table's numbers: frames indexed by (group, method, source), columns by
    (dataset, direction, bits). ``source`` is '' for measured rows and a
    published source's key otherwise; ``seeds`` and ``failed`` count the seeds
    that succeeded and failed, ``degenerate`` the averaged seeds whose codes
    collapsed; ``rank`` is 1 (best), 2 (second) or 0. ``protocol`` is the retrieval
    protocol of every measured number, and ``native`` {method: native kind} names the
    methods that a native table scores otherwise than the suite. ``interval`` is what
    follows a mean. Where per-query AP was given, ``low`` and ``high`` hold the 95%
    bootstrap interval and ``p_best`` the Holm-adjusted p-value against the column's
    best (NaN where not computed); ``lacking`` counts the measured cells left out of
    the statistics because a seed's record has no per-query AP."""

    mean: pd.DataFrame
    std: pd.DataFrame
    seeds: pd.DataFrame
    failed: pd.DataFrame
    degenerate: pd.DataFrame
    rank: pd.DataFrame
    metric: MetricChoice
    precision: int = 3
    sources: list[str] = field(default_factory=list)
    protocol: Protocol = "suite"
    native: dict[str, str] = field(default_factory=dict)
    interval: Interval = "std"
    low: pd.DataFrame | None = None
    high: pd.DataFrame | None = None
    p_best: pd.DataFrame | None = None
    lacking: int = 0

    def cell_parts(self, row: tuple, column: tuple) -> tuple[str, str]:
        """(mean, spread) as printed: ('', '') when absent, ('failed', '') when every
        seed failed; spread is the std ('0.014', with several seeds), the interval
        ('[0.702, 0.721]', where computed) or '', as ``interval`` says."""
        mean = self.mean.at[row, column]
        if pd.isna(mean):
            return ("failed" if self.failed.at[row, column] else "", "")
        digits = self.precision
        spread = ""
        if self.interval == "std" and self.seeds.at[row, column] > 1:
            std = self.std.at[row, column]
            spread = "" if pd.isna(std) else f"{std:.{digits}f}"
        elif self.interval == "bootstrap" and self.low is not None:
            low, high = self.low.at[row, column], self.high.at[row, column]  # type: ignore[union-attr]
            spread = "" if pd.isna(low) else f"[{low:.{digits}f}, {high:.{digits}f}]"
        return f"{mean:.{digits}f}", spread

    def not_below_best(self, row: tuple, column: tuple) -> bool:
        """Whether the run is not significantly below the column's best, and is not
        itself marked best."""
        if self.p_best is None or self.rank.at[row, column] == 1:
            return False
        p_value = self.p_best.at[row, column]
        return bool(not pd.isna(p_value) and p_value >= ALPHA)

    def has_statistics(self) -> bool:
        """Whether any cell was compared with its column's best."""
        return self.p_best is not None and bool(self.p_best.notna().to_numpy().any())

    def has_degenerate(self) -> bool:
        """Whether any printed value averages a seed with degenerate codes."""
        return bool((self.degenerate.to_numpy() > 0).any())

    def seed_shortfalls(self) -> tuple[int, int, int]:
        """Among measured cells with a value: (how many lost seeds to failures, how many
        have fewer seeds than the most any cell has without a failure, that most)."""
        measured = [key[2] == "" for key in self.seeds.index]
        seeds = self.seeds.loc[measured].to_numpy()
        failed = self.failed.loc[measured].to_numpy() > 0
        most = int(seeds.max(initial=0))
        with_failures = int(((seeds > 0) & failed).sum())
        not_run = int(((seeds > 0) & (seeds < most) & ~failed).sum())
        return with_failures, not_run, most


def select(
    frame: pd.DataFrame,
    metric: MetricChoice,
    *,
    datasets: Sequence[str] | None = None,
    methods: Sequence[str] | None = None,
    bits: Sequence[int] | None = None,
) -> pd.DataFrame:
    """The frame's rows for ``metric`` (and failed cells), filtered; errors name what is absent."""
    for name, column, wanted in (
        ("dataset", "dataset", datasets),
        ("method", "method_name", methods),
        ("bits", "bits", bits),
    ):
        if wanted:
            present = set(frame[column].dropna().tolist())
            missing = [item for item in wanted if item not in present]
            if missing:
                have = ", ".join(str(item) for item in sorted(present)) or "none"
                raise CmhbenchError(
                    f"no records for {name} {', '.join(map(str, missing))} (have: {have})"
                )
            frame = frame[frame[column].isin(wanted)]
    chosen = frame["metric"].eq(metric.name)
    if metric.k is not None:
        chosen &= frame["k"].eq(metric.k)
    if not chosen.any() and frame["status"].eq("ok").any():
        ks = sorted(frame.loc[frame["metric"].eq(metric.name), "k"].dropna().astype(int).unique())
        recorded = f" (recorded K: {', '.join(map(str, ks))})" if ks else ""
        raise CmhbenchError(f"no records have {metric.label}{recorded}")
    policies = sorted(frame.loc[chosen, "zero_relevant"].dropna().unique())
    if len(policies) > 1:
        raise CmhbenchError(
            f"the records mix zero_relevant policies ({', '.join(policies)}); "
            "a table averages one: select datasets or methods that share it"
        )
    return frame[chosen | frame["status"].ne("ok")]


def build_table(
    frame: pd.DataFrame,
    metric: MetricChoice,
    *,
    datasets: Sequence[str] | None = None,
    methods: Sequence[str] | None = None,
    bits: Sequence[int] | None = None,
    with_published: bool = False,
    precision: int = 3,
    degenerate: DegeneratePolicy = "flag",
    interval: Interval = "std",
    samples: QuerySamples | None = None,
) -> PaperTable:
    """Summarise a record frame (see :func:`cmhbench.report.frames.records_frame`) into a table.

    Rows and columns follow the order of ``methods``/``datasets`` when given, else
    sorted names; bits ascend. ``degenerate='fail'`` counts cells whose codes
    collapsed as failed seeds instead of averaging and marking them. ``samples``
    (the records' per-query AP, for mAP@all) adds intervals and the comparisons with
    each column's best.

    Raises:
        CmhbenchError: nothing to show, published rows asked for a metric no shipped
            source reports, or bootstrap intervals for a metric other than mAP@all.
    """
    if degenerate not in DEGENERATE_POLICIES:
        raise CmhbenchError(f"degenerate must be 'flag' or 'fail', got {degenerate!r}")
    if interval not in INTERVALS:
        raise CmhbenchError(f"interval must be one of {', '.join(INTERVALS)}, got {interval!r}")
    if interval == "bootstrap" and (metric.name != "map" or samples is None):
        raise CmhbenchError(
            "bootstrap intervals need each query's AP, which cells keep for mAP@all only "
            "(--metric map)"
        )
    if degenerate == "fail":
        frame = _degenerate_as_failed(frame)
    rows = select(frame, metric, datasets=datasets, methods=methods, bits=bits)
    ok = rows[rows["status"].eq("ok")].copy()
    ok["direction"] = ok["direction"].astype(str)
    keys = ["supervised", "method", "dataset", "direction", "bits"]
    stats = (
        ok.groupby(keys)
        .agg(
            mean=("value", "mean"),
            std=("value", "std"),
            count=("value", "count"),
            degenerate=("degenerate", "sum"),
        )
        .reset_index()
    )
    stats["source"] = ""
    failed = rows[rows["status"].ne("ok")]
    dataset_order = list(datasets) if datasets else sorted(rows["dataset"].unique())
    method_order = run_order(rows, methods)
    bit_order = sorted(int(b) for b in rows["bits"].unique())
    used_sources: list[str] = []
    if with_published:
        published = _published_rows(metric, method_order, dataset_order, bit_order)
        used_sources = list(dict.fromkeys(published["source"]))
        stats = pd.concat([stats, published], ignore_index=True)
    columns = pd.MultiIndex.from_tuples(
        [(d, direction, b) for d in dataset_order for direction in DIRECTIONS for b in bit_order]
    )
    row_keys = _row_keys(stats, failed, method_order)
    index = pd.MultiIndex.from_tuples(row_keys)
    mean = pd.DataFrame(float("nan"), index=index, columns=columns)
    std = mean.copy()
    seeds = pd.DataFrame(0, index=index, columns=columns)
    failures = seeds.copy()
    degenerate_seeds = seeds.copy()
    for item in failed.itertuples(index=False):
        for direction in DIRECTIONS:
            failures.at[
                (GROUPS[bool(item.supervised)], item.method, ""),
                (item.dataset, direction, int(item.bits)),
            ] += 1
    for item in stats.itertuples(index=False):
        row = (GROUPS[bool(item.supervised)], item.method, item.source)
        column = (item.dataset, item.direction, int(item.bits))
        mean.at[row, column] = item.mean
        std.at[row, column] = item.std
        seeds.at[row, column] = item.count
        degenerate_seeds.at[row, column] = item.degenerate
    rank = _rank(mean.round(precision), measured=[key[2] == "" for key in row_keys])
    protocol = _protocol(rows)
    native = {}
    if protocol == "native":
        kinds = rows.drop_duplicates("method").set_index("method")["native"]
        native = {method: kinds[method] for method in method_order if kinds[method] != "suite"}
    table = PaperTable(
        mean,
        std,
        seeds,
        failures,
        degenerate_seeds,
        rank,
        metric,
        precision,
        used_sources,
        protocol,
        native,
        interval,
    )
    if samples is not None and metric.name == "map":
        _add_statistics(table, samples)
    return table


def _add_statistics(table: PaperTable, samples: QuerySamples) -> None:
    """Intervals and Holm-adjusted p-values against each column's best, from the
    measured runs whose every averaged seed has per-query AP."""
    from cmhbench.stats.bootstrap import intervals
    from cmhbench.stats.paired import against_the_best

    low = pd.DataFrame(float("nan"), index=table.mean.index, columns=table.mean.columns)
    high, p_best = low.copy(), low.copy()
    measured = [row for row in table.mean.index if row[2] == ""]
    for column in table.mean.columns:
        dataset, direction, bits = column
        chosen: dict[str, tuple] = {}
        for row in measured:
            if pd.isna(table.mean.at[row, column]):
                continue
            key = (dataset, row[1], bits, direction)
            if samples.seeds(key) != table.seeds.at[row, column]:
                table.lacking += 1
                continue
            chosen[row[1]] = row
        if not chosen:
            continue
        column_samples = {run: samples.matrix((dataset, run, bits, direction)) for run in chosen}
        for run, (lower, upper) in intervals(column_samples).items():
            low.at[chosen[run], column], high.at[chosen[run], column] = lower, upper
        if len(chosen) > 1:
            for run, p_value in against_the_best(column_samples).items():
                p_best.at[chosen[run], column] = p_value
    table.low, table.high, table.p_best = low, high, p_best


def _protocol(rows: pd.DataFrame) -> Protocol:
    """The one retrieval protocol of a table's rows."""
    protocols = rows["protocol"].dropna().unique()
    if len(protocols) != 1:
        raise CmhbenchError(
            f"a table shows one retrieval protocol; these rows have {sorted(protocols)}"
        )
    return cast(Protocol, protocols[0])


def _degenerate_as_failed(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each finished cell whose codes collapsed as one failed row."""
    hit = frame["degenerate"].astype(bool) & frame["status"].eq("ok")
    cells = frame[hit].drop_duplicates(["dataset", "method", "bits", "seed"])
    cells = cells.assign(status="degenerate", direction=None, metric=None, k=None, value=None)
    return pd.concat([frame[~hit], cells], ignore_index=True)


def _published_rows(
    metric: MetricChoice, methods: list[str], datasets: list[str], bits: list[int]
) -> pd.DataFrame:
    published = published_frame(metric.name, metric.k)
    if published.empty:
        raise CmhbenchError(
            f"no published numbers for {metric.label}; the shipped sources report mAP@all "
            "(--metric map)"
        )
    chosen = published[
        published["method"].isin(methods)
        & published["dataset"].isin(datasets)
        & published["bits"].isin(bits)
    ]
    return pd.DataFrame(
        {
            "supervised": chosen["supervised"],
            "method": chosen["method"],
            "dataset": chosen["dataset"],
            "direction": chosen["direction"],
            "bits": chosen["bits"],
            "mean": chosen["value"],
            "std": float("nan"),
            "count": 1,
            "degenerate": 0,
            "source": chosen["source"],
        }
    )


def _row_keys(stats: pd.DataFrame, failed: pd.DataFrame, methods: list[str]) -> list[tuple]:
    """(group, method, source): groups in GROUPS order, methods in the given order,
    each method's measured row before its published rows."""
    present = {
        (GROUPS[bool(s)], m, src)
        for s, m, src in zip(stats["supervised"], stats["method"], stats["source"], strict=True)
    }
    failed_rows = zip(failed["supervised"], failed["method"], strict=True)
    present |= {(GROUPS[bool(s)], m, "") for s, m in failed_rows}
    order = {name: i for i, name in enumerate(methods)}
    return sorted(present, key=lambda key: (GROUPS.index(key[0]), order[key[1]], key[2]))


def _rank(rounded: pd.DataFrame, measured: list[bool]) -> pd.DataFrame:
    """1 for the best and 2 for the second-best distinct value per column among
    measured rows (ties share the rank); 0 elsewhere and where a column has one value."""
    rank = pd.DataFrame(0, index=rounded.index, columns=rounded.columns)
    mask = pd.Series(measured, index=rounded.index)
    for column in rounded.columns:
        values = rounded.loc[mask.values, column].dropna()
        distinct = sorted(values.unique(), reverse=True)
        if len(values) < 2:
            continue
        for place, value in enumerate(distinct[:2], start=1):
            rank.loc[values.index[values.eq(value)], column] = place
    return rank
