"""The command line end to end: list, run (records, resume, failures), eval, bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import FAST_TRIPLET, cmhbench_command
from field_formats import save_h5py, save_v5, save_v73

from cmhbench.cli import cli
from cmhbench.store.records import read_codes, read_record


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_list_says_where_the_field_files_were_found(tmp_path):
    from field_formats import save_v5

    save_v5(tmp_path / "IAPR-TC12" / "iapr-tc12.mat", {"VDatabase": np.ones((3, 2))})
    found = invoke("list", "--data-root", str(tmp_path))
    assert found.exit_code == 0
    assert f"found: {tmp_path / 'IAPR-TC12' / 'iapr-tc12.mat'}" in found.output
    assert f"missing: nus-wide-tc10: none of nus-wide-tc10-xall-vgg.mat found in {tmp_path}" in (
        found.output  # the other datasets
    )
    assert "built in" in found.output  # synthetic and uci-mfeat


def test_list_shows_methods_with_papers_and_defaults_and_datasets():
    result = invoke("list", "--json")
    assert result.exit_code == 0, result.output
    listing = json.loads(result.output)
    triplet = next(m for m in listing["methods"] if m["name"] == "triplet")
    assert triplet["supervised"] is False and "TPAMI" in triplet["paper"]
    assert triplet["defaults"]["lr"] == {"default": 0.0001, "source": "UCCH paper Sec. 4.2"}
    assert any(d["name"] == "synthetic" for d in listing["datasets"])
    assert "triplet" in invoke("list").output


@pytest.mark.slow
def test_run_writes_records_and_codes_prints_a_table_and_resumes(tmp_path):
    out = tmp_path / "runs"
    args = ["run", "--methods", "triplet", "--bits", "16,32", "--out", str(out), *FAST_TRIPLET]
    first = invoke(*args)
    assert first.exit_code == 0, first.output
    assert "I->T 16" in first.stdout and "mAP@all, Synthetic" in first.stdout
    record_path = out / "synthetic" / "triplet" / "bits16-seed0.json"
    record = read_record(record_path)
    assert record["status"] == "ok" and record["config"]["epochs"] == 4
    assert set(record["metrics"]) == {"i2t", "t2i"}
    for key in ("map", "map_tie_aware", "map_at_k", "pr_curve", "precision_at_k"):
        assert key in record["metrics"]["i2t"]
    assert set(record["timings"]) == {"fit_s", "encode_s", "eval_s"}
    for key in ("config_hash", "device", "versions", "git_revision"):
        assert key in record
    assert record["peak_memory_mb"] > 100
    assert len(record["data"]["split_sha256"]) == 64 and record["data"]["split"]["seed"] == 0
    codes = read_codes(record_path.with_suffix(".npz"))
    assert codes["image_query"].shape == (400, 16) and codes["image_query"].dtype == np.int8

    stamp = record_path.stat().st_mtime_ns
    again = invoke(*args)
    assert again.exit_code == 0 and record_path.stat().st_mtime_ns == stamp  # skipped
    changed = invoke(*args[:-2], "--set", "epochs=3", "--bits", "16")
    assert changed.exit_code == 0 and read_record(record_path)["config"]["epochs"] == 3
    forced_stamp = record_path.stat().st_mtime_ns
    forced = invoke(*args[:-2], "--set", "epochs=3", "--bits", "16", "--force")
    assert forced.exit_code == 0 and record_path.stat().st_mtime_ns != forced_stamp


def test_dataset_options_name_the_results_folder(tmp_path):
    spec = "uci-mfeat:image=kar:text=zer"
    result = invoke(
        "run", "--methods", "cvh", "--datasets", spec, "--bits", "16,64", "--out", str(tmp_path)
    )
    assert result.exit_code != 0  # 64 bits exceed zer's 47 dimensions: that cell fails
    assert "failed: uci-mfeat-kar-zer/cvh 64 bits" in result.output
    record = read_record(tmp_path / "uci-mfeat-kar-zer" / "cvh" / "bits16-seed0.json")
    assert record["status"] == "ok" and record["data"]["split"]["views"]["text"] == "zer"
    assert record["metrics"]["i2t"]["map"] > 0.2  # random codes: about 0.1


def test_a_failing_cell_is_recorded_and_the_grid_goes_on(plugin, tmp_path):
    out = tmp_path / "runs"
    args = [
        "run",
        "--methods",
        "projection",
        "--bits",
        "8,16,32",
        "--out",
        str(out),
        "--set",
        "fail_bits=16",
    ]
    result = invoke(*args)
    assert result.exit_code == 1
    assert "fixture failure at 16 bits" in result.stderr
    assert "failed" in result.stdout  # the table marks the failed column
    folder = out / "synthetic" / "projection"
    assert read_record(folder / "bits16-seed0.json")["status"] == "failed"
    assert "RuntimeError" in read_record(folder / "bits16-seed0.json")["error"]["type"]
    for bits in (8, 32):
        assert read_record(folder / f"bits{bits}-seed{0}.json")["status"] == "ok"
    stamp = (folder / "bits16-seed0.json").stat().st_mtime_ns
    assert invoke(*args).exit_code == 1  # failed cells are kept, not silently rerun
    assert (folder / "bits16-seed0.json").stat().st_mtime_ns == stamp
    retried = invoke(*args[:-1], "fail_bits=0", "--retry-failed")
    assert retried.exit_code == 0  # fail_bits changed the config, so the cell runs again
    assert read_record(folder / "bits16-seed0.json")["status"] == "ok"


@pytest.mark.slow
def test_plugin_method_runs_from_the_command_line(plugin, tmp_path):
    result = subprocess.run(
        [
            *cmhbench_command(),
            "run",
            "--methods",
            "projection",
            "--bits",
            "16",
            "--out",
            str(tmp_path),
            "--no-progress",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    record = read_record(tmp_path / "synthetic" / "projection" / "bits16-seed0.json")
    assert record["status"] == "ok" and record["metrics"]["i2t"]["map"] > 0


@pytest.mark.slow
def test_killed_run_resumes_with_only_the_missing_cells(plugin, tmp_path):
    run_args = [
        "run",
        "--methods",
        "projection",
        "--bits",
        "8,16,24,32",
        "--out",
        str(tmp_path),
        "--set",
        "delay=1.5",
        "--no-progress",
    ]
    process = subprocess.Popen(
        [*cmhbench_command(), *run_args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    folder = tmp_path / "synthetic" / "projection"
    deadline = time.time() + 60
    while time.time() < deadline and not (folder / "bits8-seed0.json").exists():
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done = sorted(p.name for p in folder.glob("*.json"))
    assert "bits8-seed0.json" in done and len(done) < 4
    stamps = {name: (folder / name).stat().st_mtime_ns for name in done}
    assert not list(folder.glob(".*.tmp"))  # no half-written file left visible
    rerun = subprocess.run([*cmhbench_command(), "-v", *run_args], capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert sorted(p.name for p in folder.glob("*.json")) == [
        f"bits{b}-seed0.json" for b in (16, 24, 32, 8)
    ]
    for name, stamp in stamps.items():
        assert (folder / name).stat().st_mtime_ns == stamp
        assert f"skip {folder / name}" in rerun.stderr


def _default_sigint() -> None:
    """Give the child Python's Ctrl-C handler even when pytest itself runs as a
    background job, whose children start with SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("stop", "status", "word"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
    ids=["ctrl-c", "sigterm"],
)
def test_a_stopped_run_keeps_finished_cells_and_releases_its_claims(
    plugin, tmp_path, stop, status, word
):
    command = [
        *cmhbench_command(),
        "run",
        "--methods",
        "projection",
        "--bits",
        "8,16,24,32,40,48,56,64",  # cells left to interrupt, even on a loaded machine
        "--out",
        str(tmp_path),
        "--set",
        "delay=1.5",
        "--no-progress",
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_sigint,
    )
    folder = tmp_path / "synthetic" / "projection"
    deadline = time.time() + 60
    while time.time() < deadline and not (folder / "bits8-seed0.json").exists():
        time.sleep(0.05)
    process.send_signal(stop)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == status
    assert f"{word}: finished cells are saved; rerun the same command to resume" in stderr
    assert read_record(folder / "bits8-seed0.json")["status"] == "ok"
    assert not list(folder.glob("*.claim"))


def write_codes_file(path, **changes):
    rng = np.random.default_rng(0)
    arrays = {
        "query_codes": rng.integers(0, 2, size=(30, 16)),
        "retrieval_codes": rng.integers(0, 2, size=(200, 16)),
        "query_labels": (rng.random((30, 5)) < 0.3).astype(np.uint8),
        "retrieval_labels": (rng.random((200, 5)) < 0.3).astype(np.uint8),
    }
    arrays.update(changes)
    np.savez(path, **{k: v for k, v in arrays.items() if v is not None})
    return arrays


def test_eval_scores_external_codes_as_json(tmp_path):
    arrays = write_codes_file(tmp_path / "codes.npz")
    result = invoke("eval", str(tmp_path / "codes.npz"), "--topk", "10,50", "--json")
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    assert set(scores) >= {"map", "map_tie_aware", "map_at_k", "pr_curve", "precision_at_k"}
    assert set(scores["map_at_k"]) == {"10", "50"}
    assert set(scores["pr_curve"]) == {"radius", "precision", "recall"}
    from cmhbench.metrics import evaluate_codes

    direct = evaluate_codes(
        *(arrays[k] for k in ("query_codes", "retrieval_codes", "query_labels", "retrieval_labels"))
    )
    assert scores["map"] == pytest.approx(direct.map)
    plain = invoke("eval", str(tmp_path / "codes.npz"))
    assert plain.exit_code == 0 and "mAP@all" in plain.output


@pytest.mark.parametrize(
    ("name", "save"), [("codes.mat", save_v5), ("codes73.mat", save_v73), ("codes.h5", save_h5py)]
)
def test_eval_reads_matlab_and_hdf5_codes_like_npz(tmp_path, name, save):
    arrays = write_codes_file(tmp_path / "codes.npz")
    save(tmp_path / name, {key: value.astype(np.float64) for key, value in arrays.items()})
    scores = [
        json.loads(invoke("eval", str(tmp_path / file), "--json").output)
        for file in ("codes.npz", name)
    ]
    assert scores[0] == scores[1]
    save(tmp_path / name, {"query_codes": arrays["query_codes"]})
    lacking = invoke("eval", str(tmp_path / name))
    assert lacking.exit_code == 1 and "lacks retrieval_codes, query_labels" in lacking.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--methods", "tripplet"], "did you mean 'triplet'"),
        (["run", "--methods", "triplet", "--datasets", "synthetc"], "did you mean 'synthetic'"),
        (["run", "--methods", "triplet", "--set", "epochs"], "KEY=VALUE"),
        (["run", "--methods", "triplet", "--set", "epoch=2"], "did you mean 'epochs'"),
        (["run", "--methods", "triplet", "--set", "epochs=lots"], "type int"),
        (["run", "--methods", "triplet", "--bits", "0"], "[1, 4096]"),
        (["run", "--methods", "triplet", "--bits", "10000"], "[1, 4096]"),
        (["run", "--methods", "triplet", "--bits", "a,b"], "integers"),
        (["run", "--methods", "triplet", "--device", "tpu"], "device"),
        (["run", "--methods", "triplet", "--datasets", "nope/missing.npz"], "not found"),
        (["run", "--methods", "triplet", "--datasets", "uci-mfet"], "did you mean 'uci-mfeat'"),
        (
            ["run", "--methods", "triplet", "--datasets", "uci-mfeat:imgae=fac"],
            "did you mean 'image'",
        ),
        (["run", "--methods", "triplet", "--datasets", "uci-mfeat:image=foo"], "must be one of"),
        (["run", "--methods", "triplet", "--datasets", "uci-mfeat:image"], "KEY=VALUE"),
        (
            ["run", "--methods", "triplet", "--datasets", "mirflickr25k", "--data-root", "nowhere"],
            "get the files from",
        ),
        (["run", "--methods", ""], "at least one method"),
        (["eval", "missing.npz"], "not found"),
    ],
)
def test_bad_input_ends_in_one_line_and_a_non_zero_exit(args, message, tmp_path):
    result = invoke(*args, *(["--out", str(tmp_path)] if args[0] == "run" else []))
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"query_labels": None}, "lacks query_labels"),
        ({"query_codes": np.full((30, 16), 3)}, "-1/+1 or 0/1"),
        ({"retrieval_codes": np.zeros((200, 8))}, "bits"),
        ({"retrieval_labels": np.zeros((199, 5))}, "rows"),
    ],
)
def test_malformed_eval_files_are_reported(tmp_path, changes, message):
    write_codes_file(tmp_path / "codes.npz", **changes)
    result = invoke("eval", str(tmp_path / "codes.npz"))
    assert result.exit_code == 1 and message in result.output


@pytest.mark.slow
def test_the_module_entry_point_works():
    result = subprocess.run(
        [*cmhbench_command(), "--version"], capture_output=True, text=True, env={**os.environ}
    )
    assert result.returncode == 0 and "cmhbench" in result.stdout
