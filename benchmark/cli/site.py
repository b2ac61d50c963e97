"""The ``cmhbench report`` command: a browsable, self-contained results site."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from cmhbench.cli.options import PROTOCOL
from cmhbench.errors import CmhbenchError

if TYPE_CHECKING:
    from cmhbench.protocols import Protocol


@click.command("report")
@click.argument(
    "results_dirs", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="RESULTS..."
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for the site (index.html, data.js, assets/); made if missing.",
)
@click.option("--title", default="cmhbench results", show_default=True, help="The page's title.")
@PROTOCOL
def report_command(
    results_dirs: tuple[Path, ...], out: Path, title: str, protocol: Protocol
) -> None:
    """A static site of RESULTS in OUT: leaderboards with the rank test, sortable and
    filterable mAP tables with their statistics, interactive figures, a page per
    method and per cell. It opens from file:// with no server and no network."""
    from cmhbench.cli.results import _read_located
    from cmhbench.report.site.build import build_site

    unique = {
        path.resolve(): (path, record)
        for folder in results_dirs
        for path, record in _read_located(folder)
    }
    located = list(unique.values())
    if not any(record["status"] == "ok" for _, record in located):
        folders = ", ".join(str(folder) for folder in results_dirs)
        raise CmhbenchError(
            f"no finished cell in {folders}: nothing to report ('cmhbench cells FOLDER' "
            "says what state each cell is in)"
        )
    payload = build_site(located, out, title=title, protocol=protocol)
    click.echo(f"{len(payload['cells'])} cells -> {out / 'index.html'}")
