"""The field's raw data sets to the feature files the suite's loaders read (UCCH's
names and keys: ``XAll`` image features, ``YAll`` text, ``LAll`` labels), each beside
``<name>-features.json`` saying how they were made.

UCCH's files come shuffled and its protocol takes the last rows as queries (2,000,
2,100, 5,000); these are shuffled by ``default_rng(split_seed)`` and the sidecar gives
each row's identifier in the raw data. UCCH's own permutation is not published, so the
split is not UCCH's. Items whose image is missing or cannot be decoded are left out of
every file and listed in the sidecar.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from cmhbench.atomic import atomic_write_bytes
from cmhbench.features.extract import Extraction
from cmhbench.features.make import image_features, software_versions
from cmhbench.features.matlab import write_matlab
from cmhbench.features.mirflickr import read_mirflickr
from cmhbench.features.mscoco import read_mscoco
from cmhbench.features.nus_wide import read_nus_wide
from cmhbench.features.texts import bag_of_words, vocabulary

FileFormat = Literal["v5", "v7.3", "hdf5"]  # MATLAB v5, MATLAB v7.3, row-major HDF5


@dataclass(frozen=True)
class FieldFiles:
    """A data set's files: {file name: (its format, the keys it holds)}, and how many
    of the last rows UCCH's protocol takes as queries."""

    name: str
    files: Mapping[str, tuple[FileFormat, tuple[str, ...]]]
    queries: int


MIRFLICKR = FieldFiles(
    "mirflickr25k",
    {
        "mirflickr25k-iall-vgg.mat": ("v5", ("XAll",)),
        "mirflickr25k-yall.mat": ("v5", ("YAll",)),
        "mirflickr25k-lall.mat": ("v5", ("LAll",)),
    },
    2000,
)
NUS_WIDE = FieldFiles(  # v7.3 where a matrix passes v5's 2 GiB (186,577 x 4,096 float32)
    "nus-wide-tc10",
    {
        "nus-wide-tc10-xall-vgg.mat": ("v7.3", ("XAll",)),
        "nus-wide-tc10-yall.mat": ("v7.3", ("YAll",)),
        "nus-wide-tc10-lall.mat": ("v5", ("LAll",)),
    },
    2100,
)
MSCOCO = FieldFiles("mscoco", {"mscoco-caption-bow.h5": ("hdf5", ("XAll", "YAll", "LAll"))}, 5000)


@dataclass(frozen=True)
class _Items:
    """The selected items: identifiers (and what they are), image files, and the text
    and label arrays (``YAll``, ``LAll``) in the same order."""

    ids: list[int]
    images: list[Path]
    arrays: dict[str, np.ndarray]
    id_meaning: str


def make_mirflickr(raw: Path, out: Path, *, split_seed: int = 0, **options: Any) -> list[Path]:
    """The raw MIRFlickr-25K distribution under ``raw`` (see
    :mod:`cmhbench.features.mirflickr`) as UCCH's three MATLAB v5 files in ``out``;
    returns their paths. ``options``: backbone, weights, seed, device, batch_size,
    workers, progress."""
    chosen = read_mirflickr(raw)
    found, image = image_features(chosen.images, raw, out / ".mirflickr25k-chunks", **options)
    about = {
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
    return _write(raw, out, MIRFLICKR, found, items, split_seed, about)


def make_nus_wide(raw: Path, out: Path, *, split_seed: int = 0, **options: Any) -> list[Path]:
    """The raw NUS-WIDE release under ``raw`` (see :mod:`cmhbench.features.nus_wide`) as
    UCCH's ``nus-wide-tc10`` files in ``out``; many of the release's image URLs are
    dead, so missing images are expected and listed."""
    chosen = read_nus_wide(raw)
    found, image = image_features(chosen.images, raw, out / ".nus-wide-tc10-chunks", **options)
    about = {
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
    return _write(raw, out, NUS_WIDE, found, items, split_seed, about)


def make_mscoco(
    raw: Path, out: Path, *, split_seed: int = 0, vocabulary_size: int = 2000, **options: Any
) -> list[Path]:
    """The raw MS-COCO 2014 release under ``raw`` (see :mod:`cmhbench.features.mscoco`)
    as ``mscoco-caption-bow.h5`` in ``out``: ``YAll`` is a 0/1 bag of words of the
    captions over the ``vocabulary_size`` words in the most readable items, in place of
    UCCH's Doc2Vec vectors."""
    chosen = read_mscoco(raw)
    found, image = image_features(chosen.images, raw, out / ".mscoco-chunks", **options)
    readable = found.readable
    texts = [chosen.captions[i] for i in readable]
    words = vocabulary(texts, vocabulary_size)
    text = np.zeros((len(chosen.ids), len(words)), np.float32)
    text[readable] = bag_of_words(texts, words)
    about = {
        "selection": {
            "rule": "train2014 and val2014 images with at least one object instance, "
            "train then val, by image ID (UCCH's 122,218)",
            "images": chosen.total,
            "without_labels": chosen.without_labels,
        },
        "image": image,
        "text": {
            "rule": f"0/1 bag of words of the image's captions over the {len(words)} words in "
            "the most images (lower-case alphanumeric, no stop list); UCCH's 300-d Doc2Vec "
            "vectors come from a model it does not publish and cannot be rebuilt",
            "vocabulary": words,
        },
        "labels": chosen.label_names,
    }
    items = _Items(chosen.ids, chosen.images, {"YAll": text, "LAll": chosen.labels}, "image ID")
    return _write(raw, out, MSCOCO, found, items, split_seed, about)


def _write(
    raw: Path,
    out: Path,
    layout: FieldFiles,
    found: Extraction,
    items: _Items,
    split_seed: int,
    about: dict[str, Any],
) -> list[Path]:
    """``layout``'s files of the readable items in a seeded order, and the sidecar
    (``about`` with the rows' identifiers and the dropped items); returns the files."""
    readable = found.readable
    order = np.random.default_rng(split_seed).permutation(readable.size)
    rows = readable[order]
    arrays = {"XAll": found.features[order], **{k: v[rows] for k, v in items.arrays.items()}}
    paths = []
    for name, (fmt, keys) in layout.files.items():
        chosen = {key: arrays[key] for key in keys}
        if fmt == "hdf5":
            _write_hdf5(out / name, chosen)
        else:
            write_matlab(out / name, chosen, fmt)
        paths.append(out / name)
    sidecar = {
        "layout": layout.name,
        "raw": str(raw),
        "items": int(rows.size),
        "files": {name: list(keys) for name, (_, keys) in layout.files.items()},
        **about,
        "dropped": [
            {"id": items.ids[i], "image": str(items.images[i].relative_to(raw))}
            for i in found.unreadable
        ],
        "row_order": f"numpy default_rng({split_seed}).permutation; UCCH's protocol takes "
        f"the last {layout.queries:,} rows as queries",
        "row_ids": {"meaning": items.id_meaning, "ids": [items.ids[i] for i in rows]},
        "software": software_versions(),
    }
    sidecar_path = out / f"{layout.name}-features.json"
    atomic_write_bytes(sidecar_path, json.dumps(sidecar, indent=1).encode())
    return paths


def _write_hdf5(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Row-major HDF5 datasets, as UCCH's Python-written MS-COCO file stores them,
    written beside ``path`` and moved into place."""
    import h5py

    partial = path.with_name(f".{path.name}.partial")
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(partial, "w") as f:
        for key, array in arrays.items():
            f.create_dataset(key, data=array, compression="gzip", track_times=False)
    os.replace(partial, path)
