"""Raw data sets as lists of items: image files, texts and labels.

The generic layout, for a new data set::

    DIR/items.tsv      one row per item, tab-separated, with a header:
                       image   the image file, relative to DIR
                       text    the item's text (tags or a caption)
                       labels  the item's label names, separated by '|'

Items keep the file's order; label names are sorted into the label columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cmhbench.errors import CmhbenchError

COLUMNS = ("image", "text", "labels")
LABEL_SEPARATOR = "|"


@dataclass(frozen=True)
class RawItems:
    """A raw data set: row i of each field is item i."""

    images: list[Path]
    texts: list[str]
    labels: np.ndarray  # (n, c) uint8 multi-hot
    label_names: list[str]


def read_generic(folder: Path) -> RawItems:
    """The generic layout's ``items.tsv`` (see the module docstring).

    Raises:
        CmhbenchError: a missing file or column, or an item without labels.
    """
    table_path = folder / "items.tsv"
    if not table_path.is_file():
        raise CmhbenchError(f"{table_path}: not found (expected columns {', '.join(COLUMNS)})")
    table = pd.read_csv(table_path, sep="\t", dtype=str, keep_default_na=False)
    missing = [column for column in COLUMNS if column not in table.columns]
    if missing:
        raise CmhbenchError(
            f"{table_path}: missing column(s) {', '.join(missing)} (expected {', '.join(COLUMNS)})"
        )
    names = [
        sorted({name.strip() for name in cell.split(LABEL_SEPARATOR) if name.strip()})
        for cell in table["labels"]
    ]
    unlabelled = [index + 2 for index, item in enumerate(names) if not item]  # file lines
    if unlabelled:
        raise CmhbenchError(f"{table_path}: line(s) {unlabelled[:5]} have no labels")
    label_names = sorted({name for item in names for name in item})
    column = {name: index for index, name in enumerate(label_names)}
    labels = np.zeros((len(table), len(label_names)), np.uint8)
    for row, item in enumerate(names):
        labels[row, [column[name] for name in item]] = 1
    return RawItems(
        images=[folder / name for name in table["image"]],
        texts=list(table["text"]),
        labels=labels,
        label_names=label_names,
    )
