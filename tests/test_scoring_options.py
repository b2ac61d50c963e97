"""Metric options are scoring, not training: a run or ``eval --recompute`` that asks
for other K lists or another zero-relevant policy re-scores the stored codes, and a
record made when the metric protocol was part of the config hash (schema 3) keeps
its cell done."""

from __future__ import annotations

import json

from click.testing import CliRunner

from cmhbench.cli import cli
from cmhbench.store import records
from cmhbench.store.schema import SCHEMA_VERSION, CellSpec, canonical_hash

RUN = ["run", "--methods", "cvh", "--bits", "8", "--no-progress"]


def _run(out, *extra: str) -> dict:
    result = CliRunner().invoke(cli, [*RUN, "--out", str(out), *extra])
    assert result.exit_code == 0, result.output
    return json.loads((out / "synthetic" / "cvh" / "bits8-seed0.json").read_text())


def _no_training(task):
    raise AssertionError(f"{task.spec.key} trained")


def test_new_metric_options_rescore_the_stored_codes_and_train_nothing(tmp_path, monkeypatch):
    first = _run(tmp_path)
    codes = tmp_path / "synthetic" / "cvh" / "bits8-seed0.npz"
    stamp = codes.stat().st_mtime_ns
    monkeypatch.setattr("cmhbench.run.executors.run_cell", _no_training)
    again = _run(tmp_path, "--map-k", "7,50", "--topk", "3", "--zero-relevant", "exclude")
    assert again["started_at"] == first["started_at"] and codes.stat().st_mtime_ns == stamp
    assert again["config_hash"] == first["config_hash"]
    assert again["protocol"] == {**first["protocol"], "map_k": [7, 50], "topk": [3],
                                 "zero_relevant": "exclude"}  # fmt: skip
    assert set(again["metrics"]["i2t"]["map_at_k"]) == {"7", "50"}
    assert again["metrics"]["i2t"]["map"] == first["metrics"]["i2t"]["map"]  # nothing excluded


def test_a_cell_whose_codes_are_gone_trains_again_for_new_metric_options(tmp_path):
    _run(tmp_path)
    codes = tmp_path / "synthetic" / "cvh" / "bits8-seed0.npz"
    codes.unlink()
    again = _run(tmp_path, "--map-k", "7")
    assert codes.is_file()  # trained and stored again
    assert list(again["metrics"]["i2t"]["map_at_k"]) == ["7"]


def test_recompute_takes_every_metric_option_and_keeps_the_rest_of_each_record(tmp_path):
    first = _run(tmp_path, "--topk", "5,10")
    result = CliRunner().invoke(cli, ["eval", "--recompute", str(tmp_path), "--map-k", "20"])
    assert result.exit_code == 0, result.output
    path = tmp_path / "synthetic" / "cvh" / "bits8-seed0.json"
    record = records.read_record(path)
    assert record["protocol"]["map_k"] == [20] and record["protocol"]["topk"] == [5, 10]
    assert record["protocol"]["zero_relevant"] == "count"
    assert list(record["metrics"]["t2i"]["map_at_k"]) == ["20"]
    result = CliRunner().invoke(
        cli, ["eval", "--recompute", str(tmp_path), "--topk", "2", "--zero-relevant", "exclude"]
    )
    assert result.exit_code == 0, result.output
    record = records.read_record(path)
    assert record["protocol"]["map_k"] == [2] and record["protocol"]["topk"] == [2]
    assert record["protocol"]["zero_relevant"] == "exclude"
    assert record["started_at"] == first["started_at"]


def test_a_schema_3_record_migrates_and_its_cell_stays_done(tmp_path):
    """Schema 3 hashed the metric protocol with the rest of the spec."""
    first = _run(tmp_path)
    path = tmp_path / "synthetic" / "cvh" / "bits8-seed0.json"
    old = dict(first)
    old["schema_version"] = 3
    spec = CellSpec.from_record(first)
    old["config_hash"] = canonical_hash({**spec.identity(), "protocol": first["protocol"]})[:16]
    assert old["config_hash"] != first["config_hash"]
    records.write_record(path, old)
    migrated = records.read_record(path)
    assert migrated["schema_version"] == SCHEMA_VERSION
    assert migrated["config_hash"] == first["config_hash"]
    assert _run(tmp_path)["started_at"] == first["started_at"]
