"""Which cells of a grid are done, failed, unreadable, running (claimed by a run) or
missing, from the records and claim files alone."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cmhbench.run import claims
from cmhbench.store import records

STATES = ("done", "failed", "unreadable", "running", "missing")
_STEM = re.compile(r"bits(\d+)-seed(\d+)")


@dataclass(frozen=True)
class CellState:
    """One cell's state; ``detail`` is the error's first line for failed cells."""

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
    found: dict[tuple[str, str, int, int], CellState] = {}
    for path in records.record_paths(folder):
        match = _STEM.fullmatch(path.stem)
        if not match:
            continue
        key = (path.parent.parent.name, path.parent.name, int(match[1]), int(match[2]))
        record = records.read_record(path)
        if record is None:
            found[key] = CellState(*key, "unreadable", f"{path} does not parse as a record")
        elif record.get("status") == "ok":
            found[key] = CellState(*key, "done")
        else:
            message = (record.get("error") or {}).get("message") or "no message"
            found[key] = CellState(*key, "failed", message.splitlines()[0] if message else "")
    axes = [
        list(given) if given else sorted({key[i] for key in found})
        for i, given in enumerate((datasets, methods, bits, seeds))
    ]
    return [
        found.get((d, m, b, s)) or _unfinished(folder, d, m, b, s)
        for d in axes[0]
        for m in axes[1]
        for b in axes[2]
        for s in axes[3]
    ]


def _unfinished(folder: Path, dataset: str, method: str, bits: int, seed: int) -> CellState:
    """'running' when a run holds the cell's claim (its owner as detail), else 'missing'."""
    path = records.cell_paths(folder, dataset, method, bits, seed)[0]
    owner = claims.owner(path)
    if owner is None:
        return CellState(dataset, method, bits, seed, "missing")
    return CellState(dataset, method, bits, seed, "running", owner)


def state_counts(states: Sequence[CellState]) -> dict[str, int]:
    """{state: number of cells} for every state in :data:`STATES`."""
    return {state: sum(cell.state == state for cell in states) for state in STATES}
