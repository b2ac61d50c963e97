"""Result records on disk: one JSON file per grid cell, plus the cell's codes in an ``.npz``.

Layout: ``<out>/<dataset>/<method>/bits<L>-seed<S>.json`` and the sibling
``bits<L>-seed<S>.npz`` (int8 codes of the query and retrieval parts in both
modalities, with their labels and row indices), so that metrics can be recomputed
later without retraining, and ``bits<L>-seed<S>.ap.npz``, each query's AP@all
(float32, NaN where the zero-relevant policy leaves the query out) under
``<protocol>_<direction>`` keys, for statistics paired over queries. All are written
atomically (temporary file in the same folder, fsync, rename): the ``.npz`` files
first, the JSON last, so a record that parses always has its arrays. What a record
holds is :class:`cmhbench.store.schema.Record`; records of an older schema version
are migrated as they are read.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from pathlib import Path
from typing import NamedTuple

import numpy as np

from cmhbench.arrays import read_npz
from cmhbench.atomic import atomic_write_bytes
from cmhbench.errors import CmhbenchError
from cmhbench.store.schema import CodesFile, Record, canonical_hash, jsonable, migrate

log = logging.getLogger("cmhbench")


class CellArrays(NamedTuple):
    """A scored cell's arrays: its codes file's content and each query's AP@all
    ({'<protocol>_<direction>': float32 per query})."""

    codes: dict[str, np.ndarray]
    query_ap: dict[str, np.ndarray]


def write_record(path: Path, record: Record) -> None:
    """Write a record with ``record_sha256``, the hash of its content, so that a
    record edited by hand is recognised on the next read."""
    record["record_sha256"] = content_hash(record)
    text = json.dumps(record, indent=2, sort_keys=True, default=jsonable, allow_nan=False)
    atomic_write_bytes(path, (text + "\n").encode())


def content_hash(record: Record | dict) -> str:
    """SHA-256 of the record's canonical JSON without its own ``record_sha256``."""
    return canonical_hash({key: value for key, value in record.items() if key != "record_sha256"})


def write_codes(path: Path, arrays: dict[str, np.ndarray]) -> str:
    """Save arrays as a compressed ``.npz``; returns its SHA-256."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, allow_pickle=False, **arrays)
    payload = buffer.getvalue()
    atomic_write_bytes(path, payload)
    return hashlib.sha256(payload).hexdigest()


def query_ap_path(record_path: Path) -> Path:
    """Where the per-query AP of the record at ``record_path`` lives."""
    return record_path.with_name(f"{record_path.stem}.ap.npz")


def write_query_ap(record_path: Path, record: Record, query_ap: dict[str, np.ndarray]) -> None:
    """Save a cell's per-query AP beside its record and point the record at it (the
    record itself is written by the caller, after this)."""
    path = query_ap_path(record_path)
    record["query_ap"] = {"file": path.name, "sha256": write_codes(path, query_ap)}


def read_query_ap(record_path: Path, record: Record) -> dict[str, np.ndarray] | None:
    """The per-query AP the record points at, or None when it has none, or the file is
    missing, unreadable or no longer matches its SHA-256."""
    return verified_arrays(record_path, record.get("query_ap"))[0]


def verified_arrays(
    record_path: Path, stored: CodesFile | None
) -> tuple[dict[str, np.ndarray] | None, str]:
    """The arrays of a file a record points at (``stored``), read once and checked
    against its SHA-256, or None and why they cannot be used."""
    if stored is None:
        return None, "the record points at no such file"
    path = record_path.parent / stored["file"]
    try:
        content = path.read_bytes()
    except OSError:
        return None, f"{path.name} is missing"
    if hashlib.sha256(content).hexdigest() != stored["sha256"]:
        return None, f"{path.name} does not match the SHA-256 in the record"
    try:
        return read_npz(content, path), ""
    except CmhbenchError as exc:
        return None, f"{path.name} cannot be read: {exc}"


def read_record(path: Path) -> Record | None:
    """The record at ``path`` in the current schema, or None when it is missing, does
    not parse, has an unknown schema version, or no longer matches its
    ``record_sha256`` (edited)."""
    try:
        stored = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict):
        return None
    digest = stored.get("record_sha256")
    if digest is not None and digest != content_hash(stored):
        return None
    return migrate(stored)


def read_codes(path: Path) -> dict[str, np.ndarray]:
    """The arrays of a cell's ``.npz`` (never unpickles)."""
    try:
        content = Path(path).read_bytes()
    except OSError as exc:
        raise CmhbenchError(f"cannot read codes file {path}: {exc.strerror}") from None
    return read_npz(content, path)


def record_paths(folder: Path) -> list[Path]:
    """Every cell record under a results folder (``<dataset>/<method>/bits*-seed*.json``)."""
    return sorted(Path(folder).glob("*/*/bits*-seed*.json"))


def require_record_paths(folder: Path) -> list[Path]:
    """:func:`record_paths`, or one error line when the folder is missing or empty."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CmhbenchError(f"results folder not found: {folder}")
    paths = record_paths(folder)
    if not paths:
        raise CmhbenchError(
            f"no records in {folder} (expected <dataset>/<method>/bits<L>-seed<S>.json)"
        )
    return paths


def read_folder(folder: Path) -> tuple[list[tuple[Path, Record]], list[Path]]:
    """((path, record) of each readable record, unreadable record paths) of a results
    folder.

    Raises:
        CmhbenchError: the folder does not exist or holds no record.
    """
    found, unreadable = [], []
    for path in require_record_paths(folder):
        record = read_record(path)
        if record is None:
            unreadable.append(path)
        else:
            found.append((path, record))
    return found, unreadable


def read_records(folder: str | Path) -> list[Record]:
    """Every readable record of a results folder; unreadable ones are logged and left out.

    Raises:
        CmhbenchError: the folder does not exist or holds no record.
    """
    found, unreadable = read_folder(Path(folder))
    for path in unreadable:
        log.warning("%s is truncated, edited or of an unknown schema; left out", path)
    return [record for _, record in found]
