"""Result records: one JSON file per grid cell, plus the cell's codes in an ``.npz``.

Layout: ``<out>/<dataset>/<method>/bits<L>-seed<S>.json`` and the sibling
``bits<L>-seed<S>.npz`` (int8 codes of the query and retrieval parts in both
modalities, with their labels and row indices), so that metrics can be recomputed
later without retraining. Both are written atomically (temporary file in the same
folder, fsync, rename): the ``.npz`` first, the JSON last, so a record that parses
always has its codes. A rerun skips a cell whose record parses, says ``ok`` and has
the same ``config_hash``.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from cmhbench.errors import CmhbenchError

SCHEMA_VERSION = 1
log = logging.getLogger("cmhbench")


def cell_stem(bits: int, seed: int) -> str:
    return f"bits{bits}-seed{seed}"


def cell_paths(out: Path, dataset: str, method: str, bits: int, seed: int) -> tuple[Path, Path]:
    """(record JSON path, codes NPZ path) of one cell."""
    folder = Path(out) / dataset / method
    stem = cell_stem(bits, seed)
    return folder / f"{stem}.json", folder / f"{stem}.npz"


def config_hash(spec: dict[str, Any]) -> str:
    """SHA-256 (first 16 hex digits) of the canonical JSON of a cell's specification."""
    canonical = json.dumps(spec, sort_keys=True, separators=(",", ":"), default=_jsonable)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _jsonable(value: Any) -> Any:
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, (tuple, set)):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {value!r}")


def cell_spec(record: dict[str, Any]) -> dict[str, Any]:
    """The specification a cell's ``config_hash`` is computed from, as stored in its record."""
    return {
        "dataset": record["dataset"],
        "data_fingerprint": record["data"]["fingerprint"],
        "method": record["method"],
        "bits": record["bits"],
        "seed": record["seed"],
        "config": record["config"],
        "supervised": record["supervised"],
        "protocol": record["protocol"],
    }


def atomic_write_bytes(path: Path, payload: bytes) -> None:
    """Write ``payload`` to ``path`` so that readers see the old file or the new one.

    The temporary file sits in the same folder (so the rename is atomic) and is
    created with the user's umask, like any other file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "xb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_record(path: Path, record: dict[str, Any]) -> None:
    """Write a record with ``record_sha256``, the hash of its content, so that a
    record edited by hand is recognised on the next read."""
    record["record_sha256"] = content_hash(record)
    text = json.dumps(record, indent=2, sort_keys=True, default=_jsonable, allow_nan=False)
    atomic_write_bytes(path, (text + "\n").encode())


def content_hash(record: dict[str, Any]) -> str:
    """SHA-256 of the record's canonical JSON without its own ``record_sha256``."""
    body = {key: value for key, value in record.items() if key != "record_sha256"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=_jsonable)
    return hashlib.sha256(canonical.encode()).hexdigest()


def write_codes(path: Path, arrays: dict[str, np.ndarray]) -> str:
    """Save the cell's arrays as a compressed ``.npz``; returns its SHA-256."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, allow_pickle=False, **arrays)
    payload = buffer.getvalue()
    atomic_write_bytes(path, payload)
    return hashlib.sha256(payload).hexdigest()


def read_record(path: Path) -> dict[str, Any] | None:
    """The record at ``path``, or None when it is missing, does not parse, has
    another schema version, or no longer matches its ``record_sha256`` (edited)."""
    try:
        record = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("schema_version") != SCHEMA_VERSION:
        return None
    stored = record.get("record_sha256")
    if stored is not None and stored != content_hash(record):
        return None
    return record


def record_paths(folder: Path) -> list[Path]:
    """Every cell record under a results folder (``<dataset>/<method>/bits*-seed*.json``)."""
    return sorted(Path(folder).glob("*/*/bits*-seed*.json"))


def read_folder(folder: Path) -> tuple[list[dict[str, Any]], list[Path]]:
    """(records, unreadable record paths) of a results folder.

    Raises:
        CmhbenchError: the folder does not exist or holds no record.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise CmhbenchError(f"results folder not found: {folder}")
    paths = record_paths(folder)
    if not paths:
        raise CmhbenchError(
            f"no records in {folder} (expected <dataset>/<method>/bits<L>-seed<S>.json)"
        )
    found, unreadable = [], []
    for path in paths:
        record = read_record(path)
        if record is None:
            unreadable.append(path)
        else:
            found.append(record)
    return found, unreadable


def read_records(folder: str | Path) -> list[dict[str, Any]]:
    """Every readable record of a results folder; unreadable ones are logged and left out.

    Raises:
        CmhbenchError: the folder does not exist or holds no record.
    """
    found, unreadable = read_folder(Path(folder))
    for path in unreadable:
        log.warning("%s is truncated, edited or of another schema; left out", path)
    return found


def read_codes(path: Path) -> dict[str, np.ndarray]:
    """The arrays of a cell's ``.npz`` (never unpickles)."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    except (OSError, ValueError) as exc:
        raise CmhbenchError(f"cannot read codes file {path}: {exc}") from None
