"""Re-score finished cells from their stored codes, without retraining.

After a metric is added or corrected (``metrics.METRICS_VERSION`` goes up), every
record's metrics are recomputed from its ``.npz`` under the record's own
protocol (zero-relevant policy, K lists) and the record is rewritten atomically
with the new metrics version and the matching configuration hash, so a later
``cmhbench run`` still treats the cell as done.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cmhbench import metrics
from cmhbench.store import records


@dataclass
class RescoreReport:
    """What :func:`rescore_folder` did: paths rescored, skipped (with why), and the
    largest absolute change of mAP@all over all rescored cells."""

    rescored: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    largest_map_change: float = 0.0


def rescore_folder(folder: Path, device: str | None = None) -> RescoreReport:
    """Re-score every ``ok`` record under ``folder`` from its codes file.

    Records whose codes file is missing or does not match the SHA-256 the record
    stored are skipped and reported, never rewritten.
    """
    report = RescoreReport()
    for path in records.record_paths(folder):
        record = records.read_record(path)
        if record is None:
            report.skipped.append((path, "unreadable record"))
            continue
        if record.get("status") != "ok":
            report.skipped.append((path, f"status {record.get('status')}"))
            continue
        arrays, problem = _verified_codes(path, record)
        if arrays is None:
            report.skipped.append((path, problem))
            continue
        before = {d: scores["map"] for d, scores in record["metrics"].items()}
        rescore_record(path, record, arrays, device)
        for direction, old in before.items():
            change = abs(record["metrics"][direction]["map"] - old)
            report.largest_map_change = max(report.largest_map_change, change)
        report.rescored.append(path)
    return report


def rescore_record(
    path: Path, record: dict[str, Any], arrays: dict[str, np.ndarray], device: str | None = None
) -> None:
    """Recompute ``record``'s metrics from its codes (``arrays``) and rewrite it at
    ``path``."""
    protocol = record["protocol"]
    scores = metrics.evaluate_both_directions(
        {
            key: arrays[key]
            for key in ("image_query", "text_query", "image_retrieval", "text_retrieval")
        },
        arrays["query_labels"],
        arrays["retrieval_labels"],
        map_k=tuple(protocol["map_k"]),
        topk=tuple(protocol["topk"]),
        zero_relevant=protocol["zero_relevant"],
        device=device,
    )
    record["metrics"] = {direction: m.to_dict() for direction, m in scores.items()}
    record["protocol"] = {**protocol, "metrics_version": metrics.METRICS_VERSION}
    record["config_hash"] = records.config_hash(records.cell_spec(record))
    records.write_record(path, record)


def _verified_codes(path: Path, record: dict[str, Any]) -> tuple[dict[str, np.ndarray] | None, str]:
    """The record's codes, read once and checked against its SHA-256, or None and why
    they cannot be used."""
    codes = record.get("codes") or {}
    codes_path = path.parent / codes.get("file", "")
    if not codes.get("file") or not codes_path.is_file():
        return None, "no codes file (records kept without codes cannot be re-scored)"
    content = codes_path.read_bytes()
    if hashlib.sha256(content).hexdigest() != codes.get("sha256"):
        return None, f"{codes_path.name} does not match the SHA-256 in the record"
    try:
        with np.load(io.BytesIO(content), allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}, ""
    except (OSError, ValueError) as exc:
        return None, f"{codes_path.name} cannot be read: {exc}"
