"""A raw data set to the feature files the suite reads, with a JSON sidecar saying how
they were made: the generic layout to one ``.npz``; MIRFlickr-25K to UCCH's three
MATLAB files."""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any, Literal

import numpy as np

from cmhbench.features.catalogue import get_backbone
from cmhbench.features.extract import Extraction, extract
from cmhbench.features.images import CROP, MEAN, RESIZE, STD
from cmhbench.features.layouts import read_generic
from cmhbench.features.matlab import write_matlab
from cmhbench.features.mirflickr import read_mirflickr
from cmhbench.features.nus_wide import read_nus_wide
from cmhbench.features.texts import bag_of_words, vocabulary
from cmhbench.features.weights import load_backbone
from cmhbench.store.records import atomic_write_bytes

PREPROCESSING = (
    f"RGB; shorter side resized to {RESIZE} (bilinear, PIL), centre crop {CROP}x{CROP}, "
    f"[0, 1] scaled, normalised with mean {list(MEAN)} and std {list(STD)}"
)


def make_generic(
    raw: Path,
    out: Path,
    *,
    backbone: str = "vgg19",
    weights: str | None = None,
    seed: int = 0,
    vocabulary_size: int = 1000,
    device: str = "cpu",
    batch_size: int = 32,
    workers: int = 1,
    progress: bool = True,
) -> Path:
    """Features of a data set in the generic layout (:mod:`cmhbench.features.layouts`)
    as ``OUT/<raw folder name>.npz`` (keys image, text, labels: the suite's own file
    format) beside ``<name>.json``; returns the .npz path. Items whose image cannot be
    decoded are left out of all three arrays."""
    items = read_generic(raw)
    found, image = _image_features(
        items.images, raw, out / f".{raw.name}-chunks", backbone, weights, seed,
        device=device, batch_size=batch_size, workers=workers, progress=progress,
    )  # fmt: skip
    keep = np.setdiff1d(np.arange(len(items.images)), found.unreadable)
    texts = [items.texts[i] for i in keep]
    words = vocabulary(texts, vocabulary_size)
    buffer = io.BytesIO()
    text = bag_of_words(texts, words)
    np.savez(buffer, image=found.features, text=text, labels=items.labels[keep])
    path = out / f"{raw.name}.npz"
    atomic_write_bytes(path, buffer.getvalue())
    sidecar = {
        "layout": "generic",
        "raw": str(raw),
        "items": len(keep),
        "dropped": [
            {"position": int(i), "image": str(items.images[i].relative_to(raw))}
            for i in found.unreadable
        ],
        "image": image,
        "text": {
            "rule": f"binary bag of words over the {len(words)} words in most texts",
            "vocabulary": words,
        },
        "labels": items.label_names,
        "software": _versions(),
    }
    atomic_write_bytes(path.with_suffix(".json"), json.dumps(sidecar, indent=1).encode())
    return path


MatlabVersion = Literal["v5", "v7.3"]
MIRFLICKR_FILES: dict[str, tuple[str, MatlabVersion]] = {
    "XAll": ("mirflickr25k-iall-vgg.mat", "v5"),
    "YAll": ("mirflickr25k-yall.mat", "v5"),
    "LAll": ("mirflickr25k-lall.mat", "v5"),
}
# v7.3 where a matrix can pass MATLAB v5's 2 GiB (186,577 x 4,096 float32 is 3 GiB)
NUS_WIDE_FILES: dict[str, tuple[str, MatlabVersion]] = {
    "XAll": ("nus-wide-tc10-xall-vgg.mat", "v7.3"),
    "YAll": ("nus-wide-tc10-yall.mat", "v7.3"),
    "LAll": ("nus-wide-tc10-lall.mat", "v5"),
}


def make_mirflickr(raw: Path, out: Path, *, split_seed: int = 0, **options: Any) -> list[Path]:
    """The raw MIRFlickr-25K distribution under ``raw`` (see
    :mod:`cmhbench.features.mirflickr`) as UCCH's files in ``out``:
    ``mirflickr25k-iall-vgg.mat`` (``XAll``, image features), ``-yall.mat`` (``YAll``,
    the 0/1 tag vectors) and ``-lall.mat`` (``LAll``, the 24 labels), MATLAB v5 as
    UCCH's are, beside ``mirflickr25k-features.json``; returns the three paths.
    ``options``: backbone, weights, seed, device, batch_size, workers, progress.

    UCCH's files come shuffled and its protocol takes the last 2,000 rows as queries;
    these are shuffled by ``default_rng(split_seed)``, and the sidecar gives each row's
    image ID. Images that cannot be decoded are left out of all three files.
    """
    chosen = read_mirflickr(raw)
    found, image = _image_features(chosen.images, raw, out / ".mirflickr25k-chunks", **options)
    about = {
        "layout": "mirflickr25k",
        "selection": {
            "rule": "images with at least one vocabulary tag and at least one label, "
            "in ID order (DCMH, CVPR 2017, Sec. 4.1)",
            "images": chosen.total,
            "without_tags": chosen.without_tags,
            "without_labels": chosen.without_labels,
        },
        "image": image,
        "text": {"rule": chosen.vocabulary_rule, "vocabulary": chosen.vocabulary},
        "labels": chosen.label_names,
    }
    arrays = {"YAll": chosen.text, "LAll": chosen.labels}
    items = _Items(chosen.ids, chosen.images, arrays, "image ID")
    return _write_field(raw, out, MIRFLICKR_FILES, found, items, split_seed, 2000, about)


def make_nus_wide(raw: Path, out: Path, *, split_seed: int = 0, **options: Any) -> list[Path]:
    """The raw NUS-WIDE release under ``raw`` (see :mod:`cmhbench.features.nus_wide`)
    as UCCH's files in ``out`` (``nus-wide-tc10-xall-vgg.mat``, ``-yall.mat``,
    ``-lall.mat``) beside ``nus-wide-tc10-features.json``, as :func:`make_mirflickr`
    does; images missing or unreadable are left out (many of the release's URLs are
    dead), and the sidecar lists them."""
    chosen = read_nus_wide(raw)
    found, image = _image_features(chosen.images, raw, out / ".nus-wide-tc10-chunks", **options)
    about = {
        "layout": "nus-wide-tc10",
        "selection": {
            "rule": f"images with at least one of the {len(chosen.label_names)} concepts with "
            "the most images, in list order (DCMH's nus-wide-tc10 files); tag vectors as "
            "given, all-zero ones kept",
            "images": chosen.total,
            "selected_without_tags": chosen.without_tags,
            "concept_counts": chosen.concept_counts,
        },
        "image": image,
        "text": {"rule": "the image's row of NUS_WID_Tags/AllTags1k.txt", "tags": chosen.tags},
        "labels": chosen.label_names,
    }
    arrays = {"YAll": chosen.text, "LAll": chosen.labels}
    items = _Items(chosen.rows, chosen.images, arrays, "row of ImageList/Imagelist.txt (0-based)")
    return _write_field(raw, out, NUS_WIDE_FILES, found, items, split_seed, 2100, about)


@dataclass(frozen=True)
class _Items:
    """The selected items of a field layout: their identifiers (and what they are),
    image files, and text and label arrays (``YAll``, ``LAll``) in the same order."""

    ids: list[int]
    images: list[Path]
    arrays: dict[str, np.ndarray]
    id_meaning: str


def _write_field(
    raw: Path,
    out: Path,
    files: dict[str, tuple[str, MatlabVersion]],
    found: Extraction,
    items: _Items,
    split_seed: int,
    queries: int,
    about: dict[str, Any],
) -> list[Path]:
    """UCCH's three files of the readable items in a seeded order, and the sidecar
    ``about`` completed with the rows' identifiers and the dropped items."""
    readable = np.setdiff1d(np.arange(len(items.ids)), found.unreadable)
    order = np.random.default_rng(split_seed).permutation(readable.size)
    rows = readable[order]
    arrays = {"XAll": found.features[order], **{k: v[rows] for k, v in items.arrays.items()}}
    paths = []
    for key, (name, matlab) in files.items():
        write_matlab(out / name, {key: arrays[key]}, matlab)
        paths.append(out / name)
    sidecar = {
        "layout": about.pop("layout"),
        "raw": str(raw),
        "items": int(rows.size),
        "files": {key: name for key, (name, _) in files.items()},
        **about,
        "dropped": [
            {"id": items.ids[i], "image": str(items.images[i].relative_to(raw))}
            for i in found.unreadable
        ],
        "row_order": f"numpy default_rng({split_seed}).permutation; UCCH's protocol takes "
        f"the last {queries:,} rows as queries",
        "row_ids": {"meaning": items.id_meaning, "ids": [items.ids[i] for i in rows]},
        "software": _versions(),
    }
    sidecar_path = out / f"{sidecar['layout']}-features.json"
    atomic_write_bytes(sidecar_path, json.dumps(sidecar, indent=1).encode())
    return paths


def _image_features(
    images: list[Path],
    raw: Path,
    chunks: Path,
    backbone: str = "vgg19",
    weights: str | None = None,
    seed: int = 0,
    **options: Any,
) -> tuple[Extraction, dict[str, Any]]:
    """The backbone's features of ``images`` (resumable in ``chunks``) and the sidecar's
    account of how they were made."""
    chosen = get_backbone(backbone)
    model, made = load_backbone(chosen, weights, seed)
    listing = "\n".join(str(path.relative_to(raw)) for path in images).encode()
    manifest = {"backbone": backbone, **made, "items_sha256": hashlib.sha256(listing).hexdigest()}
    found = extract(images, model, chunks, manifest, **options)
    made_by = {
        "backbone": backbone,
        "layer": chosen.layer,
        "dim": chosen.dim,
        **made,
        "preprocessing": PREPROCESSING,
    }
    return found, made_by


def _versions() -> dict[str, Any]:
    return {package: version(package) for package in ("cmhbench", "torch", "numpy", "pillow")}
