"""Grids on a dask.distributed LocalCluster: same results as serial runs, lost workers."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from conftest import assert_same_cell, cmhbench_command

from cmhbench.run import grid
from cmhbench.run.config import GridSpec
from cmhbench.store.records import read_record

pytest.importorskip("distributed")

pytestmark = pytest.mark.slow  # processes and benchmarks


def run(out, *extra: str) -> subprocess.CompletedProcess:
    command = [*cmhbench_command(), "run", "--bits", "8,16,24", "--out", str(out)]
    return subprocess.run([*command, "--no-progress", *extra], capture_output=True, text=True)


def test_a_local_cluster_gives_the_serial_results(plugin, tmp_path):
    serial = run(tmp_path / "serial", "--methods", "projection,cvh")
    cluster = run(tmp_path / "cluster", "--methods", "projection,cvh", "--cluster", "local:2")
    assert serial.returncode == 0 and cluster.returncode == 0, cluster.stderr
    workers = set()
    for method in ("projection", "cvh"):
        for bits in (8, 16, 24):
            name = f"synthetic/{method}/bits{bits}-seed0"
            two = assert_same_cell(tmp_path / "serial", tmp_path / "cluster", name)
            workers.add(two["worker"]["pid"])
    assert len(workers) == 2  # both workers trained cells; the client trained none


def test_a_lost_worker_is_retried_once_then_the_cell_fails_and_the_grid_goes_on(plugin, tmp_path):
    trace = tmp_path / "fits.txt"
    result = run(
        tmp_path / "runs",
        "--methods",
        "projection",
        "--cluster",
        "local:2",
        "--set",
        "exit_bits=16",
        "--set",
        f"trace={trace}",
    )
    assert result.returncode == 1
    attempts = [line.split()[0] for line in trace.read_text().splitlines()]
    # The crashing cell ran twice. A finished cell whose result was still on the dying
    # worker may be recomputed by dask; its record is still written once, by the client.
    assert attempts.count("16") == 2 and {"8", "24"} <= set(attempts)
    folder = tmp_path / "runs" / "synthetic" / "projection"
    lost = read_record(folder / "bits16-seed0.json")
    assert lost["status"] == "failed" and lost["error"]["type"] == "KilledWorker"
    assert "died (2 attempts)" in lost["error"]["message"]
    assert read_record(folder / "bits8-seed0.json")["status"] == "ok"
    assert read_record(folder / "bits24-seed0.json")["status"] == "ok"


def test_a_finished_cell_survives_its_worker_dying_before_the_client_writes_it(
    plugin, tmp_path, monkeypatch
):
    """The client writes one record at a time; while it writes the first, the other
    cells finish and their workers are killed. Their results must already be on the
    client: a result left on a worker would be lost, and recomputing it fails here."""
    trace = tmp_path / "fits.txt"
    save = grid._save
    written = []

    def slow_save(*args):
        if not written:
            deadline = time.time() + 60
            while time.time() < deadline and len(trace.read_text().splitlines()) < 3:
                time.sleep(0.05)
            time.sleep(2)  # every cell has finished (0.2 s each); none is written yet
            for pid in {int(line.split()[2]) for line in trace.read_text().splitlines()}:
                os.kill(pid, signal.SIGKILL)
            time.sleep(1)  # the scheduler notices the lost workers
        written.append(args[1]["bits"])
        save(*args)

    monkeypatch.setattr(grid, "_save", slow_save)
    found = grid.run_grid(
        GridSpec(
            methods=["projection"],
            bits=[8, 16, 24],
            out=tmp_path / "runs",
            cluster="local:2",
            assignments=["delay=0.2", f"trace={trace}", "refit_fails=true"],
            progress=False,
        )
    )
    assert [record["status"] for record in found] == ["ok", "ok", "ok"], found
    assert sorted(written) == [8, 16, 24]
    assert len(trace.read_text().splitlines()) == 3  # each cell trained once
