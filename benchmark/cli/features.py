"""The ``cmhbench features`` command: a raw data set to the suite's feature files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cmhbench.features.catalogue import BACKBONES


@click.command("features")
@click.argument("layout", type=click.Choice(["generic", "mirflickr25k", "nus-wide-tc10", "mscoco"]))
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
    type=int,
    default=None,
    help="generic, mscoco: words in the bag of words (default 1,000 and 2,000).",
)
@click.option(
    "--split-seed",
    default=0,
    show_default=True,
    help="The field's layouts: seed of the row order (UCCH's queries are the last rows).",
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
    vocabulary_size: int | None,
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

    LAYOUT 'mscoco': RAW holds MS-COCO 2014 (train2014/, val2014/, annotations/);
    writes the images with an object instance as mscoco-caption-bow.h5 (a caption bag
    of words in place of UCCH's Doc2Vec) and mscoco-features.json.
    """
    from cmhbench.features import field
    from cmhbench.features.make import make_generic
    from cmhbench.training import resolve_device

    options: dict[str, Any] = {
        "backbone": backbone,
        "weights": weights,
        "seed": seed,
        "device": str(resolve_device(device)),
        "batch_size": batch_size,
        "workers": workers,
    }
    if vocabulary_size is not None:
        options["vocabulary_size"] = vocabulary_size
    if layout == "generic":
        path = make_generic(raw, out, **options)
        click.echo(f"wrote {path} and {path.with_suffix('.json').name}")
        return
    if layout != "mscoco" and vocabulary_size is not None:
        raise click.UsageError(f"--vocabulary-size: {layout}'s vocabulary is the field's own")
    make = {
        "mirflickr25k": field.make_mirflickr,
        "nus-wide-tc10": field.make_nus_wide,
        "mscoco": field.make_mscoco,
    }[layout]
    paths = make(raw, out, split_seed=split_seed, **options)
    click.echo(f"wrote {', '.join(str(p) for p in paths)} and {layout}-features.json")
