"""The raw NUS-WIDE release and the field's top-10-concept subset (NUS-WIDE-TC10).

The release (Chua et al., CIVR 2009; lms.comp.nus.edu.sg/research/NUS-WIDE.htm) has no
image archive: the 269,648 Flickr images are fetched by URL or obtained from the
authors, and the lists give their places. The parts read, under one folder::

    ImageList/Imagelist.txt                one image path per row (Windows separators),
                                           relative to the image folder
    Flickr/<concept folder>/<name>.jpg     the images (``Flickr/`` or ``images/``)
    NUS_WID_Tags/AllTags1k.txt             one row per image: 1,000 0/1 values
    NUS_WID_Tags/TagList1k.txt             the 1,000 tag names, in column order
    Groundtruth/AllLabels/Labels_<c>.txt   one 0/1 value per image row, for each of the
                                           81 concepts

The field's subset (DCMH's ``nus-wide-tc10`` files, used by UCCH, DJSRH, JDSH and
DGCPN): the 10 concepts with the most images, and the images that have at least one of
them, in list order: 186,577 pairs. Their text is the image's row of ``AllTags1k.txt``
as given: DCMH's file keeps the pairs whose 1,000-tag vector is all zero (requiring a
tag would leave 181,365), so this does too, and the sidecar counts them. The 10 label
columns are in the concepts' alphabetical order (the order of ``Concepts81.txt``); the
order of DCMH's columns is not documented.

These rules are checked here on hand-made layouts only: the release cannot be
downloaded on the machines this suite is built on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cmhbench.errors import CmhbenchError

TOP_CONCEPTS = 10
IMAGE_LIST = Path("ImageList") / "Imagelist.txt"
TAG_MATRIX = Path("NUS_WID_Tags") / "AllTags1k.txt"
TAG_NAMES = Path("NUS_WID_Tags") / "TagList1k.txt"
LABELS = Path("Groundtruth") / "AllLabels"
IMAGE_FOLDERS = ("Flickr", "images")


@dataclass(frozen=True)
class NusWideSelection:
    """The selected pairs in list order, and what the selection saw."""

    rows: list[int]  # 0-based rows of the image list
    images: list[Path]
    text: np.ndarray  # (n, 1000) float32 0/1
    labels: np.ndarray  # (n, 10) uint8 multi-hot
    tags: list[str]
    label_names: list[str]
    concept_counts: dict[str, int]  # images per concept, all 81
    total: int  # images in the list
    without_tags: int  # selected pairs whose tag vector is all zero


def read_nus_wide(raw: Path) -> NusWideSelection:
    """The top-10-concept pairs of the release under ``raw``.

    Raises:
        CmhbenchError: a missing or malformed part, named with what was expected.
    """
    listed = _lines(raw / IMAGE_LIST, "one image path per row")
    folder = next((raw / name for name in IMAGE_FOLDERS if (raw / name).is_dir()), None)
    if folder is None:
        looked = " or ".join(str(raw / name) for name in IMAGE_FOLDERS)
        raise CmhbenchError(f"no NUS-WIDE image folder (looked for {looked})")
    concepts = _concepts(raw / LABELS, len(listed))
    counts = {name: int(column.sum()) for name, column in concepts.items()}
    top = sorted(sorted(counts, key=lambda name: (-counts[name], name))[:TOP_CONCEPTS])
    labels = np.stack([concepts[name] for name in top], axis=1)
    rows = np.flatnonzero(labels.any(axis=1))
    tags = _lines(raw / TAG_NAMES, "one tag name per row")
    text = _tag_matrix(raw / TAG_MATRIX, len(listed), len(tags))[rows]
    return NusWideSelection(
        rows=rows.tolist(),
        images=[folder / listed[r].replace("\\", "/") for r in rows],
        text=text,
        labels=labels[rows],
        tags=tags,
        label_names=top,
        concept_counts=counts,
        total=len(listed),
        without_tags=int((~text.any(axis=1)).sum()),
    )


def _lines(path: Path, expected: str) -> list[str]:
    if not path.is_file():
        raise CmhbenchError(f"{path}: not found ({expected})")
    return [line.strip() for line in path.read_text(errors="replace").splitlines() if line.strip()]


def _concepts(folder: Path, n: int) -> dict[str, np.ndarray]:
    """{concept: its 0/1 column over the image list}, from ``Labels_<concept>.txt``."""
    files = sorted(folder.glob("Labels_*.txt"))
    if not files:
        raise CmhbenchError(f"{folder}: no Labels_<concept>.txt files (one 0/1 per image)")
    columns = {}
    for path in files:
        values = np.array(path.read_text().split())
        if values.size != n or not np.isin(values, ("0", "1")).all():
            raise CmhbenchError(f"{path}: expected {n} values of 0 or 1, one per listed image")
        columns[path.stem.removeprefix("Labels_")] = (values == "1").astype(np.uint8)
    return columns


def _tag_matrix(path: Path, n: int, width: int) -> np.ndarray:
    if not path.is_file():
        raise CmhbenchError(f"{path}: not found ({n} rows of {width} 0/1 values)")
    matrix = pd.read_csv(path, sep=r"\s+", header=None, dtype=np.float32).to_numpy()
    if matrix.shape != (n, width) or not np.isin(matrix, (0, 1)).all():
        raise CmhbenchError(
            f"{path}: expected {n} rows of {width} 0/1 values, found shape {matrix.shape}"
        )
    return matrix
