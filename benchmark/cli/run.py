"""The ``cmhbench run`` command: train and score a grid of cells.

Its options are the fields of :class:`cmhbench.run.config.GridSpec` (one list of
names, defaults and help for the command line, experiment files and the Python API),
plus ``--config``; an experiment file's values are updated by the options given here.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from cmhbench.errors import UnknownNameError
from cmhbench.run.config import Option, OptionError, defaults, merged, run_options

METAVARS = {"names": "LIST", "ints": "INTS", "integer": "N", "path": "PATH", "text": "TEXT"}


def _click_option(opt: Option) -> Callable[[Any], Any]:
    """The command-line option of one GridSpec field (its value is parsed afterwards,
    so that the same rules apply as to an experiment file)."""
    default = defaults().get(opt.name)
    if opt.kind == "flag":
        if default:
            flag = f"{opt.flag}/--no-{opt.flag[2:]}"
            return click.option(flag, opt.name, default=True, help=opt.help)
        return click.option(opt.flag, opt.name, is_flag=True, help=opt.help)
    if opt.kind == "set":
        return click.option(opt.flag, opt.name, multiple=True, metavar=opt.metavar, help=opt.help)
    if isinstance(default, list):
        shown = ",".join(map(str, default))
    else:
        shown = "" if default is None else str(default)
    return click.option(
        opt.flag,
        opt.name,
        default=None,
        metavar=opt.metavar or ("|".join(opt.choices) if opt.choices else METAVARS[opt.kind]),
        help=opt.help + (f"  [default: {shown}]" if shown else ""),
    )


def _grid_options(function: Callable[..., Any]) -> Callable[..., Any]:
    for opt in reversed(run_options()):
        function = _click_option(opt)(function)
    return function


@click.command("run")
@click.option(
    "--config",
    type=click.Path(path_type=Path),
    default=None,
    help="Experiment file (TOML) declaring the grid; options given here win.",
)
@_grid_options
@click.pass_context
def run_command(ctx: click.Context, config: Path | None, **values: Any) -> None:
    """Train and evaluate every method on every dataset at every code length."""
    from cmhbench.run.experiment import read_experiment
    from cmhbench.run.grid import run_grid_outcome

    from_file = read_experiment(config) if config is not None else {}
    spec = merged(from_file, _given(ctx, values))
    _check_registered("--methods", spec.methods)
    _check_registered("--datasets", spec.datasets)
    outcome = run_grid_outcome(spec)
    results = outcome.records
    from cmhbench.health import degenerate_description, is_degenerate_record
    from cmhbench.report.formats import to_text
    from cmhbench.report.frames import records_frame  # pandas, after training
    from cmhbench.report.tables import build_table, parse_metric

    click.echo(f"records in {spec.out} (zero_relevant={spec.zero_relevant})")
    if any(record["status"] == "ok" for record in results):
        frame = records_frame(results, spec.protocol)
        present = {record["method"] for record in results}
        methods = [name for name in spec.methods if name in present]
        table = build_table(frame, parse_metric("map"), methods=methods, degenerate=spec.degenerate)
        click.echo(to_text(table, markdown=False), nl=False)
    if outcome.held:
        named = [f"{k.dataset}/{k.method} {k.bits} bits seed {k.seed}" for k in outcome.held]
        click.echo(
            f"not in this table: {len(named)} cell(s) that another cmhbench run holds "
            f"({', '.join(named[:5])}{', ...' if len(named) > 5 else ''}); rerun to include them"
        )
    failed = [
        record
        for record in results
        if record["status"] != "ok" or (spec.degenerate == "fail" and is_degenerate_record(record))
    ]
    for record in failed:
        message = record["error"]["message"] if record["error"] else degenerate_description(record)
        state = "degenerate" if record["status"] == "ok" else record["status"]
        click.echo(
            f"{state}: {record['dataset']}/{record['method']} {record['bits']} bits "
            f"seed {record['seed']}: {message}",
            err=True,
        )
    if failed:
        sys.exit(1)


def _given(ctx: click.Context, values: dict[str, Any]) -> dict[str, Any]:
    """{GridSpec field: value} of the options given on the command line, parsed."""
    given: dict[str, Any] = {}
    for opt in run_options():
        value = values[opt.name]
        if opt.kind == "flag":
            if ctx.get_parameter_source(opt.name) is not click.core.ParameterSource.DEFAULT:
                given[opt.name] = value
        elif opt.kind == "set":
            if value:
                given[opt.name] = list(value)
        elif value is not None:
            try:
                given[opt.name] = opt.from_text(value)
            except OptionError as exc:
                raise click.BadParameter(str(exc), param_hint=f"'{opt.flag}'") from None
    return given


def _check_registered(option: str, names: list[str]) -> None:
    """Check each of the ``--methods`` or ``--datasets`` names against its registry
    (datasets may also be data files, and carry options)."""
    from cmhbench.datasets import is_data_file, parse_dataset_spec
    from cmhbench.registry import DATASETS, METHODS

    registry = METHODS if option == "--methods" else DATASETS
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
