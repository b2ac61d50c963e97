"""Records to tidy pandas frames, the input of every table and plot: one frame of
scalar metrics (:func:`records_frame`) and one of precision-recall points
(:func:`pr_frame`), each under one retrieval protocol (:mod:`cmhbench.protocols`), so
that no table or plot mixes the two.

A frame's ``method`` column names the run a row belongs to: the method, followed by
what sets its records apart from the method's other records on the same dataset at
the same code length, in anything but the seed (``triplet (epochs=4)``; see
:func:`run_names`), so that tables and figures average over seeds only and never over
unlike runs. ``method_name`` is the registered method.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from cmhbench.health import is_degenerate_record
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


def run_names(records: Sequence[Record]) -> list[str]:
    """Each record's run name: its method, with ``(key=value, ...)`` for whatever
    differs between the method's records of one dataset and code length other than
    the seed: hyper-parameters, the method's version, the data (fingerprint) and the
    metric code's version. The method alone where only seeds differ."""
    described = [_run_description(record) for record in records]
    varying = _varying_keys(records, described)
    names = []
    for record, description in zip(records, described, strict=True):
        keys = varying[(record["dataset"], record["method"])]
        detail = ", ".join(f"{key}={description.get(key, '-')}" for key in keys)
        names.append(f"{record['method']} ({detail})" if detail else record["method"])
    return names


def _run_description(record: Record) -> dict[str, str]:
    """What a record's run is, besides its dataset, method, code length and seed."""
    return {
        **{key: _short(value) for key, value in (record.get("config") or {}).items()},
        "version": str(record.get("method_version")),
        "data": str((record.get("data") or {}).get("fingerprint", ""))[:8],
        "metrics": str((record.get("protocol") or {}).get("metrics_version")),
    }


def _varying_keys(
    records: Sequence[Record], described: list[dict[str, str]]
) -> dict[tuple[str, str], list[str]]:
    """{(dataset, method): the description keys whose values differ between records of
    one code length}, in the order descriptions list them."""
    values: dict[tuple[str, str, int], dict[str, set[str]]] = {}
    for record, description in zip(records, described, strict=True):
        cell = values.setdefault((record["dataset"], record["method"], record["bits"]), {})
        for key, value in description.items():
            cell.setdefault(key, set()).add(value)
    found: dict[tuple[str, str], list[str]] = {}
    for (dataset, method, _), by_key in values.items():
        keys = found.setdefault((dataset, method), [])
        keys += [key for key, seen in by_key.items() if len(seen) > 1 and key not in keys]
    return found


def _short(value: Any) -> str:
    """A hyper-parameter's value as a run name prints it."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def of_methods(frame: pd.DataFrame, methods: Sequence[str] | None) -> pd.DataFrame:
    """The frame's rows of the registered ``methods`` (all rows when None)."""
    return frame if not methods else frame[frame["method_name"].isin(methods)]


def run_order(frame: pd.DataFrame, methods: Sequence[str] | None) -> list[str]:
    """The frame's run names, grouped by method in the order of ``methods`` (sorted
    names when None), each method's runs sorted."""
    runs = dict(zip(frame["method"], frame["method_name"], strict=True))
    order = list(methods) if methods else sorted(set(runs.values()))
    place = {name: i for i, name in enumerate(order)}
    chosen = [run for run, name in runs.items() if name in place]
    return sorted(chosen, key=lambda run: (place[runs[run]], run))


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
    scored = under_protocol(records, protocol)
    for record, run in zip(scored, run_names(scored), strict=True):
        cell = {
            "dataset": record["dataset"],
            "method": run,
            "method_name": record["method"],
            "bits": record["bits"],
            "seed": record["seed"],
            "status": record["status"],
            "supervised": record.get("supervised", False),
            "zero_relevant": (record.get("protocol") or {}).get("zero_relevant"),
            "degenerate": is_degenerate_record(record),
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
        "method_name",
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
    scored = under_protocol(records, protocol)
    for record, run in zip(scored, run_names(scored), strict=True):
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
                        "method": run,
                        "method_name": record["method"],
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
