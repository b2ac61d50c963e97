"""Speed of the statistics over a results folder (default: the reference grid).

Times, in one process: reading the records (the baseline: every table needs it),
building the mAP@all tables of every dataset under both protocols without statistics,
reading the per-query AP, the same tables with statistics (bootstrap intervals and
the Holm-corrected comparisons with each column's best), and the ranks over the grid
(Friedman, Nemenyi). Reports each step's seconds and the statistics' cost as a
multiple of the plain tables'.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from cmhbench.protocols import PROTOCOLS


@click.command()
@click.argument(
    "results_dir",
    type=click.Path(path_type=Path),
    default=Path("results/reference"),
    required=False,
)
def stats_benchmark(results_dir: Path) -> None:
    """Statistics of RESULTS_DIR (default results/reference): seconds per step."""
    from cmhbench.report.frames import records_frame
    from cmhbench.report.tables import build_table, parse_metric
    from cmhbench.stats.ranks import case_matrix, rank_test
    from cmhbench.stats.samples import QuerySamples
    from cmhbench.store.records import read_folder

    metric = parse_metric("map")
    timings: dict[str, float] = {}
    start = time.perf_counter()
    located, _ = read_folder(results_dir)
    found = [record for _, record in located]
    timings["read records"] = time.perf_counter() - start
    frames = {protocol: records_frame(found, protocol) for protocol in PROTOCOLS}
    datasets = sorted(frames["suite"]["dataset"].unique())
    start = time.perf_counter()
    for frame in frames.values():
        for dataset in datasets:
            build_table(frame, metric, datasets=[dataset])
    timings["tables without statistics"] = time.perf_counter() - start
    start = time.perf_counter()
    samples = {protocol: QuerySamples(located, protocol) for protocol in PROTOCOLS}
    timings["read per-query AP"] = time.perf_counter() - start
    start = time.perf_counter()
    cells = 0
    for protocol, frame in frames.items():
        for dataset in datasets:
            table = build_table(frame, metric, datasets=[dataset], samples=samples[protocol])
            cells += int(table.p_best.notna().to_numpy().sum())  # type: ignore[union-attr]
    timings["tables with statistics"] = time.perf_counter() - start
    start = time.perf_counter()
    for frame in frames.values():
        rank_test(case_matrix(frame[frame["metric"].eq("map")]))
    timings["ranks (Friedman, Nemenyi)"] = time.perf_counter() - start
    click.echo(f"{results_dir}: {len(found)} records, {cells} table cells with statistics")
    for step, seconds in timings.items():
        click.echo(f"  {step:28s} {seconds:7.2f} s")
    statistics = (
        timings["read per-query AP"]
        + timings["tables with statistics"]
        + timings["ranks (Friedman, Nemenyi)"]
    )
    ratio = statistics / timings["tables without statistics"]
    click.echo(f"  statistics in all: {statistics:.2f} s, {ratio:.1f}x the plain tables")
