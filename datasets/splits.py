"""Split options that every registered dataset takes, applied after it loads.

* ``split=PATH``: an ``.npz`` with ``train_idx``, ``query_idx`` and ``retrieval_idx``
  replaces the dataset's split.
* ``train_size=N``: the supervised protocol; the training set is a seeded sample of
  N retrieval items (5,000 in UCCH's comparison and DJSRH, 10,000 in DCMH and SSAH).
* ``per_label=Q,T``: per-label sampling as in DJSRH and JDSH; for each label in turn,
  Q queries and then T training items are drawn (seeded) from the items that have
  the label and are not taken yet; the retrieval set is every non-query item, and a
  training set short of (#labels x T) is topped up from it. (DJSRH draws unseeded and
  gives MIRFlickr's first label twice the share; neither is reproducible exactly.)

The draws use the grid's data seed. Each option changes the data set's name, so that
results under different splits never share a folder. A dataset that standardises its
features with its retrieval rows' statistics (uci-mfeat, synthetic) is standardised
again with the new split's retrieval rows, so no query row enters the statistics.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import numpy as np

from cmhbench.arrays import read_arrays
from cmhbench.data import CrossModalData, standardise
from cmhbench.datasets.base import Dataset, DatasetLoader
from cmhbench.datasets.npz import INDEX_KEYS
from cmhbench.errors import CmhbenchError
from cmhbench.values import parse_ints

OPTIONS = ("split", "train_size", "per_label")


def read_split(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(train_idx, query_idx, retrieval_idx) from an ``.npz`` that holds all three."""
    arrays = read_arrays(path, INDEX_KEYS)
    train, query, retrieval = (arrays[key].astype(np.int64) for key in INDEX_KEYS)
    return train, query, retrieval


def sample_training_set(retrieval: np.ndarray, size: int, seed: int) -> np.ndarray:
    """A seeded sample of ``size`` retrieval items (sorted)."""
    if not 0 < size <= retrieval.size:
        raise CmhbenchError(
            f"train_size must be in [1, {retrieval.size}] (the retrieval set), got {size}"
        )
    picker = np.random.default_rng([seed, 2])
    return np.sort(picker.choice(retrieval, size=size, replace=False)).astype(np.int64)


def per_label_split(
    labels: np.ndarray, queries_per_label: int, train_per_label: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """DJSRH/JDSH-style per-label sampling; returns (train, query, retrieval)."""
    rng = np.random.default_rng([seed, 3])
    taken = np.zeros(labels.shape[0], dtype=bool)
    query, train = [], []
    for column in range(labels.shape[1]):
        free = rng.permutation(np.flatnonzero((labels[:, column] > 0) & ~taken))
        chosen_query = free[:queries_per_label]
        chosen_train = free[queries_per_label : queries_per_label + train_per_label]
        taken[chosen_query] = taken[chosen_train] = True
        query.append(chosen_query)
        train.append(chosen_train)
    query_idx = np.sort(np.concatenate(query)).astype(np.int64)
    retrieval_idx = np.flatnonzero(~np.isin(np.arange(labels.shape[0]), query_idx))
    train_idx = np.concatenate(train)
    short = labels.shape[1] * train_per_label - train_idx.size
    if short > 0:
        spare = np.setdiff1d(retrieval_idx, train_idx)
        train_idx = np.concatenate([train_idx, rng.choice(spare, min(short, spare.size), False)])
    return np.sort(train_idx).astype(np.int64), query_idx, retrieval_idx.astype(np.int64)


class WithSplit(Dataset):
    """A dataset loader followed by one split option (see the module docstring).

    Supervised methods train on the chosen split's training part (no sampling)."""

    def __init__(self, loader: DatasetLoader, option: str, value: str):
        self.loader, self.option = loader, option
        if option == "split":
            self.path = Path(value).expanduser()
            if not self.path.is_file():
                raise CmhbenchError(f"split file not found: {self.path}")
        elif option == "train_size":
            self.size = _positive_ints(value, 1, option)[0]
        else:
            self.queries, self.train = _positive_ints(value, 2, option)

    @property
    def name(self) -> str:
        return f"{self.loader.name}-{self._suffix()}"

    @property
    def short_name(self) -> str:  # type: ignore[override]
        return self.loader.short_name

    @property
    def description(self) -> str:  # type: ignore[override]
        return f"{self.loader.description}; split option {self.option}"

    def files(self) -> list[Path]:
        base = self.loader.files()
        return [*base, self.path] if self.option == "split" else base

    def _suffix(self) -> str:
        if self.option == "split":
            return f"split-{self.path.stem}"
        if self.option == "train_size":
            return f"train{self.size}"
        return f"perlabel{self.queries}-{self.train}"

    def load(self, *, seed: int = 0) -> CrossModalData:
        data = self.loader.load(seed=seed)
        if self.option == "split":
            train, query, retrieval = read_split(self.path)
            split = {
                "protocol": f"index arrays from {self.path.name}",
                "file_sha256": hashlib.sha256(self.path.read_bytes()).hexdigest(),
            }
        elif self.option == "train_size":
            query, retrieval = data.query_idx, data.retrieval_idx
            train = sample_training_set(retrieval, self.size, seed)
            split = {"protocol": f"{data.split.get('protocol')}; train = {self.size} sampled"}
        else:
            train, query, retrieval = per_label_split(data.labels, self.queries, self.train, seed)
            split = {
                "protocol": f"per label {self.queries} queries and {self.train} training items"
            }
        image, text = data.image, data.text
        if getattr(self.loader, "standardised_on_retrieval", False) and not np.array_equal(
            retrieval, data.retrieval_idx
        ):
            # Standardising is affine per column, so doing it again on the standardised
            # features gives the raw features standardised with these rows' statistics.
            image, text = standardise(image, retrieval), standardise(text, retrieval)
            split["standardized_on"] = "the retrieval rows of this split"
        return dataclasses.replace(
            data,
            name=f"{data.name}-{self._suffix()}",
            image=image,
            text=text,
            train_idx=train,
            query_idx=query,
            retrieval_idx=retrieval,
            split={**split, "seed": seed, "replaces": data.split},
        )


def _positive_ints(value: str, count: int, option: str) -> list[int]:
    """``count`` positive integers, comma-separated (the run options' parser)."""
    try:
        numbers = parse_ints(value, 1, 10**9)
    except CmhbenchError:
        numbers = []
    if len(numbers) != count:
        form = "N" if count == 1 else "Q,T"
        raise CmhbenchError(
            f"dataset option {option} must be {form} (positive integers), got {value!r}"
        )
    return numbers
