"""The work of one grid cell, as it runs in whichever process trains it.

Everything here is picklable and importable on a worker: a :class:`CellTask`
names the dataset (loaded once per process and reused by every later cell), the
method and its settings, and the cell's identity; :func:`execute_cell` trains,
encodes and scores, and returns the record and the codes for the caller to
write, so results always reach the disk from one place.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import time
import traceback
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np

from cmhbench import metrics
from cmhbench.data import MODALITIES, CrossModalData
from cmhbench.errors import CellTimeout, CmhbenchError
from cmhbench.run import provenance
from cmhbench.store import records

log = logging.getLogger("cmhbench")
_DATA: dict[tuple[str, str | None, int], dict[bool, CrossModalData]] = {}


@dataclass(frozen=True)
class CellTask:
    """One cell to train, with everything a worker needs.

    Attributes:
        dataset: the ``--datasets`` item (name with options, or a file path).
        method: the registered method name; ``settings`` its hyper-parameter values.
        cell_spec: the specification whose hash identifies the cell's record.
        config_hash: that hash.
        timeout_s: seconds the training may take (None: no limit).
    """

    dataset: str
    data_root: str | None
    data_seed: int
    method: str
    settings: dict[str, Any]
    bits: int
    seed: int
    cell_spec: dict[str, Any]
    config_hash: str
    device: str
    progress: bool
    zero_relevant: metrics.ZeroRelevantPolicy
    map_k: tuple[int, ...]
    topk: tuple[int, ...]
    timeout_s: float | None = None


def dataset_views(item: str, data_root: str | None, data_seed: int) -> dict[bool, CrossModalData]:
    """{supervised?: data} of a dataset item, loaded once per process."""
    key = (item, data_root, data_seed)
    if key not in _DATA:
        log.info("loading %s in process %d", item, os.getpid())
        from cmhbench.datasets import dataset_loader

        loader = dataset_loader(item, data_root=data_root)
        data = loader.load(seed=data_seed)
        _DATA[key] = {False: data, True: supervised_view(data, loader, data_seed)}
    return _DATA[key]


def describe_dataset(item: str, data_root: str | None, data_seed: int) -> dict[str, Any]:
    """The name records use and the fingerprints of both views (loads the data)."""
    views = dataset_views(item, data_root, data_seed)
    return {
        "name": views[False].name,
        "fingerprints": {supervised: data.fingerprint() for supervised, data in views.items()},
    }


def supervised_view(data: CrossModalData, loader: Any, seed: int) -> CrossModalData:
    """The data a supervised method trains on: a seeded sample of the retrieval set of
    the loader's ``supervised_train_size`` pairs (5,000 for the field's datasets, as in
    UCCH's comparison), or the data unchanged where the loader sets none (the embedded
    data, a user's file, or a split the user chose)."""
    from cmhbench.datasets.splits import sample_training_set

    size = getattr(loader, "supervised_train_size", None)
    if size is None or size >= data.retrieval_idx.size:
        return data
    return dataclasses.replace(
        data,
        train_idx=sample_training_set(data.retrieval_idx, size, seed),
        split={**data.split, "supervised_train": f"{size} retrieval pairs sampled", "seed": seed},
    )


def execute_cell(task: CellTask) -> tuple[dict[str, Any], dict[str, np.ndarray] | None]:
    """Train, encode and evaluate one cell; never raises for a failing method.

    Returns the record (status ``ok``, ``failed`` or ``timeout``) and, when ok, the
    arrays of its codes file.
    """
    from cmhbench.registry import get_method
    from cmhbench.training import cell_deadline, resolve_device

    device = str(resolve_device(task.device))
    method = get_method(task.method)(task.bits, **task.settings)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    cached = (task.dataset, task.data_root, task.data_seed) in _DATA
    data = dataset_views(task.dataset, task.data_root, task.data_seed)[method.info.supervised]
    if not cached:
        timings["load_s"] = time.perf_counter() - start
    record: dict[str, Any] = {
        **_identity(task),
        "trained_with_labels": method.uses_labels,
        "data": {
            "fingerprint": task.cell_spec["data_fingerprint"],
            "split": data.split,
            "split_sha256": data.split_hash(),
            **data.summary(),
        },
        "paper": method.info.citation(),
        "device": device,
        "device_name": provenance.device_name(device),
        "worker": {"host": socket.gethostname(), "pid": os.getpid()},
        "started_at": _now(),
        **provenance.environment(),
    }
    arrays = None
    threads = {"fit_start": provenance.thread_counts()}
    try:
        start = time.perf_counter()
        with cell_deadline(task.timeout_s):
            method.fit(
                data.part("train", with_labels=method.uses_labels),
                device=device,
                seed=task.seed,
                progress=task.progress,
            )
        timings["fit_s"] = time.perf_counter() - start
        threads["fit_end"] = provenance.thread_counts()
        start = time.perf_counter()
        codes = {
            f"{modality}_{part}": _checked_codes(
                method.encode(data.part(part).features(modality), modality),
                data.indices(part).size,
                method.bits,
                f"{modality} {part}",
            )
            for part in ("query", "retrieval")
            for modality in MODALITIES
        }
        timings["encode_s"] = time.perf_counter() - start
        start = time.perf_counter()
        query_labels = data.labels[data.query_idx]
        retrieval_labels = data.labels[data.retrieval_idx]
        scores = metrics.evaluate_both_directions(
            codes,
            query_labels,
            retrieval_labels,
            map_k=task.map_k,
            topk=task.topk,
            zero_relevant=task.zero_relevant,
            device=device if device.startswith("cuda") else None,
        )
        timings["eval_s"] = time.perf_counter() - start
        arrays = {
            **codes,
            "query_labels": query_labels,
            "retrieval_labels": retrieval_labels,
            "query_idx": data.query_idx,
            "retrieval_idx": data.retrieval_idx,
        }
        record.update(
            status="ok",
            error=None,
            metrics={direction: m.to_dict() for direction, m in scores.items()},
            loss_history=method.training_history(),
        )
    except Exception as exc:  # a failing cell must not stop the grid
        record.update(
            status="timeout" if isinstance(exc, CellTimeout) else "failed",
            error={
                "type": type(exc).__name__,
                "message": str(exc),
                "traceback": traceback.format_exc(),
            },
            metrics=None,
            codes=None,
            loss_history=method.training_history(),
        )
    record.update(timings=timings, threads=threads, **_peak_memory(device), finished_at=_now())
    return record, arrays


def unfinished_cell_record(task: CellTask, error_type: str, message: str) -> dict[str, Any]:
    """The record of a cell that never returned a result (its worker died)."""
    return {
        **_identity(task),
        "data": {"fingerprint": task.cell_spec["data_fingerprint"]},
        "status": "failed",
        "error": {"type": error_type, "message": message, "traceback": ""},
        "metrics": None,
        "codes": None,
        "finished_at": _now(),
    }


def _identity(task: CellTask) -> dict[str, Any]:
    """The fields every record of the cell starts with: schema, cell, config and its hash."""
    spec = task.cell_spec
    return {
        "schema_version": records.SCHEMA_VERSION,
        **{key: spec[key] for key in ("dataset", "method", "bits", "seed", "config")},
        "config_hash": task.config_hash,
        "supervised": spec["supervised"],
        "protocol": spec["protocol"],
    }


def _checked_codes(codes: Any, rows: int, bits: int, what: str) -> Any:
    """Check that ``encode`` returned int8 {-1,+1} codes of the right shape."""
    if not isinstance(codes, np.ndarray) or codes.shape != (rows, bits):
        shape = getattr(codes, "shape", type(codes).__name__)
        raise CmhbenchError(f"encode() returned {shape} for {what}; expected ({rows}, {bits})")
    if codes.dtype != np.int8 or not np.isin(codes, (-1, 1)).all():
        raise CmhbenchError(f"encode() must return int8 codes in {{-1, +1}} ({what})")
    return codes


def _peak_memory(device: str) -> dict[str, float]:
    """``peak_memory_mb`` (host, process peak so far) and, on a GPU, ``peak_gpu_memory_mb``."""
    peak = {"peak_memory_mb": provenance.peak_memory_mb()}
    if device.startswith("cuda"):
        import torch

        peak["peak_gpu_memory_mb"] = torch.cuda.max_memory_allocated(device) / 2**20
        torch.cuda.reset_peak_memory_stats(device)
    return peak


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
