"""The ``cmhbench`` commands that read a results folder: table, cells, plot."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cmhbench.cli.options import PROTOCOL, int_list
from cmhbench.errors import CmhbenchError
from cmhbench.health import DEGENERATE_POLICIES, DegeneratePolicy

if TYPE_CHECKING:
    from cmhbench.protocols import Protocol
    from cmhbench.report.tables import Interval
    from cmhbench.store.schema import Record
from cmhbench.run.config import MAX_BITS, MAX_SEED
from cmhbench.values import split_names

RESULTS_DIR = click.argument(
    "results_dir",
    type=click.Path(path_type=Path),
    default=Path("results/runs"),
    required=False,
)


def _read(results_dir: Path) -> list[Record]:
    """The folder's records; unreadable ones are reported on stderr and left out."""
    return [record for _, record in _read_located(results_dir)]


def _read_located(results_dir: Path) -> list[tuple[Path, Record]]:
    """(path, record) of the folder's readable records; unreadable ones are reported on
    stderr and left out."""
    from cmhbench.store.records import read_folder

    found, unreadable = read_folder(results_dir)
    if unreadable:
        click.echo(
            f"warning: {len(unreadable)} unreadable record(s) left out, e.g. {unreadable[0]} "
            f"('cmhbench cells {results_dir}' lists them)",
            err=True,
        )
    return found


def _write(text: str, out: Path | None) -> None:
    if out is None:
        click.echo(text, nl=False)
        return
    from cmhbench.atomic import atomic_write_bytes

    try:
        atomic_write_bytes(out, text.encode("utf-8"))
    except OSError as exc:
        raise CmhbenchError(f"cannot write {out}: {exc.strerror}") from None
    click.echo(f"wrote {out}", err=True)


FILTERS = [
    click.option("--datasets", default=None, help="Comma-separated datasets (default: all)."),
    click.option("--methods", default=None, help="Comma-separated methods, in row order."),
    click.option("--bits", default=None, help="Comma-separated code lengths (default: all)."),
]


def _filters(function: Any) -> Any:
    for option in reversed(FILTERS):
        function = option(function)
    return function


@click.command("table")
@RESULTS_DIR
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["console", "markdown", "latex", "csv"]),
    default="console",
    show_default=True,
)
@click.option(
    "--metric",
    default="map",
    show_default=True,
    help="map, map_tie_aware, map@K or precision@K.",
)
@_filters
@PROTOCOL
@click.option("--with-published", is_flag=True, help="Add published numbers as marked rows.")
@click.option(
    "--interval",
    type=click.Choice(["std", "bootstrap", "none"]),
    default="std",
    show_default=True,
    help="After each mean: the std over seeds, the 95%% bootstrap interval over seeds "
    "and queries (mAP@all), or nothing.",
)
@click.option(
    "--degenerate",
    type=click.Choice(DEGENERATE_POLICIES),
    default="flag",
    show_default=True,
    help="Cells whose codes collapsed: marked '!', or counted as failed seeds.",
)
@click.option("--precision", type=click.IntRange(1, 6), default=3, show_default=True)
@click.option("--caption", default=None, help="LaTeX caption.")
@click.option("--label", default=None, help="LaTeX label.")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Write to FILE.")
def table_command(
    results_dir: Path,
    fmt: str,
    metric: str,
    datasets: str | None,
    methods: str | None,
    bits: str | None,
    protocol: Protocol,
    with_published: bool,
    interval: Interval,
    degenerate: DegeneratePolicy,
    precision: int,
    caption: str | None,
    label: str | None,
    out: Path | None,
) -> None:
    """Paper-layout table of a results folder (default results/runs).

    One row per method (unsupervised, then supervised), columns dataset ->
    direction -> bits; mean over seeds +- std; best bold, second underlined; '!'
    where a seed's codes collapsed (see 'cmhbench cells'); for mAP@all, '≈' where a
    run is not significantly below its column's best (paired over queries, Holm's
    correction); under one retrieval protocol (--protocol), scored from the stored
    codes, never retrained.
    """
    from cmhbench.report.formats import render
    from cmhbench.report.frames import records_frame
    from cmhbench.report.tables import build_table, parse_metric
    from cmhbench.stats.samples import QuerySamples

    choice = parse_metric(metric)
    wanted_bits = int_list(bits, "--bits", 1, MAX_BITS) or None
    located = _read_located(results_dir)
    frame = records_frame([record for _, record in located], protocol)
    samples = QuerySamples(located, protocol) if choice.name == "map" else None
    table = build_table(
        frame,
        choice,
        datasets=split_names(datasets),
        methods=split_names(methods),
        bits=wanted_bits,
        with_published=with_published,
        precision=precision,
        degenerate=degenerate,
        interval=interval,
        samples=samples,
    )
    if with_published and not table.sources:
        click.echo("note: no published numbers for these methods and datasets", err=True)
    with_failures, not_run, most = table.seed_shortfalls()
    if with_failures:
        click.echo(
            f"note: {with_failures} cell(s) average fewer seeds because some failed "
            f"('cmhbench cells {results_dir}')",
            err=True,
        )
    if not_run:
        click.echo(
            f"note: {not_run} cell(s) average fewer than {most} seeds: the others have "
            f"no record yet ('cmhbench cells {results_dir}')",
            err=True,
        )
    if table.lacking:
        click.echo(
            f"note: {table.lacking} cell(s) have no statistics: records made before "
            f"per-query AP was kept ('cmhbench eval --recompute {results_dir}' adds it)",
            err=True,
        )
    _write(render(table, fmt, caption=caption, label=label), out)


@click.command("cells")
@RESULTS_DIR
@_filters
@click.option("--seeds", default=None, help="Comma-separated seeds (default: all).")
@click.option(
    "--config",
    type=click.Path(path_type=Path),
    default=None,
    help="Experiment file whose grid to check (options given here win).",
)
@click.option("--all", "show_all", is_flag=True, help="List done cells too.")
def cells_command(
    results_dir: Path,
    datasets: str | None,
    methods: str | None,
    bits: str | None,
    seeds: str | None,
    config: Path | None,
    show_all: bool,
) -> None:
    """Which cells of a grid are done, degenerate (done, but the codes collapsed),
    outdated (made by an older version of the method: a run trains them again),
    failed, unreadable, running (claimed by a live run, named with its host and pid)
    or missing.

    The grid is the product of the lists given (or of an experiment file's);
    a list not given is every value the folder's records have.
    """
    from tabulate import tabulate

    from cmhbench.datasets import dataset_folder
    from cmhbench.store.status import grid_states, state_counts

    declared: dict[str, Any] = {}
    if config is not None:
        from cmhbench.run.experiment import read_experiment

        declared = read_experiment(config)
        folder_given = click.get_current_context().get_parameter_source("results_dir")
        if folder_given is click.core.ParameterSource.DEFAULT and "out" in declared:
            results_dir = declared["out"]
    if not results_dir.is_dir():
        raise CmhbenchError(f"results folder not found: {results_dir}")
    dataset_names = split_names(datasets) or declared.get("datasets", [])
    states = grid_states(
        results_dir,
        datasets=[dataset_folder(name, declared.get("data_seed", 0)) for name in dataset_names]
        or None,
        methods=split_names(methods) or declared.get("methods"),
        bits=int_list(bits, "--bits", 1, MAX_BITS) or declared.get("bits"),
        seeds=int_list(seeds, "--seeds", 0, MAX_SEED) or declared.get("seeds"),
    )
    shown = [cell for cell in states if show_all or cell.state != "done"]
    if shown:
        rows = [[c.dataset, c.method, c.bits, c.seed, c.state, c.detail] for c in shown]
        headers = ["dataset", "method", "bits", "seed", "state", "detail"]
        click.echo(tabulate(rows, headers=headers, tablefmt="simple"))
    counts = state_counts(states)
    rare = ("degenerate", "outdated")  # named only when a cell is
    shown_counts = [f"{n} {state}" for state, n in counts.items() if n or state not in rare]
    click.echo(f"{len(states)} cells: " + ", ".join(shown_counts))


@click.command("plot")
@click.argument("kind", type=click.Choice(["pr", "bits", "topk", "cd"]))
@RESULTS_DIR
@click.option("--datasets", default=None, help="Comma-separated datasets (default: all).")
@click.option("--methods", default=None, help="Comma-separated methods (default: all).")
@click.option(
    "--bits",
    "bit_length",
    type=int,
    default=None,
    help="Code length of pr and topk plots (default: the largest recorded).",
)
@click.option(
    "--metric",
    default="map",
    show_default=True,
    help="bits plots: map or map_tie_aware; cd: any table metric.",
)
@PROTOCOL
@click.option(
    "--style",
    type=click.Choice(["paper", "notebook", "talk", "poster"]),
    default="paper",
    show_default=True,
    help="seaborn context (font and line sizes).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("figures"),
    show_default=True,
    help="Folder for the PDF and PNG files.",
)
def plot_command(
    kind: str,
    results_dir: Path,
    datasets: str | None,
    methods: str | None,
    bit_length: int | None,
    metric: str,
    protocol: Protocol,
    style: str,
    out: Path,
) -> None:
    """Figures of a results folder: pr (precision-recall by Hamming radius),
    bits (a metric against code length) or topk (precision@K), one per dataset; or
    cd, the critical-difference diagram of the methods' average ranks over every
    dataset, code length and direction (Friedman and Nemenyi tests); as PDF and PNG."""
    from cmhbench.report import plots
    from cmhbench.report.frames import pr_frame, records_frame
    from cmhbench.report.tables import parse_metric

    found = _read(results_dir)
    frame = records_frame(found, protocol)
    wanted = split_names(datasets) or sorted(frame["dataset"].unique())
    unknown = sorted(set(wanted) - set(frame["dataset"]))
    if unknown:
        raise CmhbenchError(f"no records for dataset {', '.join(unknown)} in {results_dir}")
    chosen_methods = split_names(methods)
    ok_bits = frame.loc[frame["status"] == "ok", "bits"]
    if ok_bits.empty:
        raise CmhbenchError(f"no finished cells in {results_dir}")
    bits = bit_length or int(ok_bits.max())
    choice = parse_metric(metric)
    if kind == "bits" and choice.k is not None:
        raise CmhbenchError("bits plots take map or map_tie_aware (K metrics have topk plots)")
    curves = pr_frame(found, protocol) if kind == "pr" else None
    if kind == "cd":
        stem = "cd" + ("" if protocol == "suite" else f"-{protocol}")
        _save_figure(_cd_figure(frame, choice, wanted, chosen_methods, style), out, stem)
        return
    for dataset in wanted:
        try:
            if kind == "pr":
                figure = plots.pr_figure(
                    curves, dataset=dataset, bits=bits, methods=chosen_methods, context=style
                )
            elif kind == "bits":
                figure = plots.bits_figure(
                    frame,
                    dataset=dataset,
                    metric=choice.name,
                    label=choice.label,
                    methods=chosen_methods,
                    context=style,
                )
            else:
                figure = plots.topk_figure(
                    frame, dataset=dataset, bits=bits, methods=chosen_methods, context=style
                )
        except ValueError as exc:
            raise CmhbenchError(str(exc)) from None
        stem = f"{kind}-{dataset}" + ("" if kind == "bits" else f"-{bits}bits")
        stem += "" if protocol == "suite" else f"-{protocol}"
        _save_figure(figure, out, stem)


def _cd_figure(
    frame: Any, choice: Any, datasets: list[str], methods: list[str] | None, style: str
) -> Any:
    """The critical-difference diagram of ``frame``'s runs over the cases of ``datasets``."""
    from cmhbench.report import plots
    from cmhbench.report.frames import of_methods
    from cmhbench.report.names import method_label
    from cmhbench.report.tables import select
    from cmhbench.stats.ranks import case_matrix, rank_test

    rows = of_methods(select(frame, choice, datasets=datasets), methods)
    test = rank_test(case_matrix(rows))
    if test.left_out:
        click.echo(f"note: left out for lacking some case: {', '.join(test.left_out)}", err=True)
    title = (
        f"{choice.label}: average rank over {test.cases} cases (dataset, bits, direction); "
        f"Friedman p = {test.friedman_p:.2g}\nbars join methods the Nemenyi test does not "
        f"tell apart at level {test.alpha} (critical difference {test.critical_difference:.2f})"
    )
    click.echo(
        "average ranks: "
        + ", ".join(f"{method_label(run)} {rank:.2f}" for run, rank in test.mean_ranks.items()),
        err=True,
    )
    return plots.cd_figure(test, title=title, context=style)


def _save_figure(figure: Any, out: Path, stem: str) -> None:
    """``figure`` as ``out/stem.pdf`` and ``.png`` (no creation date in the PDF: the
    same records give the same bytes)."""
    pdf = {"metadata": {"CreationDate": None}}
    for suffix, options in ((".pdf", pdf), (".png", {"dpi": 200})):
        path = out / f"{stem}{suffix}"
        try:
            out.mkdir(parents=True, exist_ok=True)
            figure.savefig(path, **options)
        except OSError as exc:
            raise CmhbenchError(f"cannot write {path}: {exc.strerror}") from None
        click.echo(f"wrote {path}", err=True)
