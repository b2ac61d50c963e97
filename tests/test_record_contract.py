"""The record contract: one cell spec whose hash is the config hash, records of older
schemas migrated on reading, and method versions that rerun only their own cells."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest
from reference_grid import REFERENCE_CELLS, REFERENCE_GRID

from cmhbench.run import executors
from cmhbench.run.config import GridSpec
from cmhbench.run.grid import run_grid
from cmhbench.store import records
from cmhbench.store.schema import SCHEMA_VERSION, CellSpec, canonical_hash, migrate

REFERENCE = Path(__file__).parent.parent / "results" / "reference"


def schema_1(record: dict) -> dict:
    """``record`` as schema 1 wrote it: no method version, the hash without it."""
    old = {key: value for key, value in record.items() if key != "method_version"}
    old["schema_version"] = 1
    spec = CellSpec.from_record(record).identity()
    del spec["method_version"]
    old["config_hash"] = canonical_hash(spec)[:16]
    return old


def test_the_hash_is_the_spec_s_and_a_record_gives_its_spec_back(tmp_path):
    [record] = run_grid(GridSpec(methods=["cvh"], bits=[8], out=tmp_path, progress=False))
    assert record["schema_version"] == SCHEMA_VERSION and record["method_version"] == 1
    spec = CellSpec.from_record(record)
    assert spec.config_hash == record["config_hash"]
    assert spec.key == ("synthetic", "cvh", 8, 0)
    changed = dataclasses.replace(spec, method_version=2)
    assert changed.config_hash != spec.config_hash


def test_a_schema_1_record_is_migrated_and_its_cell_stays_done(tmp_path):
    [record] = run_grid(GridSpec(methods=["cvh"], bits=[8], out=tmp_path, progress=False))
    path = tmp_path / "synthetic" / "cvh" / "bits8-seed0.json"
    old = schema_1(json.loads(path.read_text()))
    records.write_record(path, old)
    stamp = path.stat().st_mtime_ns
    migrated = records.read_record(path)
    assert migrated is not None and migrated["schema_version"] == SCHEMA_VERSION
    assert migrated["config_hash"] == record["config_hash"]
    [again] = run_grid(GridSpec(methods=["cvh"], bits=[8], out=tmp_path, progress=False))
    assert path.stat().st_mtime_ns == stamp  # not retrained, not rewritten
    assert again["started_at"] == record["started_at"]
    assert migrate({**old, "schema_version": SCHEMA_VERSION + 1}) is None  # from the future


@pytest.mark.slow
def test_a_bumped_method_version_reruns_that_method_s_cells_only(plugin, tmp_path, monkeypatch):
    from cmhbench.registry import get_method

    grid = GridSpec(methods=["projection", "cvh"], bits=[8, 16], out=tmp_path, progress=False)
    first = {(r["method"], r["bits"]): r["started_at"] for r in run_grid(grid)}
    projection = get_method("projection")
    monkeypatch.setattr(projection, "info", dataclasses.replace(projection.info, version=2))
    monkeypatch.setattr("cmhbench.run.cell._now", lambda: "later")
    second = {(r["method"], r["bits"]): r for r in run_grid(grid)}
    assert {key: r["started_at"] for key, r in second.items() if key[0] == "cvh"} == {
        key: stamp for key, stamp in first.items() if key[0] == "cvh"
    }
    assert all(r["started_at"] == "later" for key, r in second.items() if key[0] == "projection")
    assert all(r["method_version"] == 2 for key, r in second.items() if key[0] == "projection")


def test_the_reference_grid_is_complete_under_the_current_code(tmp_path, monkeypatch):
    """Every committed reference cell has the spec the current code would give it (so
    no schema change, refactor or forgotten version bump reruns or hides a cell)."""
    shutil.copytree(REFERENCE, tmp_path / "reference", ignore=shutil.ignore_patterns("*.npz"))

    def no_training(self, tasks):
        for _order, task in tasks:
            pytest.fail(f"{task.spec.key} would be trained again")
        yield from ()

    monkeypatch.setattr(executors.LocalExecutor, "run", no_training)
    found = run_grid(
        GridSpec(**REFERENCE_GRID, out=tmp_path / "reference", device="cpu", progress=False)
    )
    assert len(found) == REFERENCE_CELLS
