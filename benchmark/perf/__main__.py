"""``python -m cmhbench.perf``: the speed benchmarks as one command group."""

from __future__ import annotations

import click

from cmhbench.perf.features import features_benchmark
from cmhbench.perf.grid import grid_benchmark
from cmhbench.perf.load import load_benchmark
from cmhbench.perf.methods import methods_benchmark
from cmhbench.perf.metrics import eval_benchmark
from cmhbench.perf.site import site_benchmark
from cmhbench.perf.stats import stats_benchmark
from cmhbench.perf.ucch import ucch_benchmark
from cmhbench.perf.ugach_steps import ugach_steps_benchmark


@click.group()
def perf() -> None:
    """cmhbench speed benchmarks."""


perf.add_command(eval_benchmark, "eval")
perf.add_command(ucch_benchmark, "ucch")
perf.add_command(load_benchmark, "load")
perf.add_command(grid_benchmark, "grid")
perf.add_command(methods_benchmark, "methods")
perf.add_command(features_benchmark, "features")
perf.add_command(ugach_steps_benchmark, "ugach-steps")
perf.add_command(stats_benchmark, "stats")
perf.add_command(site_benchmark, "site")

if __name__ == "__main__":
    perf()
