"""The ``cmhbench run`` command: train and score a grid of cells."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from cmhbench.cli.options import DATA_ROOT, comma_list, int_list
from cmhbench.errors import CmhbenchError, UnknownNameError
from cmhbench.method import CODE_LENGTHS


def _registered_names(option: str, value: str) -> list[str]:
    """Split the comma list of ``--methods`` or ``--datasets`` and check each name
    against its registry (datasets may also be data files)."""
    from cmhbench.datasets import is_data_file, parse_dataset_spec
    from cmhbench.registry import DATASETS, METHODS

    registry = METHODS if option == "--methods" else DATASETS
    names = comma_list(value)
    if not names:
        raise click.BadParameter(
            f"name at least one {registry.kind} (see 'cmhbench list')", param_hint=f"'{option}'"
        )
    known = registry.names()
    for item in names:
        if registry is DATASETS and is_data_file(item):
            continue
        name = parse_dataset_spec(item)[0] if registry is DATASETS else item
        if name not in known:
            message = str(UnknownNameError(registry.kind, name, known))
            raise click.BadParameter(message, param_hint=f"'{option}'")
    return names


RUN_FILE_OPTIONS = (
    "methods",
    "datasets",
    "bits",
    "seeds",
    "device",
    "jobs",
    "cluster",
    "cell_timeout",
    "out",
    "zero_relevant",
    "data_root",
)


@click.command("run")
@click.option(
    "--config",
    type=click.Path(path_type=Path),
    default=None,
    help="Experiment file (TOML) declaring the grid; options given here win.",
)
@click.option(
    "--methods",
    default=None,
    help="Comma-separated method names, e.g. ucch,triplet (required without --config).",
)
@click.option(
    "--datasets",
    default="synthetic",
    show_default=True,
    help="Comma-separated dataset names (with options: uci-mfeat:image=fac:text=kar) "
    "or paths to .npz / .h5 files.",
)
@click.option(
    "--bits", default=",".join(map(str, CODE_LENGTHS)), show_default=True, help="Code lengths."
)
@click.option("--seeds", default="0", show_default=True, help="Training seeds.")
@click.option(
    "--device",
    default="auto",
    show_default=True,
    help="auto (CUDA when available), cpu, cuda, cuda:N, or cuda:0,cuda:1 to spread cells.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Cells trained at once, in joblib worker processes.",
)
@click.option(
    "--cluster",
    default=None,
    metavar="ADDRESS",
    help="Run the cells on a dask.distributed scheduler (tcp://host:8786), "
    "or on local:N, a cluster of N worker processes on this machine.",
)
@click.option(
    "--cell-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="SECONDS",
    help="Stop a cell's training after this long and record it as 'timeout'.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("results/runs"),
    show_default=True,
    help="Results folder.",
)
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="KEY=VALUE",
    help="Hyper-parameter for every selected method that has it "
    "(epochs=5), or for one (triplet.margin=0.3). Repeatable.",
)
@click.option("--force", is_flag=True, help="Redo cells that are already done.")
@click.option("--retry-failed", is_flag=True, help="Redo cells recorded as failed.")
@click.option(
    "--zero-relevant",
    type=click.Choice(["count", "exclude"]),
    default="count",
    show_default=True,
    help="Queries with no relevant item: AP 0, or left out.",
)
@DATA_ROOT
@click.option("--progress/--no-progress", default=True, help="Progress bars on stderr.")
@click.pass_context
def run_command(
    ctx: click.Context,
    config: Path | None,
    methods: str | None,
    datasets: str,
    bits: str,
    seeds: str,
    device: str,
    jobs: int,
    cluster: str | None,
    cell_timeout: float | None,
    out: Path,
    assignments: tuple[str, ...],
    force: bool,
    retry_failed: bool,
    zero_relevant: str,
    data_root: Path | None,
    progress: bool,
) -> None:
    """Train and evaluate every method on every dataset at every code length."""
    from cmhbench.run.grid import GridSpec, run_grid

    declared: dict[str, Any] = {}
    if config is not None:
        from cmhbench.run.experiment import read_experiment

        declared = read_experiment(config)
    given = {
        name
        for name in RUN_FILE_OPTIONS
        if ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT
    }

    def chosen(name: str, value: Any) -> Any:
        return value if name in given or name not in declared else declared[name]

    methods, datasets = chosen("methods", methods), chosen("datasets", datasets)
    if methods is None:
        raise click.UsageError("name the methods with --methods (or in a --config file)")
    zero_relevant = chosen("zero_relevant", zero_relevant)
    if zero_relevant not in ("count", "exclude"):
        raise CmhbenchError(f"zero_relevant must be count or exclude, got {zero_relevant!r}")
    data_root = chosen("data_root", data_root)
    out = chosen("out", out)
    spec = GridSpec(
        methods=_registered_names("--methods", methods),
        datasets=_registered_names("--datasets", datasets),
        bits=int_list(chosen("bits", bits), "--bits", 1, 4096, required=True),
        seeds=int_list(chosen("seeds", seeds), "--seeds", 0, 2**31 - 1, required=True),
        out=out,
        assignments=[*declared.get("set", []), *assignments],
        device=chosen("device", device),
        jobs=chosen("jobs", jobs),
        cluster=chosen("cluster", cluster),
        cell_timeout_s=chosen("cell_timeout", cell_timeout),
        force=force,
        retry_failed=retry_failed,
        progress=progress,
        zero_relevant=zero_relevant,
        data_root=None if data_root is None else str(data_root),
    )
    results = run_grid(spec)
    from cmhbench.report.formats import to_text
    from cmhbench.report.frames import records_frame  # pandas, after training
    from cmhbench.report.tables import build_table, parse_metric

    click.echo(f"records in {out} (zero_relevant={zero_relevant})")
    if any(record["status"] == "ok" for record in results):
        frame = records_frame(results)
        table = build_table(frame, parse_metric("map"), methods=spec.methods)
        click.echo(to_text(table, markdown=False), nl=False)
    failed = [r for r in results if r["status"] != "ok"]
    if failed:
        for record in failed:
            click.echo(
                f"{record['status']}: {record['dataset']}/{record['method']} {record['bits']} bits "
                f"seed {record['seed']}: {record['error']['message']}",
                err=True,
            )
        sys.exit(1)
