"""The ``cmhbench compare`` command: two runs, paired over their common cells."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from cmhbench.cli.options import PROTOCOL

if TYPE_CHECKING:
    from cmhbench.protocols import Protocol


@click.command("compare")
@click.argument("first")
@click.argument("second")
@click.argument(
    "results_dirs", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="RESULTS..."
)
@PROTOCOL
def compare_command(
    first: str, second: str, results_dirs: tuple[Path, ...], protocol: Protocol
) -> None:
    """FIRST against SECOND (methods, or runs as tables name them) on the same queries,
    in every dataset, code length and direction both have in RESULTS: per cell the
    difference of mAP@all, its 95% interval and p-value, and overall in how many cells
    each is significantly ahead (Holm's correction over the cells, level 0.05)."""
    from tabulate import tabulate

    from cmhbench.cli.results import _read_located
    from cmhbench.report.names import dataset_label, method_label
    from cmhbench.stats.compare import compare_over_columns
    from cmhbench.stats.paired import ALPHA, TEST_NAME
    from cmhbench.stats.samples import QuerySamples

    unique = {
        path.resolve(): (path, record)
        for folder in results_dirs
        for path, record in _read_located(folder)
    }
    located = list(unique.values())
    samples = QuerySamples(located, protocol)
    if samples.lacking:
        click.echo(
            f"note: {len(samples.lacking)} record(s) without per-query AP left out "
            "('cmhbench eval --recompute FOLDER' adds it)",
            err=True,
        )
    found = compare_over_columns(samples, first, second)
    names = method_label(first), method_label(second)
    verdicts = {0: "-", 1: f"{names[0]} ahead", 2: f"{names[1]} ahead"}
    rows = [
        [
            dataset_label(item.dataset),
            item.bits,
            {"i2t": "I->T", "t2i": "T->I"}[item.direction],
            f"{item.first_mean:.4f}",
            f"{item.second_mean:.4f}",
            f"{item.difference.difference:+.4f}",
            f"[{item.difference.low:+.4f}, {item.difference.high:+.4f}]",
            f"{item.p_holm:.3g}",
            verdicts[item.winner],
        ]
        for item in found
    ]
    headers = ["dataset", "bits", "dir", *names, "difference", "95% interval", "p (Holm)", ""]
    click.echo(tabulate(rows, headers=headers, disable_numparse=True))
    ahead = [sum(item.winner == side for item in found) for side in (1, 2)]
    click.echo(
        f"{names[0]} significantly ahead in {ahead[0]} of {len(found)} cells, {names[1]} in "
        f"{ahead[1]}, no significant difference in {len(found) - sum(ahead)} "
        f"({TEST_NAME} over the cells, level {ALPHA}; {protocol} protocol, mAP@all)."
    )
