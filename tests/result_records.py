"""Hand-made result records with chosen scores, for table, plot and cells tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cmhbench.registry import METHODS
from cmhbench.store.schema import SCHEMA_VERSION, CellKey


def scores(value: float, bits: int, n_retrieval: int = 100) -> dict[str, Any]:
    """One direction's metrics: every mAP is ``value``; a PR curve and precision@K
    that fall from ``value``."""
    radii = list(range(bits + 1))
    return {
        "map": value,
        "map_tie_aware": value - 0.01,
        "map_at_k": {"50": value + 0.01},
        "precision_at_k": {"1": value, "10": value - 0.1, "1000": 0.1},
        "pr_curve": {
            "radius": radii,
            "precision": [value * (1 - r / (2 * bits)) for r in radii],
            "recall": [r / bits for r in radii],
        },
        "n_queries": 10,
        "n_retrieval": n_retrieval,
        "queries_without_relevant": 0,
        "zero_relevant": "count",
    }


def record(
    method: str,
    bits: int,
    seed: int,
    i2t: float,
    t2i: float,
    *,
    dataset: str = "synthetic",
    supervised: bool = False,
    error: str | None = None,
) -> dict[str, Any]:
    """A record as the runner writes it (the fields tables, plots and cells read)."""
    base = {
        "schema_version": SCHEMA_VERSION,
        "dataset": dataset,
        "method": method,
        "method_version": METHODS.get(method).info.version if method in METHODS.names() else 1,
        "bits": bits,
        "seed": seed,
        "supervised": supervised,
    }
    if error is not None:
        return {**base, "status": "failed", "metrics": None, "error": {"message": error}}
    metrics = {"i2t": scores(i2t, bits), "t2i": scores(t2i, bits)}
    return {**base, "status": "ok", "metrics": metrics, "error": None}


def write(folder: Path, item: dict[str, Any]) -> Path:
    """Save a hand-made record where the runner would."""
    path, _ = CellKey(item["dataset"], item["method"], item["bits"], item["seed"]).paths(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(item))
    return path


def with_query_ap(folder: Path, item: dict[str, Any], i2t: Any, t2i: Any) -> Path:
    """Save a hand-made record with each query's AP (its mAP their mean), as a cell
    scored since per-query AP is kept."""
    import numpy as np

    from cmhbench.store import records

    arrays = {"suite_i2t": np.asarray(i2t, np.float32), "suite_t2i": np.asarray(t2i, np.float32)}
    for direction in ("i2t", "t2i"):
        item["metrics"][direction]["map"] = float(arrays[f"suite_{direction}"].mean())
    item.setdefault("data", {})["split_sha256"] = "shared"
    path = write(folder, item)
    records.write_query_ap(path, item, arrays)  # type: ignore[arg-type]
    path.write_text(json.dumps(item))
    return path
