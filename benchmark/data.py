"""The data model: paired image/text features, multi-hot labels and a split.

Every loader returns a :class:`CrossModalData`; the runner hands methods only the
training part as a :class:`PairedSet` (with labels only for supervised methods), so
no method can see query labels or query features while it trains.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from cmhbench.errors import CmhbenchError

Modality = Literal["image", "text"]
MODALITIES: tuple[Modality, Modality] = ("image", "text")
PARTS = ("train", "query", "retrieval")


@dataclass(frozen=True)
class PairedSet:
    """Rows of paired features, as a method sees them during training.

    Attributes:
        image: float32 array (n, d_x).
        text: float32 array (n, d_y).
        labels: uint8 multi-hot array (n, c), or None for unsupervised training.
    """

    image: np.ndarray
    text: np.ndarray
    labels: np.ndarray | None = None

    def __len__(self) -> int:
        return self.image.shape[0]

    def features(self, modality: Modality) -> np.ndarray:
        """The feature matrix of one modality."""
        return self.image if modality == "image" else self.text


@dataclass(frozen=True)
class CrossModalData:
    """A cross-modal retrieval data set with its split.

    Attributes:
        name: registry name or file stem, used in result paths.
        image: float32 (n, d_x) image features; row i pairs with text row i.
        text: float32 (n, d_y) text features.
        labels: uint8 (n, c) multi-hot labels; two items are relevant to each other
            when they share at least one label.
        train_idx, query_idx, retrieval_idx: int64 row indices of the three parts.
            Queries must be disjoint from the training and retrieval parts.
        split: a short description of how the split was made, stored with results.
    """

    name: str
    image: np.ndarray
    text: np.ndarray
    labels: np.ndarray
    train_idx: np.ndarray
    query_idx: np.ndarray
    retrieval_idx: np.ndarray
    split: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        _validate(self)

    @property
    def n_items(self) -> int:
        return self.image.shape[0]

    def indices(self, part: str) -> np.ndarray:
        """Row indices of ``part`` ('train', 'query' or 'retrieval')."""
        if part not in PARTS:
            raise ValueError(f"part must be one of {PARTS}, got {part!r}")
        return getattr(self, f"{part}_idx")

    def part(self, part: str, *, with_labels: bool = True) -> PairedSet:
        """The rows of one part as a :class:`PairedSet`."""
        idx = self.indices(part)
        labels = self.labels[idx] if with_labels else None
        return PairedSet(self.image[idx], self.text[idx], labels)

    def fingerprint(self) -> str:
        """SHA-256 over the arrays and the split: changes whenever the data changes."""
        digest = hashlib.sha256()
        for array in (self.image, self.text, self.labels, *(self.indices(p) for p in PARTS)):
            digest.update(str((array.dtype.str, array.shape)).encode())
            digest.update(np.ascontiguousarray(array).data)
        return digest.hexdigest()

    def split_hash(self) -> str:
        """SHA-256 over the three index arrays alone: equal for equal splits."""
        digest = hashlib.sha256()
        for part in PARTS:
            digest.update(part.encode())
            digest.update(np.ascontiguousarray(self.indices(part), dtype=np.int64).data)
        return digest.hexdigest()

    def summary(self) -> dict:
        """Sizes and dimensions, for records and listings."""
        return {
            "n_items": self.n_items,
            "image_dim": self.image.shape[1],
            "text_dim": self.text.shape[1],
            "n_labels": self.labels.shape[1],
            **{f"n_{p}": int(self.indices(p).size) for p in PARTS},
        }


def _fail(data: CrossModalData, message: str) -> None:
    raise CmhbenchError(f"dataset {data.name!r}: {message}")


def _validate(data: CrossModalData) -> None:
    """Check shapes, dtypes, label values and index ranges; one clear error each."""
    for key, dtype in (("image", np.float32), ("text", np.float32), ("labels", np.uint8)):
        array = getattr(data, key)
        if not isinstance(array, np.ndarray):
            _fail(data, f"{key} must be a numpy array, got {type(array).__name__}")
        if array.ndim != 2:
            _fail(data, f"{key} must be 2-D (n, d), got shape {array.shape}")
        if array.dtype != dtype:
            _fail(data, f"{key} must have dtype {np.dtype(dtype).name}, got {array.dtype}")
        if array.shape[0] == 0 or array.shape[1] == 0:
            _fail(data, f"{key} is empty (shape {array.shape})")
    n = data.image.shape[0]
    for key in ("text", "labels"):
        if getattr(data, key).shape[0] != n:
            _fail(data, f"{key} has {getattr(data, key).shape[0]} rows but image has {n}")
    for key in ("image", "text"):
        if not np.isfinite(getattr(data, key)).all():
            _fail(data, f"{key} features contain NaN or infinite values")
    if data.labels.max() > 1:
        _fail(data, "labels must be multi-hot 0/1 values")
    if not data.labels.any():
        _fail(data, "labels are all zero: no item has a label, so nothing is relevant")
    for part in PARTS:
        idx = data.indices(part)
        if not isinstance(idx, np.ndarray) or idx.ndim != 1 or idx.dtype.kind not in "iu":
            _fail(data, f"{part}_idx must be a 1-D integer array")
        if idx.size == 0:
            _fail(data, f"{part}_idx is empty")
        if idx.min() < 0 or idx.max() >= n:
            _fail(data, f"{part}_idx has values outside [0, {n})")
        if np.unique(idx).size != idx.size:
            _fail(data, f"{part}_idx contains duplicate rows")
    for other in ("train", "retrieval"):
        if np.intersect1d(data.query_idx, data.indices(other)).size:
            _fail(data, f"query rows overlap the {other} rows")


def random_split(
    n: int, *, n_query: int, n_train: int | None, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A seeded split: ``n_query`` queries; the rest is the retrieval set.

    The training set is the whole retrieval set (the unsupervised protocol of UCCH
    and DJSRH) or, with ``n_train``, a seeded sample of it.

    Returns:
        (train_idx, query_idx, retrieval_idx), each sorted, int64.
    """
    if not 0 < n_query < n:
        raise CmhbenchError(f"cannot draw {n_query} queries from {n} items")
    order = np.random.default_rng(seed).permutation(n)
    query = np.sort(order[:n_query])
    retrieval = np.sort(order[n_query:])
    train = retrieval
    if n_train is not None and n_train < retrieval.size:
        picker = np.random.default_rng([seed, 1])
        train = np.sort(picker.choice(retrieval, size=n_train, replace=False))
    return train.astype(np.int64), query.astype(np.int64), retrieval.astype(np.int64)


def class_stratified_split(
    classes: np.ndarray, *, per_class: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Queries: the first ``per_class`` items of each class in a seeded permutation.

    Walks ``np.random.default_rng(seed).permutation(n)`` and sends an item to the
    queries while its class has fewer than ``per_class`` there; every other item goes
    to the retrieval set. Both keep the permutation's order.

    Args:
        classes: (n,) integer class of each item.

    Returns:
        (query_idx, retrieval_idx), int64.
    """
    values, counts = np.unique(classes, return_counts=True)
    if per_class < 1 or (counts <= per_class).any():
        small = values[counts <= per_class]
        raise CmhbenchError(
            f"cannot take {per_class} queries per class: class(es) {small.tolist()} "
            "would leave no retrieval item"
        )
    order = np.random.default_rng(seed).permutation(classes.size)
    walked = classes[order]
    by_class = np.argsort(walked, kind="stable")
    first_of_class = np.searchsorted(walked[by_class], walked[by_class])
    rank_in_class = np.empty(classes.size, dtype=np.int64)
    rank_in_class[by_class] = np.arange(classes.size) - first_of_class
    is_query = rank_in_class < per_class
    return order[is_query].astype(np.int64), order[~is_query].astype(np.int64)


def standardise(features: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Zero mean, unit variance per column, with statistics of ``rows`` only (float32).

    A column that is constant on ``rows`` becomes zero there.
    """
    mean = features[rows].mean(0)
    std = features[rows].std(0) + 1e-6
    return ((features - mean) / std).astype(np.float32)
