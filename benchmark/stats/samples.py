"""Per-query AP gathered by table column: each run's seeds x queries matrix.

A column is (dataset, code length, direction); a run is named as tables name it
(:func:`cmhbench.report.frames.run_names`), so the statistics of a table cell come from
exactly the records that the cell averages. Queries that the zero-relevant policy
leaves out (NaN) are dropped, the same ones for every run of a dataset (they depend on
the labels alone).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from cmhbench.errors import CmhbenchError
from cmhbench.protocols import Protocol
from cmhbench.report.frames import run_names, under_protocol
from cmhbench.store.records import read_query_ap
from cmhbench.store.schema import Record

#: (dataset, run, bits, direction)
SampleKey = tuple[str, str, int, str]


class QuerySamples:
    """The per-query AP of a set of records under one retrieval protocol, by run and
    column, with the records that lack it counted (made before it was kept)."""

    def __init__(self, located: Sequence[tuple[Path, Record]], protocol: Protocol):
        self.protocol = protocol
        self.lacking: list[Path] = []
        self._rows: dict[SampleKey, list[np.ndarray]] = {}
        self._splits: dict[str, set[str]] = {}
        paths = {_identity(record): path for path, record in located}
        scored = under_protocol([record for _, record in located], protocol)
        for record, run in zip(scored, run_names(scored), strict=True):
            if record["status"] != "ok" or record["metrics"] is None:
                continue
            path = paths[_identity(record)]
            arrays = read_query_ap(path, record)
            if arrays is None:
                self.lacking.append(path)
                continue
            has_native = "metrics" in (record.get("native") or {})
            scored_as = "native" if protocol == "native" and has_native else "suite"
            split = (record.get("data") or {}).get("split_sha256", "")
            self._splits.setdefault(record["dataset"], set()).add(split)
            for direction in record["metrics"]:
                key = (record["dataset"], run, record["bits"], direction)
                self._rows.setdefault(key, []).append(arrays[f"{scored_as}_{direction}"])

    def runs(self) -> list[str]:
        """The runs with per-query AP, sorted."""
        return sorted({key[1] for key in self._rows})

    def columns(self, run: str) -> set[tuple[str, int, str]]:
        """The columns (dataset, bits, direction) where ``run`` has per-query AP."""
        return {(key[0], key[2], key[3]) for key in self._rows if key[1] == run}

    def seeds(self, key: SampleKey) -> int:
        """How many of the run's seeds in this column have per-query AP."""
        return len(self._rows.get(key, ()))

    def matrix(self, key: SampleKey) -> np.ndarray:
        """The run's seeds x queries AP in the column, the left-out queries dropped.

        Raises:
            CmhbenchError: the run's seeds were scored on different query sets.
        """
        self._check_shared(key[0])
        rows = self._rows[key]
        if len({row.shape for row in rows}) > 1:
            raise CmhbenchError(f"{key[1]} on {key[0]}: its seeds were scored on different queries")
        stacked = np.vstack(rows).astype(np.float64)
        return stacked[:, ~np.isnan(stacked).any(axis=0)]

    def _check_shared(self, dataset: str) -> None:
        if len(self._splits.get(dataset, ())) > 1:
            raise CmhbenchError(
                f"the cells of {dataset} do not share their queries (their splits differ): "
                "paired statistics compare runs on the same queries only"
            )


def _identity(record: Record) -> tuple:
    """What tells a record from a copy of it scored under the native protocol."""
    return (
        record["dataset"],
        record["method"],
        record["bits"],
        record["seed"],
        record.get("config_hash"),
    )
