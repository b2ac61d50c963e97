"""The ``cmhbench list`` command: registered methods and datasets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from cmhbench.cli.options import DATA_ROOT
from cmhbench.errors import CmhbenchError


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@DATA_ROOT
def list_command(as_json: bool, data_root: Path | None) -> None:
    """Show the registered methods (paper, supervision, native retrieval protocol,
    defaults) and datasets."""
    from cmhbench.protocols import NATIVE_KINDS
    from cmhbench.registry import DATASETS, METHODS

    methods = []
    for name in METHODS.names():
        entry: dict[str, Any] = {"name": name, "origin": METHODS.origin(name)}
        try:
            cls = METHODS.get(name)
        except CmhbenchError as exc:
            entry.update(available=False, error=str(exc))
        else:
            entry.update(
                available=True,
                paper=cls.info.citation(),
                code=cls.info.code,
                supervised=cls.info.supervised,
                native_protocol=cls.info.native,
                native_protocol_means=NATIVE_KINDS[cls.info.native],
                defaults=cls.defaults(),
                dataset_defaults=cls.dataset_defaults,
            )
        methods.append(entry)
    datasets = [{"name": name, "origin": DATASETS.origin(name)} for name in DATASETS.names()]
    for entry in datasets:
        try:
            entry["description"] = DATASETS.get(entry["name"]).description
        except CmhbenchError as exc:
            entry["description"] = f"unavailable: {exc}"
            entry["files"] = "unavailable"
        else:
            entry["files"] = _files_status(entry["name"], data_root)
    if as_json:
        click.echo(json.dumps({"methods": methods, "datasets": datasets}, indent=2, default=list))
        return
    click.echo("Methods:")
    for entry in methods:
        if not entry["available"]:
            click.echo(f"  {entry['name']:<12} UNAVAILABLE: {entry['error']}")
            continue
        kind = "supervised" if entry["supervised"] else "unsupervised"
        click.echo(f"  {entry['name']:<12} {kind}, {entry['origin']}: {entry['paper']}")
        defaults = ", ".join(f"{k}={v['default']}" for k, v in entry["defaults"].items())
        click.echo(
            f"  {'':<12} native protocol: {entry['native_protocol']} "
            f"({entry['native_protocol_means']})"
        )
        click.echo(f"  {'':<12} defaults: {defaults}")
    click.echo("Datasets:")
    for entry in datasets:
        click.echo(f"  {entry['name']:<14} {entry['origin']}: {entry['description']}")
        click.echo(f"  {'':<14} files: {entry['files']}")
    click.echo("  PATH.npz, PATH.h5  your own data (layout in the README)")


def _files_status(name: str, data_root: Path | None) -> str:
    """'built in', or where the dataset's files were found, or where they were not."""
    from cmhbench.datasets import dataset_loader

    try:
        loader = dataset_loader(name, data_root=None if data_root is None else str(data_root))
    except Exception as exc:  # a plugin's loader that cannot be built without options
        return f"cannot tell ({type(exc).__name__}: {exc})"
    try:
        files = loader.files()
    except CmhbenchError as exc:
        return f"missing: {exc}"
    return "found: " + ", ".join(map(str, files)) if files else "built in (no files needed)"
