"""Records to the document a results site shows: the cells as they are, the tables'
numbers with their statistics, the curves averaged over seeds, the rank test, and the
methods' own descriptions. Everything here is computed once in Python, so the page
only lays it out."""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cmhbench.health import is_degenerate_record
from cmhbench.protocols import Protocol
from cmhbench.report.frames import records_frame, run_names, under_protocol
from cmhbench.report.names import dataset_label, method_label, registered_method
from cmhbench.report.styles import PLOTLY_SYMBOLS, method_styles
from cmhbench.report.tables import MetricChoice, PaperTable, build_table, parse_metric
from cmhbench.stats.paired import ALPHA, TEST_NAME
from cmhbench.stats.ranks import RankTest, case_matrix, rank_test
from cmhbench.stats.samples import QuerySamples
from cmhbench.store.schema import Record

Located = Sequence[tuple[Path, Record]]


def site_document(
    collections: Sequence[tuple[str, Located]], *, title: str, protocol: Protocol = "suite"
) -> dict[str, Any]:
    """The site's document: one part per named collection of records ((path, record)
    pairs, a results folder each), all scored under ``protocol``, and the methods
    that any of them ran."""
    names = sorted({record["method"] for _, located in collections for _, record in located})
    return {
        "title": title,
        "protocol": protocol,
        "alpha": ALPHA,
        "test": TEST_NAME,
        "collections": [
            {"name": name, **collection_payload(located, protocol)} for name, located in collections
        ],
        "methods": _methods(names),
    }


def collection_payload(located: Located, protocol: Protocol) -> dict[str, Any]:
    """One collection's cells, tables with their statistics, rank tests and curves."""
    records = [record for _, record in located]
    scored = under_protocol(records, protocol)
    runs = run_names(scored)
    frame = records_frame(records, protocol)
    finished = frame[frame["status"].eq("ok")]
    metrics = [parse_metric("map")] + [
        parse_metric(f"map@{int(k)}")
        for k in sorted(finished.loc[finished["metric"].eq("map_at_k"), "k"].dropna().unique())
    ]
    samples = QuerySamples(located, protocol)
    left_out = _left_out(frame)
    tables = {
        choice.label: _table_rows(
            build_table(
                frame,
                choice,
                degenerate="fail",
                samples=samples if choice.name == "map" else None,
            ),
            left_out,
        )
        for choice in metrics
        if not finished.empty
    }
    return {
        "datasets": {name: dataset_label(name) for name in sorted(frame["dataset"].unique())},
        "runs": _runs(scored, runs),
        "metrics": list(tables),
        "tables": tables,
        "ranks": _ranks(frame, metrics[0]) if not finished.empty else {},
        "pr": _pr_curves(scored, runs),
        "topk": _topk(frame),
        "cells": [
            _cell(path, record, run)
            for (path, _), record, run in zip(located, scored, runs, strict=True)
        ],
    }


def _left_out(frame: pd.DataFrame) -> dict[tuple[str, str, int], dict[str, int]]:
    """{(run, dataset, bits): {'degenerate': n, 'timeout': n}}: the seeds a table leaves
    out of a mean for codes that collapsed or a run out of time (its other failures
    are the rest of ``failed``)."""
    cells = frame.drop_duplicates(["dataset", "method", "bits", "seed"])
    found: dict[tuple[str, str, int], dict[str, int]] = {}
    for item in cells.itertuples(index=False):
        kind = "degenerate" if item.status == "ok" and item.degenerate else item.status
        if kind in ("degenerate", "timeout"):
            counts = found.setdefault((item.method, item.dataset, int(item.bits)), {})
            counts[kind] = counts.get(kind, 0) + 1
    return found


def _table_rows(
    table: PaperTable, left_out: dict[tuple[str, str, int], dict[str, int]]
) -> list[dict[str, Any]]:
    """One row per measured (run, dataset, direction, code length) of ``table`` (built
    with degenerate codes counted as failed seeds), with how many of its failed seeds
    were degenerate or timed out."""
    rows = []
    for key in table.mean.index:
        group, run, source = key
        if source:
            continue
        for column in table.mean.columns:
            dataset, direction, bits = column
            seeds, failed = int(table.seeds.at[key, column]), int(table.failed.at[key, column])
            if not seeds and not failed:
                continue
            reasons = left_out.get((run, dataset, int(bits)), {})
            rows.append(
                {
                    "run": run,
                    "group": group,
                    "dataset": dataset,
                    "direction": direction,
                    "bits": int(bits),
                    "mean": _number(table.mean.at[key, column]),
                    "std": _number(table.std.at[key, column]),
                    "seeds": seeds,
                    "failed": failed,
                    "degenerate": reasons.get("degenerate", 0),
                    "timeout": reasons.get("timeout", 0),
                    "rank": int(table.rank.at[key, column]),
                    "low": _number(table.low.at[key, column]) if table.low is not None else None,
                    "high": _number(table.high.at[key, column]) if table.high is not None else None,
                    "near_best": table.not_below_best(key, column),
                }
            )
    return rows


def _ranks(frame: pd.DataFrame, choice: MetricChoice) -> dict[str, Any]:
    """Per dataset: the runs' average ranks over the cases (code length, direction),
    the Friedman and Nemenyi tests, and the groups of runs the Nemenyi test does not
    tell apart."""
    chosen = frame[frame["metric"].eq(choice.name) & frame["status"].eq("ok")]
    found: dict[str, Any] = {}
    for name, rows in chosen.groupby("dataset"):
        matrix = case_matrix(rows)
        if matrix.shape[1] < 2 or matrix.shape[0] < 2:
            continue
        found[str(name)] = _rank_summary(rank_test(matrix))
    return found


def _rank_summary(test: RankTest) -> dict[str, Any]:
    order = list(test.mean_ranks.index)
    return {
        "ranks": {run: _number(rank) for run, rank in test.mean_ranks.items()},
        "cases": test.cases,
        "friedman_p": _number(test.friedman_p),
        "critical_difference": _number(test.critical_difference),
        "cliques": _cliques(order, test.nemenyi, test.alpha),
        "left_out": test.left_out,
    }


def _cliques(order: list[str], p_values: pd.DataFrame, alpha: float) -> list[list[str]]:
    """The maximal runs of consecutive (by rank) methods that no pair of which the
    test tells apart, each of two or more."""
    spans: list[tuple[int, int]] = []
    for start in range(len(order)):
        end = start
        while end + 1 < len(order) and all(
            p_values.at[order[i], order[end + 1]] >= alpha for i in range(start, end + 1)
        ):
            end += 1
        if end > start and not any(s <= start and end <= e for s, e in spans):
            spans.append((start, end))
    return [order[s : e + 1] for s, e in spans]


def _pr_curves(scored: list[Record], runs: list[str]) -> list[dict[str, Any]]:
    """Precision and recall by Hamming radius, averaged over each run's seeds whose
    codes did not collapse."""
    sums: dict[tuple, list[np.ndarray]] = {}
    for record, run in zip(scored, runs, strict=True):
        if record["status"] != "ok" or record["metrics"] is None or is_degenerate_record(record):
            continue
        for direction, scores in record["metrics"].items():
            curve = scores["pr_curve"]
            pair = np.array([curve["precision"], curve["recall"]], dtype=float)
            sums.setdefault((record["dataset"], run, record["bits"], direction), []).append(pair)
    curves = []
    for (dataset, run, bits, direction), pairs in sorted(sums.items()):
        stacked = np.stack(pairs)
        reached = (~np.isnan(stacked)).sum(axis=0)  # seeds with an item within the radius
        with np.errstate(invalid="ignore"):
            precision, recall = np.nansum(stacked, axis=0) / reached
        keep = ~np.isnan(precision)
        curves.append(
            {
                "dataset": dataset,
                "run": run,
                "bits": int(bits),
                "direction": direction,
                "precision": np.round(precision[keep], 4).tolist(),
                "recall": np.round(recall[keep], 4).tolist(),
            }
        )
    return curves


def _topk(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Precision at each recorded K, averaged over each run's seeds whose codes did not
    collapse."""
    chosen = frame["metric"].eq("precision_at_k") & frame["status"].eq("ok")
    rows = frame[chosen & ~frame["degenerate"].astype(bool)]
    means = rows.groupby(["dataset", "method", "bits", "direction", "k"])["value"].mean()
    found = []
    for (dataset, run, bits, direction), values in means.groupby(level=[0, 1, 2, 3]):
        found.append(
            {
                "dataset": dataset,
                "run": run,
                "bits": int(bits),
                "direction": direction,
                "k": [int(k) for k in values.index.get_level_values("k")],
                "precision": np.round(values.to_numpy(), 4).tolist(),
            }
        )
    return found


def _runs(scored: list[Record], runs: list[str]) -> dict[str, dict[str, Any]]:
    """Each run's registered method, label, supervision, and its method's colour and
    marker (those of the PDF figures)."""
    styles = method_styles({record["method"] for record in scored})
    found = {}
    for record, run in zip(scored, runs, strict=True):
        colour, marker = styles[record["method"]]
        found[run] = {
            "method": record["method"],
            "label": method_label(run),
            "supervised": bool(record.get("supervised", False)),
            "colour": colour,
            "symbol": PLOTLY_SYMBOLS[marker],
        }
    return found


def _cell(path: Path, record: Record, run: str) -> dict[str, Any]:
    """One cell as the site shows it: what ran, what came of it, and how to remake it."""
    metrics = record.get("metrics") or {}
    error = record.get("error")
    return {
        "id": f"{record['dataset']}/{record['method']}/{path.stem}",
        "dataset": record["dataset"],
        "run": run,
        "method": record["method"],
        "bits": record["bits"],
        "seed": record["seed"],
        "status": "degenerate" if is_degenerate_record(record) else record["status"],
        "error": error["message"] if error else None,
        "map": {direction: _number(scores["map"]) for direction, scores in metrics.items()},
        "config": record.get("config") or {},
        "version": record.get("method_version"),
        "revision": record.get("git_revision"),
        "device": record.get("device_name") or record.get("device"),
        "threads": ((record.get("threads") or {}).get("fit_start") or {}),
        "timings": {key: _number(value) for key, value in (record.get("timings") or {}).items()},
        "health": _health(record),
        "finished_at": record.get("finished_at"),
        "command": remake_command(record),
    }


def _health(record: Record) -> dict[str, Any] | None:
    health = record.get("code_health")
    if not health:
        return None
    return {
        "chance_map": _number(health.get("chance_map")),
        "degenerate": health.get("degenerate", []),
        "distinct": {name: part.get("distinct") for name, part in health.get("sets", {}).items()},
    }


def remake_command(record: Record) -> str:
    """The ``cmhbench run`` line that trains the cell again, with each setting that
    differs from the method's current defaults."""
    method = record["method"]
    parts = [
        "cmhbench run",
        f"--methods {method}",
        f"--datasets {record['dataset']}",
        f"--bits {record['bits']}",
        f"--seeds {record['seed']}",
    ]
    cls = registered_method(method)
    defaults = cls.defaults() if cls is not None else {}
    for key, value in sorted((record.get("config") or {}).items()):
        default = defaults.get(key, {}).get("default")
        if cls is None or _as_setting(value) != _as_setting(default):
            parts.append(f"--set {method}.{key}={_as_setting(value)}")
    return " ".join(parts)


def _as_setting(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value)
    return str(value)


def _methods(names: list[str]) -> dict[str, dict[str, Any]]:
    """Each registered method's metadata, defaults with their sources, and its
    module's docstring (the paper, equations and deviations), never written twice."""
    found = {}
    for name in names:
        cls = registered_method(name)
        if cls is None:
            continue
        info = cls.info
        found[name] = {
            "label": method_label(name),
            "title": info.title,
            "authors": info.authors,
            "venue": info.venue,
            "code": info.code,
            "supervised": info.supervised,
            "native": info.native,
            "version": info.version,
            "defaults": {
                key: {"default": _as_setting(entry["default"]), "source": entry["source"]}
                for key, entry in cls.defaults().items()
            },
            "docstring": sys.modules[cls.__module__].__doc__ or "",
        }
    return found


def _number(value: Any) -> float | None:
    """A float for JSON to six significant digits (so a library's last-digit rounding
    does not change the site), None for NaN or missing."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else float(f"{value:.6g}")
