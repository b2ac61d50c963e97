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

import functools
import hashlib
import io
import json
import os
import platform
import subprocess
import sys
import uuid
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from cmhbench.errors import CmhbenchError

SCHEMA_VERSION = 1


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
    np.savez_compressed(buffer, **arrays)
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


def read_codes(path: Path) -> dict[str, np.ndarray]:
    """The arrays of a cell's ``.npz`` (never unpickles)."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    except (OSError, ValueError) as exc:
        raise CmhbenchError(f"cannot read codes file {path}: {exc}") from None


@functools.cache
def environment() -> dict[str, Any]:
    """Library versions and the machine, stored with every record (looked up once)."""
    versions = {"python": platform.python_version()}
    for package in ("cmhbench", "numpy", "torch", "scipy", "numba"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    return {"versions": versions, "platform": platform.platform(), "git_revision": git_revision()}


def device_name(device: str) -> str:
    """The GPU's name for a CUDA device, else the CPU's model name."""
    if device.startswith("cuda"):
        import torch

        return torch.cuda.get_device_name(torch.device(device))
    return _cpu_model()


@functools.cache
def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_revision() -> str | None:
    """The commit of the cmhbench source tree (with '-dirty' when modified), if it is a checkout."""
    source = Path(__file__).resolve().parent
    try:
        head = subprocess.run(
            ["git", "-C", str(source), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(source), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}-dirty" if dirty else head


def thread_counts() -> dict[str, Any]:
    """The thread counts in force: torch's intra- and inter-op pools, numba's (None until
    its threading layer has started: asking would start it and change OpenMP's count),
    and each BLAS and OpenMP library loaded (threadpoolctl), by library prefix."""
    import torch
    from threadpoolctl import threadpool_info

    counts: dict[str, Any] = {
        "torch": torch.get_num_threads(),
        "torch_interop": torch.get_num_interop_threads(),
        "numba": None,
    }
    parallel = sys.modules.get("numba.np.ufunc.parallel")
    if parallel is not None and parallel._is_initialized:
        counts["numba"] = sys.modules["numba"].get_num_threads()
    for library in threadpool_info():
        counts.setdefault(library["user_api"], {})[library["prefix"]] = library["num_threads"]
    return counts


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far, in MiB."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024
