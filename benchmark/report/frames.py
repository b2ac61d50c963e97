"""Records to tidy pandas frames, the input of every table and plot: one frame of
scalar metrics (:func:`records_frame`) and one of precision-recall points
(:func:`pr_frame`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from cmhbench.health import is_collapsed
from cmhbench.store.schema import Record

DIRECTIONS = {"i2t": "Image->Text", "t2i": "Text->Image"}


def records_frame(records: Iterable[Record]) -> pd.DataFrame:
    """One row per (cell, direction, metric[, k]): dataset, method, bits, seed, status,
    supervised, zero_relevant (the record's policy), degenerate (its codes collapsed, see
    :mod:`cmhbench.health`; False for records without code health), direction, metric,
    k, value, n_retrieval. Failed cells keep one row with status 'failed'."""
    rows: list[dict[str, Any]] = []
    for record in records:
        cell = {
            "dataset": record["dataset"],
            "method": record["method"],
            "bits": record["bits"],
            "seed": record["seed"],
            "status": record["status"],
            "supervised": record.get("supervised", False),
            "zero_relevant": (record.get("protocol") or {}).get("zero_relevant"),
            "degenerate": is_collapsed(record),
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
        "direction",
        "metric",
        "k",
        "value",
        "n_retrieval",
    ]
    return pd.DataFrame(rows, columns=columns)


def pr_frame(records: Iterable[Record]) -> pd.DataFrame:
    """Precision-recall points by Hamming radius: one row per (cell, direction, radius)."""
    rows = []
    for record in records:
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
                        "direction": direction,
                        "radius": radius,
                        "precision": precision,
                        "recall": recall,
                    }
                )
    return pd.DataFrame(rows)
