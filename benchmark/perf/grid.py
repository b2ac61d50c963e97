"""Scale-out speed: one grid run serially, with ``--jobs 2`` and on a 2-worker LocalCluster.

The grid is 2 methods x 4 code lengths on ``synthetic`` (UCCH and the triplet
baseline with their networks, fewer epochs so the whole benchmark takes a few
minutes), run three times into fresh folders in one process. Reported: wall time,
speed-up against the serial run, and the overhead per cell: the wall time the
workers spent on anything but loading, training, encoding and scoring, per cell
(``workers x wall - sum of cell times``, divided by the cells).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import click

MODES = (("serial", 1, None), ("--jobs 2", 2, None), ("--cluster local:2", 2, "local:2"))


@click.command()
@click.option("--methods", default="ucch,triplet", show_default=True)
@click.option(
    "--epochs", default=5, show_default=True, help="Epochs of every method (0: their own)."
)
def grid_benchmark(methods: str, epochs: int) -> None:
    """A small grid, serial against --jobs 2 and against a 2-worker LocalCluster."""
    from cmhbench import GridSpec, run_grid

    names = [name.strip() for name in methods.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for label, workers, cluster in MODES:
            spec = GridSpec(
                methods=names,
                bits=[16, 32, 64, 128],
                out=Path(folder) / label.replace(" ", "_"),
                assignments=[f"epochs={epochs}"] if epochs else [],
                device="cpu",
                jobs=workers if cluster is None else 1,
                cluster=cluster,
                progress=False,
            )
            start = time.perf_counter()
            found = run_grid(spec)
            wall = time.perf_counter() - start
            busy = sum(sum(record["timings"].values()) for record in found)
            if any(record["status"] != "ok" for record in found):
                raise click.ClickException(f"a cell failed in the {label} run")
            rows.append((label, wall, (workers * wall - busy) / len(found), len(found)))
    serial = rows[0][1]
    budget = f"{epochs} epochs" if epochs else "default epochs"
    click.echo(f"grid: {', '.join(names)} x 16/32/64/128 bits on synthetic, {budget}")
    for label, wall, overhead, cells in rows:
        click.echo(
            f"{label:<18} {wall:7.1f} s  speed-up {serial / wall:4.2f}x  "
            f"overhead {overhead:5.2f} s per cell ({cells} cells)"
        )
