"""Records to a tidy pandas frame, and the console summary table."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd
from tabulate import tabulate

DIRECTIONS = {"i2t": "Image->Text", "t2i": "Text->Image"}


def records_frame(records: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """One row per (cell, direction, metric[, k]): dataset, method, bits, seed, status,
    direction, metric, k, value. Failed cells keep one row with status 'failed'."""
    rows = []
    for record in records:
        cell = {key: record[key] for key in ("dataset", "method", "bits", "seed")}
        cell["status"] = record["status"]
        cell["supervised"] = record.get("supervised", False)
        if record["status"] != "ok":
            rows.append({**cell, "direction": None, "metric": None, "k": None, "value": None})
            continue
        for direction, scores in record["metrics"].items():
            base = {**cell, "direction": direction}
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
        "direction",
        "metric",
        "k",
        "value",
    ]
    return pd.DataFrame(rows, columns=columns)


def map_table(frame: pd.DataFrame, metric: str = "map") -> str:
    """Console table: rows (dataset, method), columns direction x bits, mean over seeds.

    Supervised methods follow the unsupervised ones of their dataset and are marked
    '(supervised)'. A column whose every seed failed shows 'failed'.
    """
    if frame.empty:
        return "(no results)"
    rows: dict[tuple[str, bool, str], dict[tuple[str, int], str]] = {}
    columns: set[tuple[str, int]] = set()
    keys = ["dataset", "supervised", "method", "bits"]
    for (dataset, supervised, method, bits), group in frame.groupby(keys):
        scores = group[(group["status"] == "ok") & (group["metric"] == metric)]
        for direction in DIRECTIONS:
            values = scores.loc[scores["direction"] == direction, "value"].dropna()
            columns.add((direction, int(bits)))
            text = f"{values.mean():.4f}" if len(values) else "failed"
            rows.setdefault((dataset, bool(supervised), method), {})[(direction, int(bits))] = text
    ordered = sorted(columns)
    headers = ["dataset", "method"] + [f"{DIRECTIONS[d]} {b}" for d, b in ordered]
    body = [
        [dataset, f"{method} (supervised)" if supervised else method]
        + [cells.get(c, "") for c in ordered]
        for (dataset, supervised, method), cells in sorted(rows.items())
    ]
    return tabulate(body, headers=headers, tablefmt="github", disable_numparse=True)
