"""Faults, with real processes: concurrent runs, stale claims, damaged records, time
limits, diverging losses, unwritable folders; and parallel runs that match serial ones."""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest
import torch
from click.testing import CliRunner
from conftest import FAST_TRIPLET, assert_same_cell, cmhbench_command
from joblib.externals.loky import get_reusable_executor

from cmhbench.cli import cli
from cmhbench.store import claims
from cmhbench.store.records import read_record, write_record

BITS = "8,16,24,32,40,48"


def projection_run(out, *extra: str) -> list[str]:
    return [
        *cmhbench_command(),
        "run",
        "--methods",
        "projection",
        "--bits",
        BITS,
        "--out",
        str(out),
        "--no-progress",
        *extra,
    ]


@pytest.mark.slow
def test_two_runs_on_one_folder_train_each_cell_once(plugin, tmp_path):
    trace = tmp_path / "fits.txt"
    command = projection_run(tmp_path / "runs", "--set", "delay=1.0", "--set", f"trace={trace}")
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.2)
    second = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for process in (first, second):
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
    fits = [line.split() for line in trace.read_text().splitlines()]
    assert sorted(int(bits) for bits, _, _ in fits) == [int(b) for b in BITS.split(",")]
    assert {int(pid) for _, _, pid in fits} == {first.pid, second.pid}
    folder = tmp_path / "runs" / "synthetic" / "projection"
    for bits in BITS.split(","):
        assert read_record(folder / f"bits{bits}-seed0.json")["status"] == "ok"
    assert not list(folder.glob("*.claim"))


@pytest.mark.slow
def test_a_live_claim_is_respected_and_a_stale_one_taken_over(plugin, tmp_path):
    folder = tmp_path / "synthetic" / "projection"
    live = folder / "bits8-seed0.json"
    assert claims.try_claim(live)  # held by this (living) test process
    dead = _dead_pid()
    stale = folder / "bits16-seed0.json"
    claims.claim_path(stale).write_text(
        json.dumps({"host": os.uname().nodename, "pid": dead, "since": 0})
    )
    result = subprocess.run(
        projection_run(tmp_path, "--bits", "8,16"), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "another cmhbench run is training it" in result.stderr
    assert (
        f"pid {os.getpid()}" in result.stderr and "delete bits8-seed0.json.claim" in result.stderr
    )
    assert not live.exists() and read_record(stale)["status"] == "ok"
    claims.release(live)


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["truncate", "edit"])
def test_a_damaged_record_is_reported_and_the_cell_redone(plugin, tmp_path, damage):
    command = projection_run(tmp_path, "--bits", "8")
    assert subprocess.run(command, capture_output=True).returncode == 0
    path = tmp_path / "synthetic" / "projection" / "bits8-seed0.json"
    original = json.loads(path.read_text())
    if damage == "truncate":
        path.write_text(path.read_text()[:100])
    else:
        path.write_text(json.dumps({**original, "metrics": {**original["metrics"], "i2t": {}}}))
    assert read_record(path) is None
    rerun = subprocess.run(command, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert "is truncated, edited or of an unknown schema; the cell runs again" in rerun.stderr
    redone = read_record(path)
    assert redone["metrics"] == original["metrics"]
    assert redone["started_at"] >= original["started_at"]


@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_cell_timeout_holds_for_every_method_and_the_grid_goes_on(tmp_path, jobs):
    """Triplet checks the deadline at its training steps; LSSH's alternating solver
    never does, so its child process is ended from outside (cmhbench.run.deadline)."""
    args = ["run", "--methods", "cvh,triplet,lssh", "--datasets", "uci-mfeat", "--bits", "64"]
    args += ["--out", str(tmp_path), "--cell-timeout", "1", "--jobs", jobs, "--no-progress"]
    started = time.monotonic()
    result = CliRunner().invoke(cli, [*args, "--set", "triplet.epochs=100000"])
    assert time.monotonic() - started < 90  # LSSH alone takes half a minute here
    assert result.exit_code == 1
    folder = tmp_path / "uci-mfeat"
    for method in ("triplet", "lssh"):
        timed_out = read_record(folder / method / "bits64-seed0.json")
        assert timed_out["status"] == "timeout"
        assert "cell time limit of 1 s" in timed_out["error"]["message"]
        assert f"timeout: uci-mfeat/{method} 64 bits seed 0" in result.stderr
    lssh = read_record(folder / "lssh" / "bits64-seed0.json")
    assert "ended after" in lssh["error"]["message"] and lssh["timings"]["elapsed_s"] < 10
    assert read_record(folder / "cvh" / "bits64-seed0.json")["status"] == "ok"
    assert "leaked semaphore" not in result.stderr


def test_a_diverging_loss_is_recorded_with_epoch_and_value(tmp_path):
    args = ["run", "--methods", "triplet", "--bits", "8", "--out", str(tmp_path), "--no-progress"]
    args += [*FAST_TRIPLET, "--set", "lr=1e30"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    record = read_record(tmp_path / "synthetic" / "triplet" / "bits8-seed0.json")
    assert record["status"] == "failed" and record["error"]["type"] == "DivergenceError"
    assert "loss diverged to" in record["error"]["message"]
    assert "at epoch" in record["error"]["message"]


@pytest.mark.slow
def test_an_unwritable_folder_is_one_clear_error_and_no_partial_record(plugin, tmp_path):
    (tmp_path / "synthetic").write_text("a file where the dataset folder belongs")
    result = subprocess.run(projection_run(tmp_path, "--bits", "8"), capture_output=True, text=True)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: cannot write results to") and "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["synthetic"]


@pytest.mark.slow
def test_jobs_2_gives_the_serial_results_and_loads_data_once_per_worker(tmp_path):
    # Fresh workers: loky restarts a reused worker whose memory grew by 300 MB since
    # its first task (its leak check), as after earlier tests' light cells.
    get_reusable_executor().shutdown(wait=True)
    common = ["--methods", "cvh,triplet", "--bits", "8,16", "--no-progress", *FAST_TRIPLET]
    runner = CliRunner()
    serial = runner.invoke(cli, ["run", *common, "--out", str(tmp_path / "serial")])
    parallel = runner.invoke(cli, ["run", *common, "--out", str(tmp_path / "jobs"), "--jobs", "2"])
    assert serial.exit_code == 0 and parallel.exit_code == 0, parallel.output
    loads = []
    for method in ("cvh", "triplet"):
        for bits in (8, 16):
            name = f"synthetic/{method}/bits{bits}-seed0"
            two = assert_same_cell(tmp_path / "serial", tmp_path / "jobs", name)
            loads.append("load_s" in two["timings"])
    assert 1 <= sum(loads) <= 2  # each worker process loads the data at most once


def test_same_seed_same_codes_and_metrics_on_the_cpu(tmp_path):
    args = ["run", "--methods", "triplet", "--bits", "16", "--no-progress", *FAST_TRIPLET]
    runner = CliRunner()
    for out in ("a", "b"):
        assert runner.invoke(cli, [*args, "--out", str(tmp_path / out)]).exit_code == 0
    assert_same_cell(tmp_path / "a", tmp_path / "b", "synthetic/triplet/bits16-seed0")


def test_records_carry_provenance(tmp_path):
    args = ["run", "--methods", "cvh", "--bits", "8", "--out", str(tmp_path), "--no-progress"]
    assert CliRunner().invoke(cli, args).exit_code == 0
    record = read_record(tmp_path / "synthetic" / "cvh" / "bits8-seed0.json")
    assert record["versions"]["cmhbench"] and record["versions"]["torch"]
    assert record["device"] == "cpu" and record["device_name"]
    assert len(record["data"]["split_sha256"]) == 64 and record["git_revision"] is not None
    assert record["worker"]["pid"] == os.getpid()
    for moment in ("fit_start", "fit_end"):
        threads = record["threads"][moment]
        assert threads["torch"] == torch.get_num_threads() and threads["torch_interop"] >= 1
        assert all(count >= 1 for count in threads["blas"].values())
    write_record(tmp_path / "copy.json", dict(record))
    assert read_record(tmp_path / "copy.json") == record


def test_a_device_list_spreads_cells_over_the_gpus(monkeypatch, tmp_path):
    from cmhbench.run import executors
    from cmhbench.run import grid as runner
    from cmhbench.run.cell import unfinished_cell_record
    from cmhbench.run.grid import GridSpec, run_grid

    monkeypatch.setattr(runner, "resolve_devices", lambda spec: spec.split(","))
    monkeypatch.setattr(
        executors,
        "run_cell",
        lambda task: (unfinished_cell_record(task, "Probe", f"ran on {task.device}"), None),
    )
    found = run_grid(
        GridSpec(
            methods=["cvh"],
            bits=[8, 16, 24, 32],
            out=tmp_path,
            device="cuda:0,cuda:1",
            progress=False,
        )
    )
    assert [r["error"]["message"] for r in found] == [
        "ran on cuda:0",
        "ran on cuda:1",
        "ran on cuda:0",
        "ran on cuda:1",
    ]
