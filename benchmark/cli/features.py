"""The ``cmhbench features`` command: a raw data set to the suite's feature files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cmhbench.features.catalogue import BACKBONES


@click.command("features")
@click.argument("layout", type=click.Choice(["generic", "mirflickr25k", "nus-wide-tc10"]))
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
    "--vocabulary-size",
    default=1000,
    show_default=True,
    help="generic: words in the bag of words.",
)
@click.option(
    "--split-seed",
    default=0,
    show_default=True,
    help="mirflickr25k, nus-wide-tc10: seed of the row order (UCCH's queries are the last rows).",
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
    split_seed: int,
    device: str,
    batch_size: int,
    workers: int,
) -> None:
    """Make feature files from a raw data set (resumable: rerun to continue).

    LAYOUT 'generic': RAW/items.tsv with columns image (a file under RAW), text and
    labels ('|'-separated names); writes OUT/<RAW's name>.npz, which `cmhbench run
    --datasets OUT/<name>.npz` reads, and a .json sidecar saying how it was made.

    LAYOUT 'mirflickr25k': RAW holds the unpacked distribution (mirflickr/ with the
    images, meta/tags/ and doc/common_tags.txt, and mirflickr25k_annotations_v080/);
    writes the field's 20,015 pairs as UCCH's three .mat files in OUT, which
    `cmhbench run --datasets mirflickr25k --data-root OUT` reads, and
    mirflickr25k-features.json.

    LAYOUT 'nus-wide-tc10': RAW holds the release (ImageList/, NUS_WID_Tags/,
    Groundtruth/AllLabels/) and the images under Flickr/; writes the top-10-concept
    pairs as UCCH's nus-wide-tc10 files and nus-wide-tc10-features.json.
    """
    from cmhbench.features.make import make_generic, make_mirflickr, make_nus_wide
    from cmhbench.training import resolve_device

    options: dict[str, Any] = {
        "backbone": backbone,
        "weights": weights,
        "seed": seed,
        "device": str(resolve_device(device)),
        "batch_size": batch_size,
        "workers": workers,
    }
    if layout == "generic":
        path = make_generic(raw, out, vocabulary_size=vocabulary_size, **options)
        click.echo(f"wrote {path} and {path.with_suffix('.json').name}")
        return
    make = make_mirflickr if layout == "mirflickr25k" else make_nus_wide
    paths = make(raw, out, split_seed=split_seed, **options)
    click.echo(f"wrote {', '.join(str(p) for p in paths)} and {layout}-features.json")
