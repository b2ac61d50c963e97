"""Shared fixtures: a plugin installed through an entry point, small fast settings."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cmhbench.registry import METHODS
from cmhbench.store.records import read_codes, read_record

HERE = Path(__file__).parent
# Small networks and few epochs: the tests check behaviour, not the paper's numbers.
FAST_TRIPLET = ["--set", "image_hidden=128", "--set", "text_hidden=128", "--set", "epochs=4"]


def write_dist_info(folder: Path, name: str, method_entry_point: str) -> None:
    """Make ``folder`` hold an installed-looking distribution with one method entry point."""
    info = folder / f"{name.replace('-', '_')}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[cmhbench.methods]\n{method_entry_point}\n")


@pytest.fixture(scope="session")
def plugin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the fixture module and a dist-info with its entry point."""
    root = tmp_path_factory.mktemp("plugin")
    shutil.copy(HERE / "plugin_fixture" / "cmhbench_test_plugin.py", root)
    write_dist_info(
        root, "cmhbench-test-plugin", "projection = cmhbench_test_plugin:ProjectionHash"
    )
    return root


@pytest.fixture
def plugin(plugin_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Make the plugin visible to this process and to child processes."""
    monkeypatch.syspath_prepend(str(plugin_dir))
    pythonpath = os.pathsep.join(filter(None, [str(plugin_dir), os.environ.get("PYTHONPATH")]))
    monkeypatch.setenv("PYTHONPATH", pythonpath)
    METHODS.reset_discovery()
    yield plugin_dir
    METHODS.reset_discovery()
    METHODS._loaded.pop("projection", None)
    sys.modules.pop("cmhbench_test_plugin", None)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fidelity",
        action="store_true",
        help="also run the tests marked 'fidelity' (a method trained over several seeds at "
        "full settings against its authors' code's numbers; UCCH's take about 30 min on 2 "
        "CPU cores)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the 'fidelity' tests unless ``--fidelity`` is given (they outlast CI)."""
    if config.getoption("--fidelity"):
        return
    skip = pytest.mark.skip(reason="a fidelity run of many full trainings: opt in with --fidelity")
    for item in items:
        if "fidelity" in item.keywords:
            item.add_marker(skip)


#: Feature extraction with the ``tiny_backbone`` fixture's network, seeded, in-process.
TINY_EXTRACTION = {"backbone": "tiny", "weights": "random", "workers": 0, "progress": False}


def read_ucch_files(paths: list[Path]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """XAll, YAll and LAll from UCCH's three MATLAB files (image, text, labels)."""
    from cmhbench.arrays import read_matlab

    keys = ("XAll", "YAll", "LAll")
    image, text, labels = (
        read_matlab(path, [key])[key] for path, key in zip(paths, keys, strict=True)
    )
    return image, text, labels


@pytest.fixture
def tiny_backbone(monkeypatch):
    """A two-convolution VGG named 'tiny', so that feature extraction runs in a fast test."""
    from cmhbench.features import catalogue

    tiny = catalogue.Backbone(
        "tiny", (4, "M", 4, "M"), "fc7 (after its ReLU)", 4096, "tiny.pth", "none"
    )
    monkeypatch.setitem(catalogue.BACKBONES, "tiny", tiny)


def cvh_cell_on(dataset: str, out: Path, data_root: Path | None = None) -> dict:
    """The record of one CVH cell (2 bits, seed 0) trained on ``dataset``."""
    from cmhbench.run.config import GridSpec
    from cmhbench.run.grid import run_grid

    spec = GridSpec(
        datasets=[dataset], data_root=data_root, methods=["cvh"], bits=[2], out=out, progress=False
    )
    [record] = run_grid(spec)
    return record


def encode_and_score(method, data):
    """Encode the query and retrieval parts; return (codes, {direction: metrics})."""
    from cmhbench.method import encode_parts
    from cmhbench.metrics import evaluate_both_directions

    codes = encode_parts(method, data)
    labels = data.labels
    scores = evaluate_both_directions(codes, labels[data.query_idx], labels[data.retrieval_idx])
    return codes, scores


def cmhbench_command() -> list[str]:
    """The CLI as a child process, with this interpreter."""
    return [sys.executable, "-m", "cmhbench"]


def features_command(layout: str, raw: Path, out: Path) -> subprocess.CompletedProcess:
    """`cmhbench features LAYOUT` in a new process: VGG-19 with seeded random weights
    on the CPU, decoding in the main process."""
    return subprocess.run(
        [*cmhbench_command(), "features", layout, "--raw", str(raw), "--out", str(out),
         "--weights", "random", "--workers", "0", "--device", "cpu"],
        capture_output=True, text=True,
    )  # fmt: skip


def assert_same_cell(first: Path, second: Path, name: str) -> dict:
    """Assert that one cell (``dataset/method/bitsL-seedS``) has equal metrics and
    identical codes in two results folders; return the second folder's record."""
    one, two = (read_record(folder / f"{name}.json") for folder in (first, second))
    assert one["metrics"] == two["metrics"]
    codes, other = (read_codes(folder / f"{name}.npz") for folder in (first, second))
    assert codes.keys() == other.keys()
    assert all(np.array_equal(codes[key], other[key]) for key in codes)
    return two
