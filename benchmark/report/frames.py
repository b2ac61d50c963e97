"""Records to tidy pandas frames, the input of every table and plot: one frame of
scalar metrics (:func:`records_frame`) and one of precision-recall points
(:func:`pr_frame`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

DIRECTIONS = {"i2t": "Image->Text", "t2i": "Text->Image"}


def records_frame(records: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """One row per (cell, direction, metric[, k]): dataset, method, bits, seed, status,
    supervised, zero_relevant (the record's policy), direction, metric, k, value,
    n_retrieval. Failed cells keep one row with status 'failed'."""
    rows = []
    for record in records:
        cell = {key: record[key] for key in ("dataset", "method", "bits", "seed")}
        cell["status"] = record["status"]
        cell["supervised"] = record.get("supervised", False)
        cell["zero_relevant"] = (record.get("protocol") or {}).get("zero_relevant")
        if record["status"] != "ok":
            rows.append({**cell, "direction": None, "metric": None, "k": None, "value": None})
            continue
        for direction, scores in record["metrics"].items():
            base = {**cell, "direction": direction, "n_retrieval": scores["n_retrieval"]}
            for metric in ("map", "map_tie_aware"):
                rows.append({**base, "metric": metric, "k": None, "value": scores[metric]})
            for metric in ("map_at_k", "precision_at_k"):
                for k, value in scores[metric].items():
                    rows.append({**base, "metric": metric, "k": int(k), "value": value})
    columns = [
        "dataset",
        "method",
        "bits",
        "seed",
        "status",
        "supervised",
        "zero_relevant",
        "direction",
        "metric",
        "k",
        "value",
        "n_retrieval",
    ]
    return pd.DataFrame(rows, columns=columns)


def pr_frame(records: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Precision-recall points by Hamming radius: one row per (cell, direction, radius)."""
    rows = []
    for record in records:
        if record.get("status") != "ok":
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
