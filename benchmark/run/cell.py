"""The work of one grid cell, as it runs in whichever process trains it.

Everything here is picklable and importable on a worker: a :class:`CellTask` names
the dataset (loaded once per process and kept while cells of that dataset arrive),
the method and its settings, and the cell's :class:`~cmhbench.store.schema.CellSpec`;
:func:`execute_cell` trains, encodes and scores, and returns the record and the codes
for the caller to write, so results always reach the disk from one place.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np

from cmhbench import protocols
from cmhbench.data import CrossModalData
from cmhbench.errors import CellTimeout, CmhbenchError
from cmhbench.method import encode_parts
from cmhbench.run import provenance
from cmhbench.store.records import CellArrays
from cmhbench.store.rescore import protocol_query_ap, score_codes
from cmhbench.store.schema import CellSpec, DataInfo, NativeScores, Record, Status, new_record

log = logging.getLogger("cmhbench")


@dataclass(frozen=True)
class CellTask:
    """One cell to train, with everything a worker needs.

    Attributes:
        dataset: the ``--datasets`` item (name with options, or a file path).
        data_root, data_seed: where the field's files are, and the data's seed.
        settings: the method's hyper-parameter values (per-dataset defaults and ``--set``).
        spec: the cell's specification; its hash identifies the record.
        device: where to train ('cpu', 'cuda:0', ...).
        progress: show training progress (bars on a terminal, else periodic lines).
        timeout_s: seconds the training may take (None: no limit).
    """

    dataset: str
    data_root: str | None
    data_seed: int
    settings: dict[str, Any]
    spec: CellSpec
    device: str
    progress: bool
    timeout_s: float | None = None


_LOADED: dict[tuple[str, str | None, int], dict[bool, CrossModalData]] = {}


def dataset_views(item: str, data_root: str | None, data_seed: int) -> dict[bool, CrossModalData]:
    """{supervised?: data} of a dataset item. A process keeps only the dataset it
    loaded last (cells arrive dataset by dataset), for the cells that follow."""
    key = (item, data_root, data_seed)
    if key not in _LOADED:
        _LOADED.clear()  # free the previous dataset before loading the next
        log.info("loading %s in process %d", item, os.getpid())
        from cmhbench.datasets import dataset_loader

        loader = dataset_loader(item, data_root=data_root)
        data = loader.load(seed=data_seed)
        supervised = supervised_view(data, loader.supervised_train_size, data_seed)
        _LOADED[key] = {False: data, True: supervised}
    return _LOADED[key]


def describe_dataset(item: str, data_root: str | None, data_seed: int) -> dict[str, Any]:
    """The name records use and the fingerprints of both views (loads the data)."""
    from cmhbench.datasets import seeded_name

    views = dataset_views(item, data_root, data_seed)
    return {
        "name": seeded_name(views[False].name, data_seed),
        "fingerprints": {supervised: data.fingerprint() for supervised, data in views.items()},
    }


def supervised_view(data: CrossModalData, size: int | None, seed: int) -> CrossModalData:
    """The data a supervised method trains on: a seeded sample of ``size`` retrieval
    pairs (the loader's ``supervised_train_size``: 5,000 for the field's datasets, as
    in UCCH's comparison), or the data unchanged when there is no size (the embedded
    data, a user's file, or a split the user chose)."""
    from cmhbench.datasets.splits import sample_training_set

    if size is None or size >= data.retrieval_idx.size:
        return data
    return dataclasses.replace(
        data,
        train_idx=sample_training_set(data.retrieval_idx, size, seed),
        split={**data.split, "supervised_train": f"{size} retrieval pairs sampled", "seed": seed},
    )


def execute_cell(
    task: CellTask, training: Callable[[str], None] | None = None
) -> tuple[Record, CellArrays | None]:
    """Train, encode and evaluate one cell; never raises for a failing method.
    ``training`` is called with 'start' and 'end' around the training, which ends by
    success or error (:mod:`cmhbench.run.deadline` times training with it).

    Returns the record (status ``ok``, ``failed`` or ``timeout``) and, when ok, its
    arrays (codes and per-query AP).
    """
    from cmhbench.registry import get_method
    from cmhbench.training import cell_deadline, resolve_device

    spec = task.spec
    device = str(resolve_device(task.device))
    method = get_method(spec.method)(spec.bits, **task.settings)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    loaded = (task.dataset, task.data_root, task.data_seed) in _LOADED
    data = dataset_views(task.dataset, task.data_root, task.data_seed)[spec.supervised]
    if not loaded:
        timings["load_s"] = time.perf_counter() - start
    data_info: DataInfo = {
        "split": data.split,
        "split_sha256": data.split_hash(),
        **data.summary(),  # type: ignore[typeddict-item]
    }
    started_at = _now()
    threads = {"fit_start": provenance.thread_counts()}
    arrays = None
    try:
        start = time.perf_counter()
        if training is not None:
            training("start")
        try:
            with cell_deadline(task.timeout_s):
                method.fit(
                    data.part("train", with_labels=method.uses_labels),
                    device=device,
                    seed=spec.seed,
                    progress=task.progress,
                )
        finally:
            if training is not None:
                training("end")
        timings["fit_s"] = time.perf_counter() - start
        threads["fit_end"] = provenance.thread_counts()
        start = time.perf_counter()
        codes = encode_parts(method, data)
        for key, array in codes.items():
            modality, part = key.split("_")
            _checked_codes(array, data.indices(part).size, method.bits, f"{modality} {part}")
        native: dict[str, np.ndarray] = {}
        encoded: dict[str, int] = {}
        if spec.native != "suite":
            native, encoded = protocols.native_codes(method, data, codes)
            for key, array in native.items():
                part = key.split("_")[1]
                _checked_codes(array, data.indices(part).size, method.bits, f"native {key}")
        timings["encode_s"] = time.perf_counter() - start
        start = time.perf_counter()
        query_labels = data.labels[data.query_idx]
        retrieval_labels = data.labels[data.retrieval_idx]
        device_for_metrics = device if device.startswith("cuda") else None
        scores, code_health, suite_ap = score_codes(
            codes, query_labels, retrieval_labels, spec.protocol, device_for_metrics
        )
        query_ap = protocol_query_ap("suite", suite_ap)
        native_scores: NativeScores = {"kind": spec.native}
        if native:
            native_scores["metrics"], native_scores["code_health"], native_ap = score_codes(
                native, query_labels, retrieval_labels, spec.protocol, device_for_metrics
            )
            native_scores["encoded_retrieval_items"] = encoded
            query_ap.update(protocol_query_ap("native", native_ap))
        timings["eval_s"] = time.perf_counter() - start
        arrays = CellArrays(
            codes={
                **codes,
                **{protocols.native_key(key): array for key, array in native.items()},
                "query_labels": query_labels,
                "retrieval_labels": retrieval_labels,
                "query_idx": data.query_idx,
                "retrieval_idx": data.retrieval_idx,
            },
            query_ap=query_ap,
        )
        record = new_record(spec, status="ok", data=data_info, metrics=scores, finished_at=_now())
        record["code_health"] = code_health
        record["native"] = native_scores
    except Exception as exc:  # a failing cell must not stop the grid
        record = new_record(
            spec,
            status="timeout" if isinstance(exc, CellTimeout) else "failed",
            data=data_info,
            error={
                "type": type(exc).__name__,
                "message": str(exc),
                "traceback": traceback.format_exc(),
            },
            finished_at=_now(),
        )
    record["trained_with_labels"] = method.uses_labels
    record["paper"] = method.info.citation()
    record["device"] = device
    record["device_name"] = provenance.device_name(device)
    record["worker"] = {"host": socket.gethostname(), "pid": os.getpid()}
    record["started_at"] = started_at
    record.update(provenance.environment())  # type: ignore[typeddict-item]
    record["loss_history"] = method.training_history()
    record["timings"] = timings
    record["threads"] = threads
    record["peak_memory_mb"] = provenance.peak_memory_mb()
    if device.startswith("cuda"):
        record["peak_gpu_memory_mb"] = provenance.peak_gpu_memory_mb(device)
    return record, arrays


def unfinished_cell_record(
    task: CellTask, error_type: str, message: str, status: Status = "failed"
) -> Record:
    """The record of a cell that never returned a result (its worker died, or it was
    ended at its deadline)."""
    return new_record(
        task.spec,
        status=status,
        data={},
        error={"type": error_type, "message": message, "traceback": ""},
        finished_at=_now(),
    )


def _checked_codes(codes: Any, rows: int, bits: int, what: str) -> None:
    """Check that ``encode`` returned int8 {-1,+1} codes of the right shape."""
    if not isinstance(codes, np.ndarray) or codes.shape != (rows, bits):
        shape = getattr(codes, "shape", type(codes).__name__)
        raise CmhbenchError(f"encode() returned {shape} for {what}; expected ({rows}, {bits})")
    if codes.dtype != np.int8 or not np.isin(codes, (-1, 1)).all():
        raise CmhbenchError(f"encode() must return int8 codes in {{-1, +1}} ({what})")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
