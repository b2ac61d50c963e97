"""Claims: a stale claim is taken over by one runner only, a claim of another host
expires unless renewed, and a worker that dies under --jobs is retried once."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest
from conftest import cmhbench_command

from cmhbench.store import claims
from cmhbench.store.records import read_record

RACE = """
import sys, time
from pathlib import Path
from cmhbench.store import claims
folder, start = Path(sys.argv[1]), float(sys.argv[2])
while time.time() < start:
    pass
won = [p.stem for p in sorted(folder.glob("*.json.claim")) if claims.try_claim(p.with_suffix(""))]
while time.time() < start + 0.7:  # alive until the other runner is done too
    pass
print(" ".join(won))
"""


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


@pytest.mark.slow  # starts processes
def test_two_runners_that_find_the_same_stale_claims_take_each_once(tmp_path):
    host = socket.gethostname()
    for attempt in range(20):
        folder = tmp_path / str(attempt)
        folder.mkdir()
        cells = {f"bits{bits}-seed0.json" for bits in range(1, 41)}
        stale = json.dumps({"host": host, "pid": _dead_pid(), "since": 0})
        for cell in cells:
            claims.claim_path(folder / cell).write_text(stale)
        start = str(time.time() + 0.3)
        runners = [
            subprocess.Popen(
                [sys.executable, "-c", RACE, str(folder), start], stdout=subprocess.PIPE
            )
            for _ in range(2)
        ]
        won = [set(runner.communicate()[0].decode().split()) for runner in runners]
        assert won[0].isdisjoint(won[1]), f"attempt {attempt}: {won[0] & won[1]} taken twice"
        assert won[0] | won[1] == cells


def test_a_claim_of_another_host_expires_unless_its_runner_renews_it(tmp_path):
    cell = tmp_path / "bits8-seed0.json"
    path = claims.claim_path(cell)
    path.write_text(json.dumps({"host": "elsewhere", "pid": 1, "since": 0}))
    assert not claims.try_claim(cell) and claims.owner(cell).startswith("elsewhere pid 1")
    old = time.time() - claims.EXPIRY_S - 1
    os.utime(path, (old, old))
    assert claims.owner(cell) is None and claims.try_claim(cell)
    os.utime(path, (old, old))
    with claims.Heartbeat({cell}, interval_s=0.05):
        time.sleep(0.3)
    assert time.time() - path.stat().st_mtime < 5  # renewed


@pytest.mark.slow  # starts processes
def test_a_worker_that_dies_under_jobs_is_retried_once_and_the_grid_goes_on(plugin, tmp_path):
    trace = tmp_path / "fits.txt"
    command = [*cmhbench_command(), "run", "--methods", "projection", "--bits", "8,16,24"]
    command += ["--out", str(tmp_path / "runs"), "--jobs", "2", "--no-progress"]
    command += ["--set", "exit_bits=16", "--set", f"trace={trace}"]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 1
    attempts = [line.split()[0] for line in trace.read_text().splitlines()]
    assert attempts.count("16") == 2 and {"8", "24"} <= set(attempts)
    folder = tmp_path / "runs" / "synthetic" / "projection"
    lost = read_record(folder / "bits16-seed0.json")
    assert lost["status"] == "failed" and "died (2 attempts)" in lost["error"]["message"]
    assert read_record(folder / "bits8-seed0.json")["status"] == "ok"
    assert read_record(folder / "bits24-seed0.json")["status"] == "ok"
