"""Re-score finished cells from their stored codes, without retraining.

After a metric is added or corrected (``metrics.METRICS_VERSION`` goes up), or when
other metric options are wanted (K lists, zero-relevant policy), a record's metrics,
code health (:mod:`cmhbench.health`) and per-query AP are recomputed from its
``.npz``, the native retrieval protocol's codes too where the record has them, and
the record is rewritten atomically with its new metric protocol (records made before
per-query AP was kept gain it this way). The metric protocol is not part
of the configuration hash, so a later ``cmhbench run`` still treats the cell as done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cmhbench import health, metrics
from cmhbench.health import CodeHealth
from cmhbench.metrics import DirectionMetrics, ZeroRelevantPolicy
from cmhbench.protocols import Protocol, protocol_keys
from cmhbench.store import records
from cmhbench.store.schema import MetricProtocol, Record


@dataclass
class RescoreReport:
    """What :func:`rescore_folder` did: paths rescored, skipped (with why), and the
    largest absolute change of mAP@all over all rescored cells."""

    rescored: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    largest_map_change: float = 0.0


@dataclass(frozen=True)
class MetricOptions:
    """Metric options that replace a record's own when it is re-scored (None keeps
    the record's)."""

    zero_relevant: ZeroRelevantPolicy | None = None
    map_k: tuple[int, ...] | None = None
    topk: tuple[int, ...] | None = None

    def applied_to(self, protocol: MetricProtocol) -> MetricProtocol:
        """``protocol`` with these options and the current metric code's version."""
        return MetricProtocol(
            metrics_version=metrics.METRICS_VERSION,
            zero_relevant=self.zero_relevant or protocol.zero_relevant,
            map_k=protocol.map_k if self.map_k is None else self.map_k,
            topk=protocol.topk if self.topk is None else self.topk,
        )


def rescore_folder(
    folder: Path, device: str | None = None, options: MetricOptions | None = None
) -> RescoreReport:
    """Re-score every ``ok`` record under ``folder`` from its codes file, under its
    own metric protocol with ``options`` applied.

    Raises:
        CmhbenchError: the folder is missing or holds no record.

    Records whose codes file is missing or does not match the SHA-256 the record
    stored are skipped and reported, never rewritten.
    """
    report = RescoreReport()
    for path in records.require_record_paths(folder):
        record = records.read_record(path)
        if record is None:
            report.skipped.append((path, "unreadable record"))
            continue
        if record["status"] != "ok" or record["metrics"] is None:
            report.skipped.append((path, f"status {record['status']}"))
            continue
        arrays, problem = verified_codes(path, record)
        if arrays is None:
            report.skipped.append((path, problem))
            continue
        before = record["metrics"]
        protocol = (options or MetricOptions()).applied_to(
            MetricProtocol.from_dict(record["protocol"])
        )
        rescore_record(path, record, arrays, protocol, device)
        for direction, after in (record["metrics"] or {}).items():
            change = abs(_map(after) - _map(before[direction]))
            report.largest_map_change = max(report.largest_map_change, change)
        report.rescored.append(path)
    return report


def rescore_record(
    path: Path,
    record: Record,
    arrays: dict[str, np.ndarray],
    protocol: MetricProtocol,
    device: str | None = None,
) -> None:
    """Recompute ``record``'s metrics and code health from its codes (``arrays``) under
    the metric ``protocol`` with the current code, for the suite's codes and, where the
    record has them, the native protocol's, and rewrite it at ``path`` (in the current
    schema)."""
    labels = arrays["query_labels"], arrays["retrieval_labels"]
    codes = {key: arrays[stored] for key, stored in protocol_keys("suite").items()}
    record["metrics"], record["code_health"], suite_ap = score_codes(
        codes, *labels, protocol, device
    )
    query_ap = protocol_query_ap("suite", suite_ap)
    native = record.get("native")
    if native is not None and "metrics" in native:
        codes = {key: arrays[stored] for key, stored in protocol_keys("native").items()}
        native["metrics"], native["code_health"], native_ap = score_codes(
            codes, *labels, protocol, device
        )
        query_ap.update(protocol_query_ap("native", native_ap))
    record["protocol"] = protocol.as_dict()
    records.write_query_ap(path, record, query_ap)
    records.write_record(path, record)


def score_codes(
    codes: dict[str, np.ndarray],
    query_labels: np.ndarray,
    retrieval_labels: np.ndarray,
    protocol: MetricProtocol,
    device: str | None = None,
) -> tuple[dict[str, DirectionMetrics], CodeHealth, dict[str, np.ndarray]]:
    """Both directions' metrics, the code health and {direction: AP@all per query} of
    one protocol's four code sets."""
    scores = metrics.evaluate_both_directions(
        codes,
        query_labels,
        retrieval_labels,
        map_k=protocol.map_k,
        topk=protocol.topk,
        zero_relevant=protocol.zero_relevant,
        device=device,
    )
    found = health.code_health(codes, query_labels, retrieval_labels, protocol.zero_relevant)
    per_query = {direction: np.asarray(m.query_ap, np.float32) for direction, m in scores.items()}
    return {direction: m.to_dict() for direction, m in scores.items()}, found, per_query


def protocol_query_ap(
    protocol: Protocol, per_query: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """{direction: AP per query} keyed as the per-query AP file keys them."""
    return {f"{protocol}_{direction}": ap for direction, ap in per_query.items()}


def _map(scores: DirectionMetrics) -> float:
    return scores["map"] or 0.0


def verified_codes(path: Path, record: Record) -> tuple[dict[str, np.ndarray] | None, str]:
    """The record's codes, read once and checked against its SHA-256, or None and why
    they cannot be used."""
    if record.get("codes") is None:
        return None, "no codes file (records kept without codes cannot be re-scored)"
    return records.verified_arrays(path, record["codes"])
