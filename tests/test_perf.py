"""The benchmark scripts run end to end (tiny sizes; the figures are not checked)."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # processes and benchmarks


def perf(*args: str) -> str:
    command = [sys.executable, "-m", "cmhbench.perf", *args]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def test_eval_benchmark_agrees_with_its_reference():
    out = perf("eval", "--queries", "30", "--retrieval", "800", "--bits", "16", "--repeats", "1")
    assert "speed-up" in out and "mAP@all agrees" in out


def test_ucch_benchmark_compares_both_implementations():
    out = perf("ucch", "--train", "300", "--image-dim", "20", "--text-dim", "10", "--epochs", "2")
    assert "official-style" in out and "cmhbench is" in out


def test_load_benchmark_reads_both_matlab_formats():
    out = perf("load", "--items", "2100")
    assert "MATLAB   v5: load" in out and "MATLAB v7.3: load" in out


def test_grid_benchmark_runs_all_three_modes():
    out = perf("grid", "--methods", "cvh", "--epochs", "0")
    for mode in ("serial", "--jobs 2", "--cluster local:2"):
        assert f"{mode} " in out
    assert out.count("overhead") == 3


def test_methods_benchmark_prints_a_row_per_method_with_its_codes_hash():
    out = perf("methods", "--methods", "cvh,djsrh,dlfh", "--dataset", "synthetic", "--bits", "16")
    lines = out.splitlines()
    assert lines[0].startswith("synthetic, 16 bits, on cpu; settings: each method's defaults")
    assert lines[1].split()[:8] == ["method", "pairs", "fit", "s", "encode", "s", "native", "s"]
    rows = {line.split()[0]: line.split() for line in lines[2:]}
    assert set(rows) == {"cvh", "djsrh", "dlfh"} and rows["cvh"][1] == "512"
    assert all(len(row[-1]) == 12 for row in rows.values())  # codes hash
    assert rows["cvh"][4] == "-" and float(rows["dlfh"][4]) >= 0  # native codes' time


def test_methods_benchmark_runs_a_revision_beside_the_working_tree():
    out = perf(
        "methods", "--methods", "cvh", "--dataset", "synthetic", "--bits", "16", "--against", "HEAD"
    )
    rows = out.splitlines()[2:]
    assert rows[0].startswith("cvh@HEAD ") and rows[1].startswith("cvh ")
    assert "fit speed-up " in rows[1] and rows[1].endswith("same codes")


def test_methods_benchmark_against_an_unknown_revision_is_one_clear_error():
    command = [sys.executable, "-m", "cmhbench.perf", "methods", "--methods", "cvh"]
    finished = subprocess.run(
        [*command, "--against", "no-such-rev"], capture_output=True, text=True
    )
    assert finished.returncode != 0
    assert finished.stderr.strip().splitlines()[-1].startswith("Error: --against no-such-rev:")


def test_features_benchmark_compares_decoding_workers_with_none():
    out = perf("features", "--images", "4", "--batch-size", "2")
    assert "0 decoding worker(s):" in out and "1 decoding worker(s):" in out
    assert "network busy" in out and "worker(s) against none" in out


def test_site_benchmark_times_each_step_and_the_size(tmp_path):
    from result_records import record, write

    for method, value in (("ucch", 0.7), ("cmfh", 0.4)):
        for bits in (16, 32):
            write(tmp_path, record(method, bits, 0, value, value))
    out = perf("site", str(tmp_path), "--repeat", "1")
    for step in ("read records (baseline)", "site document", "size on disk", "first "):
        assert step in out
