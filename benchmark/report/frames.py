"""Records to tidy pandas frames, the input of every table and plot: one frame of
scalar metrics (:func:`records_frame`) and one of precision-recall points
(:func:`pr_frame`), each under one retrieval protocol (:mod:`cmhbench.protocols`), so
that no table or plot mixes the two."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import pandas as pd

from cmhbench.health import is_collapsed
from cmhbench.protocols import Protocol
from cmhbench.store.schema import Record

DIRECTIONS = {"i2t": "Image->Text", "t2i": "Text->Image"}
log = logging.getLogger("cmhbench")


def under_protocol(records: Iterable[Record], protocol: Protocol) -> list[Record]:
    """The records as scored under ``protocol``: under 'native', a record whose method
    scores natively otherwise has its native metrics and code health in place of the
    suite's, and records made before native codes were stored are left out (logged, as
    are cells whose native database fell back to encoded codes for items the method did
    not train on)."""
    if protocol == "suite":
        return list(records)
    found: list[Record] = []
    lacking: list[Record] = []
    for record in records:
        native = record.get("native")
        if native is None:
            lacking.append(record)
        elif "metrics" in native:
            scored = record.copy()
            scored["metrics"], scored["code_health"] = native["metrics"], native["code_health"]
            found.append(scored)
        else:
            found.append(record)
    encoded = sorted(
        {
            f"{r['dataset']}/{r['method']}"
            for r in found
            if any((r.get("native") or {}).get("encoded_retrieval_items", {}).values())
        }
    )
    if encoded:
        log.warning(
            "native protocol: in %s the method did not train on every retrieval item, so "
            "those items take encoded codes (each record counts them)",
            ", ".join(encoded),
        )
    if lacking:
        names = sorted({f"{r['dataset']}/{r['method']}" for r in lacking})
        log.warning(
            "%d record(s) have no native codes and are left out (%s): they were made "
            "before cmhbench stored them; 'cmhbench run' makes them again",
            len(lacking),
            ", ".join(names),
        )
    return found


def native_kind(record: Record) -> str:
    """How the record's method scores natively ('suite' when as the suite does)."""
    return (record.get("native") or {}).get("kind", "suite")


def records_frame(records: Iterable[Record], protocol: Protocol = "suite") -> pd.DataFrame:
    """One row per (cell, direction, metric[, k]) under ``protocol``: dataset, method,
    bits, seed, status, supervised, zero_relevant (the record's policy), degenerate (its
    codes collapsed, see :mod:`cmhbench.health`; False for records without code
    health), protocol, native (the method's native kind), direction, metric, k, value,
    n_retrieval. Failed cells keep one row with status 'failed'."""
    rows: list[dict[str, Any]] = []
    for record in under_protocol(records, protocol):
        cell = {
            "dataset": record["dataset"],
            "method": record["method"],
            "bits": record["bits"],
            "seed": record["seed"],
            "status": record["status"],
            "supervised": record.get("supervised", False),
            "zero_relevant": (record.get("protocol") or {}).get("zero_relevant"),
            "degenerate": is_collapsed(record),
            "protocol": protocol,
            "native": native_kind(record),
        }
        if record["status"] != "ok" or record["metrics"] is None:
            rows.append({**cell, "direction": None, "metric": None, "k": None, "value": None})
            continue
        for direction, scores in record["metrics"].items():
            base = {**cell, "direction": direction, "n_retrieval": scores["n_retrieval"]}
            rows.append({**base, "metric": "map", "k": None, "value": scores["map"]})
            rows.append(
                {**base, "metric": "map_tie_aware", "k": None, "value": scores["map_tie_aware"]}
            )
            for metric, values in (
                ("map_at_k", scores["map_at_k"]),
                ("precision_at_k", scores["precision_at_k"]),
            ):
                for k, value in values.items():
                    rows.append({**base, "metric": metric, "k": int(k), "value": value})
    columns = [
        "dataset",
        "method",
        "bits",
        "seed",
        "status",
        "supervised",
        "zero_relevant",
        "degenerate",
        "protocol",
        "native",
        "direction",
        "metric",
        "k",
        "value",
        "n_retrieval",
    ]
    return pd.DataFrame(rows, columns=columns)


def pr_frame(records: Iterable[Record], protocol: Protocol = "suite") -> pd.DataFrame:
    """Precision-recall points by Hamming radius under ``protocol``: one row per (cell,
    direction, radius)."""
    rows = []
    for record in under_protocol(records, protocol):
        if record["status"] != "ok" or record["metrics"] is None:
            continue
        for direction, scores in record["metrics"].items():
            curve = scores["pr_curve"]
            for radius, precision, recall in zip(
                curve["radius"], curve["precision"], curve["recall"], strict=True
            ):
                rows.append(
                    {
                        "dataset": record["dataset"],
                        "method": record["method"],
                        "bits": record["bits"],
                        "seed": record["seed"],
                        "protocol": protocol,
                        "direction": direction,
                        "radius": radius,
                        "precision": precision,
                        "recall": recall,
                    }
                )
    return pd.DataFrame(rows)
