"""Which cells of a grid are done, degenerate (done, with collapsed codes), outdated
(made by an older version of the method), failed, unreadable, running (claimed by a
run) or missing, from the records and claim files alone."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cmhbench import health
from cmhbench.registry import METHODS
from cmhbench.store import claims, records
from cmhbench.store.schema import CellKey, Record

STATES = ("done", "degenerate", "outdated", "failed", "unreadable", "running", "missing")
_STEM = re.compile(r"bits(\d+)-seed(\d+)")


@dataclass(frozen=True)
class CellState:
    """One cell's state; ``detail`` is the error's first line for failed cells, the
    collapsed code sets for degenerate ones and the versions for outdated ones."""

    dataset: str
    method: str
    bits: int
    seed: int
    state: str
    detail: str = ""


def grid_states(
    folder: Path,
    *,
    datasets: Sequence[str] | None = None,
    methods: Sequence[str] | None = None,
    bits: Sequence[int] | None = None,
    seeds: Sequence[int] | None = None,
) -> list[CellState]:
    """The state of every cell of a grid, in grid order.

    The grid is the product of the given lists; a list not given is every value the
    folder's records have (so with no lists, the grid is what the folder has seen).
    """
    found: dict[CellKey, CellState] = {}
    for path in records.record_paths(folder):
        match = _STEM.fullmatch(path.stem)
        if not match:
            continue
        key = CellKey(path.parent.parent.name, path.parent.name, int(match[1]), int(match[2]))
        record = records.read_record(path)
        if record is None:
            found[key] = CellState(*key, "unreadable", f"{path} does not parse as a record")
        elif outdated := _outdated(record):
            found[key] = CellState(*key, "outdated", outdated)
        elif record["status"] == "ok":
            found[key] = _finished(key, record)
        else:
            error = record["error"]
            message = (error["message"] if error else "") or "no message"
            found[key] = CellState(*key, "failed", message.splitlines()[0])
    grid = itertools.product(
        list(datasets) if datasets else sorted({key.dataset for key in found}),
        list(methods) if methods else sorted({key.method for key in found}),
        list(bits) if bits else sorted({key.bits for key in found}),
        list(seeds) if seeds else sorted({key.seed for key in found}),
    )
    return [found.get(key) or _unfinished(folder, key) for key in map(CellKey._make, grid)]


def _outdated(record: Record) -> str:
    """How the record's method version differs from the registered method's ('' when it
    does not, or when the method is not registered here): a run trains such a cell
    again, as its configuration hash holds the version."""
    name = record["method"]
    if name not in METHODS.names():
        return ""
    made, current = record["method_version"], METHODS.get(name).info.version
    return "" if made == current else f"made by version {made}; {name} is now version {current}"


def _finished(key: CellKey, record: Record) -> CellState:
    """'degenerate' (with the collapsed sets) when the codes broke the health rule,
    else 'done'."""
    degenerate = health.degenerate_description(record)
    return CellState(*key, "degenerate", degenerate) if degenerate else CellState(*key, "done")


def _unfinished(folder: Path, key: CellKey) -> CellState:
    """'running' when a run holds the cell's claim (its owner as detail), else 'missing'."""
    owner = claims.owner(key.paths(folder)[0])
    if owner is None:
        return CellState(*key, "missing")
    return CellState(*key, "running", owner)


def state_counts(states: Sequence[CellState]) -> dict[str, int]:
    """{state: number of cells} for every state in :data:`STATES`."""
    return {state: sum(cell.state == state for cell in states) for state in STATES}
