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
    filterable mAP tables with their statistics, interactive figures, a heat map, a
    page per method and per cell. Each RESULTS folder is a collection of its own (a
    selector switches between them). It opens from file:// with no server and no
    network."""
    from cmhbench.cli.results import _read_located
    from cmhbench.report.site.build import build_site

    collections = []
    for folder in dict.fromkeys(path.resolve() for path in results_dirs):
        located = _read_located(folder)
        if not any(record["status"] == "ok" for _, record in located):
            raise CmhbenchError(
                f"no finished cell in {folder}: nothing to report ('cmhbench cells "
                f"{folder}' says what state each cell is in)"
            )
        collections.append((_collection_name(folder, results_dirs), located))
    payload = build_site(collections, out, title=title, protocol=protocol)
    cells = sum(len(collection["cells"]) for collection in payload["collections"])
    click.echo(f"{cells} cells -> {out / 'index.html'}")


def _collection_name(folder: Path, given: tuple[Path, ...]) -> str:
    """The folder's name, or its path where two folders given share a name."""
    names = [path.resolve().name for path in given]
    return folder.name if names.count(folder.name) == 1 else str(folder)
