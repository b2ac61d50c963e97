"""What the field's feature-file datasets share (:class:`FieldDataset`): the data root,
finding files, the split.

Data root: the ``root`` option (``--data-root`` on the command line), else the
environment variable ``CMHBENCH_DATA_ROOT``, else ``./data`` (where UCCH's code
looks). A dataset's files are looked for in the root itself, in the sub-folder
UCCH's code uses (``MIRFLICKR25K/``, ...) and in a folder named like the dataset
(``mirflickr25k/``).

The UCCH protocol: the files' row order is the split; the last ``n_query`` rows are
the queries and every other row is both the retrieval set and the training set. The
``queries`` option takes another count of last rows (e.g. ``mirflickr25k:queries=100``
for a layout made from part of the raw data); the data set's name then says so
(``mirflickr25k-q100``), so its results never share a folder with the field's split.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np

from cmhbench.data import CrossModalData
from cmhbench.datasets.base import Dataset
from cmhbench.errors import CmhbenchError

ROOT_VARIABLE = "CMHBENCH_DATA_ROOT"


def data_root(root: str | None) -> Path:
    """The data root: the given one, else $CMHBENCH_DATA_ROOT, else ./data."""
    return Path(root or os.environ.get(ROOT_VARIABLE) or "data").expanduser()


class FieldDataset(Dataset):
    """One of the field's data sets, read from its feature files under a data root.

    Subclasses set ``folders`` (sub-folders of the root searched besides the root
    itself, as UCCH's code names them, and one named like the dataset) and ``source``
    (where the files can be got), and write ``files`` and ``load``. Supervised methods
    train on 5,000 sampled retrieval pairs, as in UCCH's comparison.
    """

    folders: ClassVar[tuple[str, ...]] = ()
    source: ClassVar[str] = ""
    supervised_train_size: int | None = 5000

    def __init__(self, root: str | None = None, queries: int | None = None):
        self.root = data_root(root)
        if queries is not None and queries < 1:
            raise CmhbenchError(f"{self.registered_as}: queries must be at least 1, got {queries}")
        self.queries = queries

    @property
    def name(self) -> str:
        """The registered name, with ``-qN`` when the ``queries`` option is set."""
        base = super().name
        return base if self.queries is None else f"{base}-q{self.queries}"

    def search_path(self) -> list[Path]:
        return [self.root, *(self.root / folder for folder in self.folders)]

    def find(self, *names: str) -> Path | None:
        """The first of ``names`` found in the search path (None if none is)."""
        for folder in self.search_path():
            for name in names:
                if (folder / name).is_file():
                    return folder / name
        return None

    def require(self, *names: str) -> Path:
        """Like :meth:`find`, but a missing file is an error that says where we looked."""
        found = self.find(*names)
        if found is None:
            places = ", ".join(str(folder) for folder in self.search_path())
            raise CmhbenchError(
                f"{self.name}: none of {', '.join(names)} found in {places} "
                f"(set --data-root or ${ROOT_VARIABLE}); get the files from {self.source}"
            )
        return found

    def ucch_split(
        self,
        image: np.ndarray,
        text: np.ndarray,
        labels: np.ndarray,
        *,
        n_query: int,
        files: Sequence[Path],
    ) -> CrossModalData:
        """The data with the UCCH protocol: the last ``n_query`` rows (the ``queries``
        option's count when it is set) are queries; every other row is both the
        retrieval set and the training set."""
        same_rows([("image features", image), ("text features", text), ("labels", labels)])
        n = image.shape[0]
        if self.queries is not None:
            n_query = self.queries
        if not 0 < n_query < n:
            raise CmhbenchError(
                f"{self.name}: cannot take the last {n_query} of {n} rows as queries "
                f"(a smaller set takes the option {self.registered_as}:queries=N)"
            )
        query = np.arange(n - n_query, n, dtype=np.int64)
        empty = np.flatnonzero(labels[query].sum(1) == 0)
        if empty.size:
            raise CmhbenchError(
                f"{self.name}: {empty.size} query row(s) have no label "
                f"(first: row {query[empty[0]]}); their relevance is undefined"
            )
        rest = np.arange(n - n_query, dtype=np.int64)
        return CrossModalData(
            name=self.name,
            image=image,
            text=text,
            labels=labels,
            train_idx=rest,
            query_idx=query,
            retrieval_idx=rest,
            split={
                "protocol": (
                    f"UCCH: the last {n_query} rows are queries; train = retrieval = the rest"
                ),
                "files": [str(path) for path in files],
            },
        )


def features(array: np.ndarray, path: Path, key: str) -> np.ndarray:
    """A 2-D numeric feature matrix as float32."""
    if array.ndim != 2 or array.dtype.kind not in "biuf":
        raise CmhbenchError(
            f"{path}: {key} must be a 2-D numeric matrix, got {array.dtype} of shape {array.shape}"
        )
    return array.astype(np.float32, copy=False)


def multi_hot(array: np.ndarray, path: Path, key: str) -> np.ndarray:
    """A 0/1 label matrix as uint8."""
    if array.ndim != 2 or array.dtype.kind not in "biuf":
        raise CmhbenchError(f"{path}: {key} must be a 2-D 0/1 label matrix, got {array.shape}")
    if not np.isin(array, (0, 1)).all():
        raise CmhbenchError(f"{path}: {key} must hold only 0 and 1 (multi-hot labels)")
    return array.astype(np.uint8)


def one_hot(classes: np.ndarray, n_classes: int, path: Path, key: str) -> np.ndarray:
    """Single labels 0..n_classes-1 (a vector or an n x 1 matrix) as one-hot uint8."""
    classes = np.asarray(classes).reshape(-1)
    if classes.dtype.kind not in "biuf" or not np.isin(classes, np.arange(n_classes)).all():
        raise CmhbenchError(f"{path}: {key} must hold class numbers 0..{n_classes - 1}")
    return np.eye(n_classes, dtype=np.uint8)[classes.astype(np.int64)]


def same_rows(sources: Sequence[tuple[str, np.ndarray]]) -> None:
    """Every array has the same number of rows, else one line naming each count."""
    counts = {name: array.shape[0] for name, array in sources}
    if len(set(counts.values())) > 1:
        listed = ", ".join(f"{name} has {count}" for name, count in counts.items())
        raise CmhbenchError(f"the files disagree on the number of items: {listed}")
