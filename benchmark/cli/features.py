"""The ``cmhbench features`` command: a raw data set to the suite's feature files."""

from __future__ import annotations

from pathlib import Path

import click

from cmhbench.features.catalogue import BACKBONES


@click.command("features")
@click.argument("layout", type=click.Choice(["generic"]))
@click.option(
    "--raw",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="The raw data set's folder.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Where the feature files go.",
)
@click.option(
    "--backbone", type=click.Choice(sorted(BACKBONES)), default="vgg19", show_default=True
)
@click.option(
    "--weights",
    default=None,
    help="A torchvision weights file, or 'random' (seeded; for tests). Default: torch's hub cache.",
)
@click.option("--seed", default=0, show_default=True, help="Seed of --weights random.")
@click.option(
    "--vocabulary-size", default=1000, show_default=True, help="Words in the bag of words."
)
@click.option("--device", default="auto", show_default=True, help="cpu, cuda, cuda:N or auto.")
@click.option("--batch-size", default=32, show_default=True)
@click.option("--workers", default=1, show_default=True, help="Image decoding processes (0: none).")
def features_command(
    layout: str,
    raw: Path,
    out: Path,
    backbone: str,
    weights: str | None,
    seed: int,
    vocabulary_size: int,
    device: str,
    batch_size: int,
    workers: int,
) -> None:
    """Make feature files from a raw data set (resumable: rerun to continue).

    LAYOUT 'generic': RAW/items.tsv with columns image (a file under RAW), text and
    labels ('|'-separated names); writes OUT/<RAW's name>.npz, which `cmhbench run
    --datasets OUT/<name>.npz` reads, and a .json sidecar saying how it was made.
    """
    from cmhbench.features.make import make_generic
    from cmhbench.training import resolve_device

    path = make_generic(
        raw,
        out,
        backbone=backbone,
        weights=weights,
        seed=seed,
        vocabulary_size=vocabulary_size,
        device=str(resolve_device(device)),
        batch_size=batch_size,
        workers=workers,
    )
    click.echo(f"wrote {path} and {path.with_suffix('.json').name}")
