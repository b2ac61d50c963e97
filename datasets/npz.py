"""A user's own data as one ``.npz`` file, or an HDF5 file (``.h5``/``.hdf5``) with
the same keys as datasets (row-major, as h5py and pandas write them).

Layout (arrays, one row per item; row i of ``image`` pairs with row i of ``text``):

========================  ===================  =========================================
key                       shape, dtype         meaning
========================  ===================  =========================================
``image``                 (n, d_x) float       image features
``text``                  (n, d_y) float       text features
``labels``                (n, c) 0/1           multi-hot labels (relevance = a shared label)
``train_idx`` (optional)  (n_train,) int       rows used for training
``query_idx`` (optional)  (n_query,) int       query rows
``retrieval_idx`` (opt.)  (n_retrieval,) int   rows searched
========================  ===================  =========================================

Without the index arrays a seeded split is drawn: ``min(2000, n // 10)`` queries,
the rest is the retrieval set and the training set; the split is recorded with
every result. Give all three index arrays or none.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from cmhbench.arrays import read_arrays
from cmhbench.data import CrossModalData, random_split
from cmhbench.datasets.base import Dataset
from cmhbench.errors import CmhbenchError

REQUIRED = ("image", "text", "labels")
INDEX_KEYS = ("train_idx", "query_idx", "retrieval_idx")
DATA_SUFFIXES = (".npz", ".h5", ".hdf5")


class NpzFile(Dataset):
    """A user's ``.npz`` or HDF5 file as a dataset loader (checked for existence up front)."""

    description = "your own data (layout in cmhbench.datasets.npz)"

    def __init__(self, path: Path):
        if not path.is_file():
            raise CmhbenchError(f"data file not found: {path}")
        self.path = path

    @property
    def name(self) -> str:
        return self.path.stem

    def files(self) -> list[Path]:
        return [self.path]

    def load(self, *, seed: int = 0) -> CrossModalData:
        return load_npz(self.path, seed=seed)


def load_npz(path: str | Path, *, seed: int = 0) -> CrossModalData:
    """Read and validate a user's ``.npz`` data file (layout in the module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise CmhbenchError(f"data file not found: {path}")
    arrays = read_arrays(path, (), optional=(*REQUIRED, *INDEX_KEYS))
    missing = [key for key in REQUIRED if key not in arrays]
    if missing:
        raise CmhbenchError(
            f"{path} lacks array(s) {', '.join(missing)}; expected image (n, d_x), "
            "text (n, d_y) and labels (n, c)"
        )
    present = [key for key in INDEX_KEYS if key in arrays]
    if present and len(present) != len(INDEX_KEYS):
        raise CmhbenchError(
            f"{path} has {', '.join(present)} but not all of {', '.join(INDEX_KEYS)}"
        )
    for key in REQUIRED:
        if arrays[key].dtype.kind not in "biuf":
            raise CmhbenchError(f"{path}: {key} must be numeric, got dtype {arrays[key].dtype}")
        if arrays[key].size == 0:
            raise CmhbenchError(f"{path}: {key} is empty (shape {arrays[key].shape})")
    labels = arrays["labels"]
    if labels.ndim == 2 and labels.size and not np.isin(np.unique(labels), (0, 1)).all():
        raise CmhbenchError(f"{path}: labels must be multi-hot 0/1 values")
    n = arrays["image"].shape[0]
    if present:
        train, query, retrieval = (np.asarray(arrays[key]) for key in INDEX_KEYS)
        split: dict[str, Any] = {"protocol": "index arrays from the file"}
    else:
        n_query = min(2000, n // 10)
        train, query, retrieval = random_split(n, n_query=max(n_query, 1), n_train=None, seed=seed)
        split = {"protocol": "random queries; train = retrieval", "seed": seed}
    split["file_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    return CrossModalData(
        name=path.stem,
        image=arrays["image"].astype(np.float32, copy=False),
        text=arrays["text"].astype(np.float32, copy=False),
        labels=labels.astype(np.uint8, copy=False),
        train_idx=train,
        query_idx=query,
        retrieval_idx=retrieval,
        split=split,
    )
