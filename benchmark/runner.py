"""Run a grid: every method on every dataset at every code length and seed.

Each cell trains one method, encodes the query and retrieval parts in both
modalities, scores both directions with :mod:`cmhbench.metrics` and writes its
record (see :mod:`cmhbench.records`). A cell that raises is recorded as ``failed``
with its error and the grid goes on. Cells already done with the same
configuration are skipped, so a killed run resumes where it stopped.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from cmhbench import metrics, records
from cmhbench.data import MODALITIES, CrossModalData
from cmhbench.errors import CmhbenchError
from cmhbench.method import CODE_LENGTHS, Method, resolve_overrides

log = logging.getLogger("cmhbench")


@dataclass(frozen=True)
class Cell:
    """One unit of work: a method on a dataset at a code length and seed."""

    dataset: str
    method: str
    bits: int
    seed: int


@dataclass
class GridSpec:
    """Everything a grid run needs.

    Attributes:
        methods: registered method names.
        datasets: registered dataset names or paths to ``.npz`` files.
        bits: code lengths.
        seeds: training seeds (the data's own seed stays ``data_seed``).
        out: results folder.
        assignments: ``--set`` items (``key=value`` or ``method.key=value``).
        device: 'auto', 'cpu', 'cuda' or 'cuda:N'.
        force: redo cells that are already done.
        retry_failed: redo cells recorded as failed.
        progress: show progress bars.
        zero_relevant: metric policy for queries with no relevant item.
        map_k, topk: the K lists of mAP@K and precision@K.
        data_seed: seed of dataset generation and of drawn splits.
        data_root: folder of the field's data files (None: $CMHBENCH_DATA_ROOT or ./data).
    """

    methods: list[str]
    datasets: list[str] = field(default_factory=lambda: ["synthetic"])
    bits: list[int] = field(default_factory=lambda: list(CODE_LENGTHS))
    seeds: list[int] = field(default_factory=lambda: [0])
    out: Path = Path("results/runs")
    assignments: list[str] = field(default_factory=list)
    device: str = "auto"
    force: bool = False
    retry_failed: bool = False
    progress: bool = True
    zero_relevant: metrics.ZeroRelevantPolicy = "count"
    map_k: tuple[int, ...] = metrics.DEFAULT_MAP_K
    topk: tuple[int, ...] = metrics.DEFAULT_TOPK
    data_seed: int = 0
    data_root: str | None = None


def run_grid(spec: GridSpec) -> list[dict[str, Any]]:
    """Run (or resume) a grid and return the record of every cell, in grid order.

    Raises:
        CmhbenchError: for bad names, ``--set`` items or devices, before any training.
    """
    from cmhbench.datasets import dataset_key, dataset_loader
    from cmhbench.registry import get_method
    from cmhbench.training import resolve_device

    classes = {name: get_method(name) for name in spec.methods}
    overrides = resolve_overrides(classes, spec.assignments)
    # Build every loader and method once first, so that a bad name or value fails before
    # any training. Per-dataset method defaults are keyed by the registered name.
    loaders = [
        (dataset_key(item), dataset_loader(item, data_root=spec.data_root))
        for item in spec.datasets
    ]
    for _, loader in loaders:
        if hasattr(loader, "files"):
            loader.files()  # a missing data file is reported now, not after other training
    for name, cls in classes.items():
        for key, _ in loaders:
            cls(spec.bits[0], **_settings(cls, key, overrides[name]))
    device = str(resolve_device(spec.device))
    protocol = {
        "metrics_version": metrics.METRICS_VERSION,
        "zero_relevant": spec.zero_relevant,
        "map_k": list(spec.map_k),
        "topk": list(spec.topk),
    }
    results: list[dict[str, Any]] = []
    total = len(spec.datasets) * len(spec.methods) * len(spec.bits) * len(spec.seeds)
    bar = tqdm(total=total, desc="grid", unit="cell", disable=None if spec.progress else True)
    for key, loader in loaders:
        unsupervised_data = loader.load(seed=spec.data_seed)
        views = {False: unsupervised_data}
        if any(cls.info.supervised for cls in classes.values()):
            views[True] = supervised_view(unsupervised_data, loader, spec.data_seed)
        fingerprints = {supervised: data.fingerprint() for supervised, data in views.items()}
        for cell in _cells(unsupervised_data.name, spec):
            cls = classes[cell.method]
            data, fingerprint = views[cls.info.supervised], fingerprints[cls.info.supervised]
            method = cls(cell.bits, **_settings(cls, key, overrides[cell.method]))
            cell_spec = {
                "dataset": cell.dataset,
                "data_fingerprint": fingerprint,
                "method": cell.method,
                "bits": cell.bits,
                "seed": cell.seed,
                "config": dataclasses.asdict(method.params),
                "supervised": cls.info.supervised,
                "protocol": protocol,
            }
            record_path, codes_path = records.cell_paths(
                spec.out, cell.dataset, cell.method, cell.bits, cell.seed
            )
            previous = records.read_record(record_path)
            wanted = records.config_hash(cell_spec)
            bar.set_postfix_str(f"{cell.method} {cell.bits} bits")
            if _should_skip(previous, wanted, spec):
                log.info("skip %s (done)", record_path)
                results.append(previous)
                bar.update()
                continue
            record = run_cell(data, method, cell_spec, wanted, device, codes_path, spec)
            records.write_record(record_path, record)
            if record["status"] != "ok":
                log.warning("%s failed: %s", record_path, record["error"]["message"])
            results.append(record)
            bar.update()
    bar.close()
    return results


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


def _settings(cls: type[Method], dataset: str, overrides: dict[str, str]) -> dict[str, Any]:
    """The method's per-dataset defaults (from its paper or code), then the user's values."""
    return {**cls.dataset_defaults.get(dataset, {}), **overrides}


def _cells(dataset: str, spec: GridSpec) -> Iterator[Cell]:
    for method in spec.methods:
        for bits in spec.bits:
            for seed in spec.seeds:
                yield Cell(dataset, method, bits, seed)


def _should_skip(previous: dict[str, Any] | None, wanted: str, spec: GridSpec) -> bool:
    if spec.force or previous is None or previous.get("config_hash") != wanted:
        return False
    if previous.get("status") == "ok":
        return True
    return not spec.retry_failed


def run_cell(
    data: CrossModalData,
    method: Method,
    cell_spec: dict[str, Any],
    config_hash: str,
    device: str,
    codes_path: Path,
    spec: GridSpec,
) -> dict[str, Any]:
    """Train, encode and evaluate one cell; never raises for a failing method."""
    record: dict[str, Any] = {
        "schema_version": records.SCHEMA_VERSION,
        **{key: cell_spec[key] for key in ("dataset", "method", "bits", "seed", "config")},
        "config_hash": config_hash,
        "supervised": cell_spec["supervised"],
        "trained_with_labels": method.uses_labels,
        "protocol": cell_spec["protocol"],
        "data": {
            "fingerprint": cell_spec["data_fingerprint"],
            "split": data.split,
            "split_sha256": data.split_hash(),
            **data.summary(),
        },
        "paper": method.info.citation(),
        "device": device,
        "started_at": _now(),
        **records.environment(),
    }
    timings: dict[str, float] = {}
    try:
        start = time.perf_counter()
        method.fit(
            data.part("train", with_labels=method.uses_labels),
            device=device,
            seed=cell_spec["seed"],
            progress=spec.progress,
        )
        timings["fit_s"] = time.perf_counter() - start
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
            map_k=spec.map_k,
            topk=spec.topk,
            zero_relevant=spec.zero_relevant,
            device=device if device.startswith("cuda") else None,
        )
        timings["eval_s"] = time.perf_counter() - start
        sha = records.write_codes(
            codes_path,
            {
                **codes,
                "query_labels": query_labels,
                "retrieval_labels": retrieval_labels,
                "query_idx": data.query_idx,
                "retrieval_idx": data.retrieval_idx,
            },
        )
        record.update(
            status="ok",
            error=None,
            metrics={direction: m.to_dict() for direction, m in scores.items()},
            codes={"file": codes_path.name, "sha256": sha},
            loss_history=method.training_history(),
        )
    except Exception as exc:  # a failing cell must not stop the grid
        record.update(
            status="failed",
            error={
                "type": type(exc).__name__,
                "message": str(exc),
                "traceback": traceback.format_exc(),
            },
            metrics=None,
            codes=None,
            loss_history=method.training_history(),
        )
    record.update(
        timings=timings,
        **_peak_memory(device),
        finished_at=_now(),
    )
    return record


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
    peak = {"peak_memory_mb": records.peak_memory_mb()}
    if device.startswith("cuda"):
        import torch

        peak["peak_gpu_memory_mb"] = torch.cuda.max_memory_allocated(device) / 2**20
        torch.cuda.reset_peak_memory_stats(device)
    return peak


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
