"""Malformed input anywhere (command line, data files, --set, --config, eval files) ends
in one error line naming the problem, a non-zero exit, no traceback, and nothing
written outside the output folder."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
from click.testing import CliRunner
from field_formats import aligned_arrays, save_v5

from cmhbench.cli import cli

RUN = ["run", "--methods", "cvh", "--bits", "8", "--no-progress", "--out", "out"]


def user_data(**changes) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    arrays = {
        "image": rng.standard_normal((60, 6)).astype(np.float32),
        "text": rng.standard_normal((60, 5)).astype(np.float32),
        "labels": (rng.random((60, 3)) < 0.5).astype(np.uint8),
    }
    arrays.update(changes)
    return {key: value for key, value in arrays.items() if value is not None}


def codes_file(**changes) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    arrays = {
        "query_codes": rng.integers(0, 2, size=(10, 16)),
        "retrieval_codes": rng.integers(0, 2, size=(50, 16)),
        "query_labels": (rng.random((10, 4)) < 0.5).astype(np.uint8),
        "retrieval_labels": (rng.random((50, 4)) < 0.5).astype(np.uint8),
    }
    arrays.update(changes)
    return {key: value for key, value in arrays.items() if value is not None}


def nan_image() -> np.ndarray:
    image = user_data()["image"]
    image[3, 2] = np.nan
    return image


def mirflickr_files(folder: Path, label_rows: int) -> None:
    image, text, labels = aligned_arrays(2030, 6, 5, 4)
    save_v5(folder / "mirflickr25k-iall-vgg.mat", {"XAll": image})
    save_v5(folder / "mirflickr25k-yall.mat", {"YAll": text})
    save_v5(folder / "mirflickr25k-lall.mat", {"LAll": labels[:label_rows]})


def h5_without_labels(path: Path) -> None:
    with h5py.File(path, "w") as handle:
        for key, value in user_data(labels=None).items():
            handle[key] = value


# (id, arguments, files to create {name: arrays or text or writer}, what the error says)
CASES = [
    ("unknown method", ["run", "--methods", "tripplet"], {}, "did you mean 'triplet'"),
    ("method with a path", ["run", "--methods", "../cvh"], {}, "unknown method '../cvh'"),
    ("unknown dataset", [*RUN, "--datasets", "synthtic"], {}, "did you mean 'synthetic'"),
    ("dataset with a path", [*RUN, "--datasets", "a/b/synthetic"], {}, "not found: a/b/synthetic"),
    ("missing data file", [*RUN, "--datasets", "none.npz"], {}, "data file not found: none.npz"),
    ("bad option value", [*RUN, "--datasets", "uci-mfeat:image=x"], {}, "must be one of"),
    ("unknown option", [*RUN, "--datasets", "uci-mfeat:imgae=fac"], {}, "did you mean 'image'"),
    ("set without =", [*RUN, "--set", "eps"], {}, "KEY=VALUE"),
    ("set unknown key", [*RUN, "--set", "epss=1"], {}, "did you mean 'eps'"),
    ("set wrong type", [*RUN, "--set", "eps=small"], {}, "must be of type float"),
    ("set unselected method", [*RUN, "--set", "ucch.alpha=1"], {}, "(not selected) 'ucch'"),
    ("bits 0", ["run", "--methods", "cvh", "--bits", "0"], {}, "[1, 4096]"),
    ("bits 10000", ["run", "--methods", "cvh", "--bits", "10000"], {}, "[1, 4096]"),
    ("bits not numbers", ["run", "--methods", "cvh", "--bits", "8,x"], {}, "integers"),
    ("negative seed", [*RUN, "--seeds", "-1"], {}, "[0, 2147483647]"),
    ("unknown device", [*RUN, "--device", "tpu"], {}, "unknown device 'tpu'"),
    ("absent GPU", [*RUN, "--device", "cuda:99"], {}, "cuda:99"),
    ("jobs 0", [*RUN, "--jobs", "0"], {}, "--jobs"),
    ("timeout 0", [*RUN, "--cell-timeout", "0"], {}, "--cell-timeout"),
    ("timeout nan", [*RUN, "--cell-timeout", "nan"], {}, "finite positive number"),
    ("timeout inf", [*RUN, "--cell-timeout", "inf"], {}, "finite positive number"),
    ("cluster of 0", [*RUN, "--cluster", "local:0"], {}, "positive worker count"),
    ("npz lacks text", [*RUN, "--datasets", "d.npz"], {"d.npz": user_data(text=None)}, "lacks"),
    (
        "npz row mismatch",
        [*RUN, "--datasets", "d.npz"],
        {"d.npz": user_data(text=np.zeros((59, 5), np.float32))},
        "rows",
    ),
    ("npz NaN", [*RUN, "--datasets", "d.npz"], {"d.npz": user_data(image=nan_image())}, "NaN"),
    (
        "npz empty",
        [*RUN, "--datasets", "d.npz"],
        {"d.npz": user_data(image=np.zeros((0, 6), np.float32))},
        "d.npz: image is empty",
    ),
    (
        "npz labels all zero",
        [*RUN, "--datasets", "d.npz"],
        {"d.npz": user_data(labels=np.zeros((60, 3), np.uint8))},
        "labels are all zero",
    ),
    (
        "npz text as strings",
        [*RUN, "--datasets", "d.npz"],
        {"d.npz": user_data(text=np.array([["a"] * 5] * 60))},
        "must be numeric",
    ),
    ("h5 lacks labels", [*RUN, "--datasets", "d.h5"], {"d.h5": h5_without_labels}, "labels"),
    ("npz not a zip", [*RUN, "--datasets", "d.npz"], {"d.npz": "not an archive"}, "d.npz"),
    (
        "mat labels short",
        [*RUN, "--datasets", "mirflickr25k", "--data-root", "."],
        {"": lambda folder: mirflickr_files(folder, 2000)},
        "the files disagree on the number of items",
    ),
    (
        "config unknown key",
        ["run", "--config", "g.toml"],
        {"g.toml": "method = ['cvh']"},
        "did you mean 'methods'",
    ),
    (
        "config wrong type",
        ["run", "--config", "g.toml"],
        {"g.toml": "bits = 'all'"},
        "list of integers",
    ),
    ("config not TOML", ["run", "--config", "g.toml"], {"g.toml": "bits = ["}, "not valid TOML"),
    ("config missing", ["run", "--config", "none.toml"], {}, "cannot read experiment file"),
    ("eval missing file", ["eval", "none.npz"], {}, "codes file not found"),
    (
        "eval lacks labels",
        ["eval", "c.npz"],
        {"c.npz": codes_file(query_labels=None)},
        "lacks query_labels",
    ),
    (
        "eval codes not binary",
        ["eval", "c.npz"],
        {"c.npz": codes_file(query_codes=np.full((10, 16), 3))},
        "-1/+1 or 0/1",
    ),
    (
        "eval NaN codes",
        ["eval", "c.npz"],
        {"c.npz": codes_file(query_codes=np.full((10, 16), np.nan))},
        "NaN",
    ),
    (
        "eval bit mismatch",
        ["eval", "c.npz"],
        {"c.npz": codes_file(retrieval_codes=np.ones((50, 8), np.int8))},
        "16 bits but retrieval codes have 8",
    ),
    (
        "eval empty codes",
        ["eval", "c.npz"],
        {"c.npz": codes_file(query_codes=np.ones((0, 16), np.int8))},
        "non-empty",
    ),
    (
        "eval labels all zero",
        ["eval", "c.npz"],
        {"c.npz": codes_file(retrieval_labels=np.zeros((50, 4), np.uint8))},
        "retrieval labels are all zero",
    ),
    ("eval bad K", ["eval", "c.npz", "--topk", "0"], {"c.npz": codes_file()}, "[1, 1000000000]"),
    ("table of nothing", ["table", "none"], {}, "results folder not found"),
    ("unknown metric", ["table", "out", "--metric", "mAP@"], {"out/x": "-"}, "unknown metric"),
    ("table bits 0", ["table", "out", "--bits", "0"], {"out/x": "-"}, "'--bits': values must"),
    ("cells seeds not numbers", ["cells", "out", "--seeds", "1,a"], {"out/x": "-"}, "'--seeds'"),
    ("run no seeds", [*RUN, "--seeds", ","], {}, "'--seeds': needs at least one value"),
]


@pytest.mark.parametrize(
    ("args", "files", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_is_one_line_a_failure_and_writes_nothing_outside(
    tmp_path, monkeypatch, args, files, message
):
    monkeypatch.chdir(tmp_path)  # relative paths in the arguments live here
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, dict):
            np.savez(path, **content)
        elif isinstance(content, str):
            path.write_text(content)
        else:
            content(path)
    before = set(tmp_path.rglob("*"))
    result = CliRunner().invoke(cli, args)
    assert result.exit_code != 0, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and message in errors[0], result.stderr
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    written = {
        p for p in set(tmp_path.rglob("*")) - before if "out" not in p.relative_to(tmp_path).parts
    }
    assert not written
