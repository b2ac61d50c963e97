"""Experiment files, the cells summary and re-scoring a results folder from its codes."""

from __future__ import annotations

import hashlib
import json
import os

import pytest
from click.testing import CliRunner
from result_records import record, write

from cmhbench.cli import cli
from cmhbench.errors import CmhbenchError
from cmhbench.registry import get_method
from cmhbench.run.experiment import read_experiment
from cmhbench.store import claims, records
from cmhbench.store.schema import CellSpec


def test_experiment_file_gives_typed_grid_options(tmp_path):
    (tmp_path / "grid.toml").write_text(
        'methods = ["cvh", "triplet"]\nbits = [8, 16]\nseeds = 1\nout = "runs"\n'
        '[set]\nepochs = 2\n"triplet.margin" = 0.3\nimage_hidden = [64, 32]\n'
        "[set.cvh]\nregularisation = 0.1\n"
    )
    options = read_experiment(tmp_path / "grid.toml")
    assert options["methods"] == ["cvh", "triplet"] and options["bits"] == [8, 16]
    assert options["seeds"] == [1]
    assert options["out"] == (tmp_path / "runs").resolve()
    assert options["assignments"] == [
        "epochs=2",
        "triplet.margin=0.3",
        "image_hidden=64,32",
        "cvh.regularisation=0.1",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('method = ["cvh"]', "unknown key 'method'; did you mean 'methods'?"),
        ("bits = [16, 'x']", "bits must be a list of integers"),
        ("methods = 3", "methods must be a list of names"),
        ("methods = [", "is not valid TOML"),
        ("set = 3", "set must be a table"),
    ],
)
def test_bad_experiment_files_say_what_is_wrong(tmp_path, text, message):
    (tmp_path / "grid.toml").write_text(text)
    with pytest.raises(CmhbenchError, match=message.replace("?", r"\?").replace("[", r"\[")):
        read_experiment(tmp_path / "grid.toml")


def test_run_config_with_command_line_overrides(tmp_path):
    (tmp_path / "grid.toml").write_text('methods = ["cvh"]\nbits = [8, 16]\nout = "runs"\n')
    runner = CliRunner()
    args = ["run", "--config", str(tmp_path / "grid.toml"), "--bits", "4", "--no-progress"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    done = sorted(p.name for p in (tmp_path / "runs" / "synthetic" / "cvh").glob("*.json"))
    assert done == ["bits4-seed0.json"]  # --bits won over the file's bits
    cells = runner.invoke(cli, ["cells", "--config", str(tmp_path / "grid.toml")])
    assert cells.exit_code == 0, cells.output
    assert "2 cells: 0 done, 0 failed, 0 unreadable, 0 running, 2 missing" in cells.output
    missing = runner.invoke(cli, ["run", "--config", str(tmp_path / "absent.toml")])
    assert missing.exit_code == 1 and "cannot read experiment file" in missing.stderr


def test_cells_lists_failed_unreadable_and_missing(tmp_path):
    write(tmp_path, record("ucch", 16, 0, 0.7, 0.6))
    write(tmp_path, record("ucch", 32, 0, 0, 0, error="loss diverged (nan) at epoch 3\ntraceback"))
    broken = write(tmp_path, record("cvh", 16, 0, 0.3, 0.3))
    broken.write_text(broken.read_text()[:40])
    claims.try_claim(tmp_path / "synthetic" / "cvh" / "bits32-seed1.json")  # this process
    result = CliRunner().invoke(cli, ["cells", str(tmp_path), "--seeds", "0,1"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "8 cells: 1 done, 1 failed, 1 unreadable, 1 running, 4 missing" in lines[-1]
    running = next(line for line in lines if " running " in line)
    assert f"pid {os.getpid()}" in running and " cvh " in running
    failed = next(line for line in lines if " failed " in line)
    assert "loss diverged (nan) at epoch 3" in failed and "traceback" not in result.output


def test_cells_made_by_an_older_method_version_are_outdated_not_done(tmp_path):
    current = get_method("cvh").info.version
    write(tmp_path, record("cvh", 16, 0, 0.4, 0.4))
    write(tmp_path, {**record("cvh", 32, 0, 0.4, 0.4), "method_version": current - 1})
    result = CliRunner().invoke(cli, ["cells", str(tmp_path)])
    assert result.exit_code == 0, result.output
    outdated = next(line for line in result.output.splitlines() if " outdated " in line)
    assert " 32 " in outdated and f"made by version {current - 1}" in outdated
    assert "2 cells: 1 done, 1 outdated, 0 failed" in result.output


def test_cells_of_an_experiment_file_find_datasets_with_options_in_their_folders(tmp_path):
    (tmp_path / "grid.toml").write_text(
        'methods = ["cvh"]\nbits = [16]\nseeds = [0]\nout = "runs"\n'
        'datasets = ["uci-mfeat:image=fac:text=kar", "uci-mfeat"]\n'
    )
    write(tmp_path / "runs", record("cvh", 16, 0, 0.4, 0.4, dataset="uci-mfeat-fac-kar"))
    result = CliRunner().invoke(cli, ["cells", "--config", str(tmp_path / "grid.toml")])
    assert result.exit_code == 0, result.output
    assert "uci-mfeat  " in result.output  # the default pair's folder, not run
    assert "2 cells: 1 done, 0 failed, 0 unreadable, 0 running, 1 missing" in result.output


def test_recompute_restores_metrics_from_the_codes_and_keeps_the_cell_done(tmp_path):
    runner = CliRunner()
    run = ["run", "--methods", "cvh", "--bits", "8", "--out", str(tmp_path), "--no-progress"]
    assert runner.invoke(cli, run).exit_code == 0
    path = tmp_path / "synthetic" / "cvh" / "bits8-seed0.json"
    original = json.loads(path.read_text())
    assert CellSpec.from_record(records.read_record(path)).config_hash == original["config_hash"]
    edited = {**original, "metrics": json.loads(json.dumps(original["metrics"]))}
    edited["metrics"]["i2t"]["map"] = 0.0  # as an older metric version would have scored it
    records.write_record(path, edited)
    result = runner.invoke(cli, ["eval", "--recompute", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "re-scored 1 record(s), skipped 0" in result.output
    restored = json.loads(path.read_text())
    assert restored["metrics"] == original["metrics"]
    assert restored["config_hash"] == original["config_hash"]
    assert restored["record_sha256"] == original["record_sha256"]
    assert runner.invoke(cli, run).exit_code == 0
    assert json.loads(path.read_text())["started_at"] == original["started_at"]  # not redone


def test_recompute_skips_records_without_matching_codes(tmp_path):
    runner = CliRunner()
    run = ["run", "--methods", "cvh", "--bits", "8", "--out", str(tmp_path), "--no-progress"]
    assert runner.invoke(cli, run).exit_code == 0
    codes = tmp_path / "synthetic" / "cvh" / "bits8-seed0.npz"
    payload = codes.read_bytes()
    codes.write_bytes(payload[:-1] + bytes([payload[-1] ^ 1]))
    result = runner.invoke(cli, ["eval", "--recompute", str(tmp_path)])
    assert result.exit_code == 0
    assert "does not match the SHA-256 in the record" in result.stderr
    record_path = codes.with_suffix(".json")
    record = records.read_record(record_path)
    codes.write_bytes(b"not an npz archive")
    record["codes"]["sha256"] = hashlib.sha256(codes.read_bytes()).hexdigest()
    records.write_record(record_path, record)
    result = runner.invoke(cli, ["eval", "--recompute", str(tmp_path)])
    assert result.exit_code == 0
    assert f"skipped {record_path}: bits8-seed0.npz cannot be read" in result.stderr
    codes.unlink()
    result = runner.invoke(cli, ["eval", "--recompute", str(tmp_path)])
    assert (
        "bits8-seed0.npz is missing" in result.stderr and "re-scored 0 record(s)" in result.output
    )


def test_a_cell_keeps_each_query_s_ap_and_recompute_gives_it_to_older_records(tmp_path):
    runner = CliRunner()
    run = ["run", "--methods", "dlfh", "--bits", "8", "--out", str(tmp_path), "--no-progress"]
    assert runner.invoke(cli, run).exit_code == 0
    path = tmp_path / "synthetic" / "dlfh" / "bits8-seed0.json"
    stored = records.read_record(path)
    query_ap = records.read_query_ap(path, stored)
    assert sorted(query_ap) == ["native_i2t", "native_t2i", "suite_i2t", "suite_t2i"]
    for key, ap in query_ap.items():
        protocol, direction = key.split("_")
        scores = stored["metrics"] if protocol == "suite" else stored["native"]["metrics"]
        assert ap.dtype == "float32" and ap.shape == (stored["data"]["n_query"],)
        assert float(ap.mean()) == pytest.approx(scores[direction]["map"], abs=1e-6)
    older = {key: value for key, value in stored.items() if key != "query_ap"}
    records.write_record(path, older)  # as made before per-query AP was kept
    records.query_ap_path(path).unlink()
    assert records.read_query_ap(path, records.read_record(path)) is None
    assert runner.invoke(cli, ["eval", "--recompute", str(tmp_path)]).exit_code == 0
    again = records.read_query_ap(path, records.read_record(path))
    assert all((again[key] == query_ap[key]).all() for key in query_ap)
