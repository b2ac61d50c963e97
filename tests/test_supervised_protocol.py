"""Supervised methods get the supervised split and only training labels; tables mark them."""

from __future__ import annotations

import numpy as np
import pytest
from field_formats import aligned_arrays, save_v5

from cmhbench.datasets import load_dataset
from cmhbench.datasets.mirflickr import MIRFlickr25K
from cmhbench.method import Method, MethodInfo, as_sign_codes
from cmhbench.registry import METHODS, register_method
from cmhbench.report.frames import records_frame
from cmhbench.report.tables import build_table, parse_metric
from cmhbench.run.grid import GridSpec, run_grid

SEEN: list[tuple[np.ndarray, np.ndarray]] = []  # (features, labels) each fit received


@pytest.fixture
def label_probe():
    """A supervised method that remembers what fit() received."""
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class NoParams:
        pass

    @register_method("labelprobe")
    class LabelProbe(Method):
        info = MethodInfo(title="label probe", authors="tests", venue="tests", supervised=True)
        Params = NoParams

        def fit(self, data, *, device="cpu", seed=0, progress=False):
            SEEN.append((data.image.copy(), data.labels.copy()))
            rng = np.random.default_rng(seed)
            self.projection = rng.standard_normal((data.labels.shape[1], self.bits))

        def encode(self, features, modality):
            return as_sign_codes(features[:, :1] @ np.ones((1, self.bits)))

    SEEN.clear()
    yield
    METHODS._loaded.pop("labelprobe", None)


def test_only_training_labels_reach_a_supervised_method(label_probe, tmp_path):
    records = run_grid(GridSpec(methods=["labelprobe"], bits=[8], out=tmp_path, progress=False))
    assert records[0]["status"] == "ok" and records[0]["trained_with_labels"]
    data = load_dataset("synthetic")
    (features, labels) = SEEN[0]
    assert np.array_equal(features, data.image[data.train_idx])
    assert np.array_equal(labels, data.labels[data.train_idx])
    queries = {row.tobytes() for row in data.image[data.query_idx]}
    assert not any(row.tobytes() in queries for row in features)


def test_field_datasets_train_supervised_methods_on_a_seeded_sample(
    label_probe, tmp_path, monkeypatch
):
    image, text, labels = aligned_arrays(2030, 6, 5, 4)
    for name, key, array in (
        ("iall-vgg", "XAll", image),
        ("yall", "YAll", text),
        ("lall", "LAll", labels),
    ):
        save_v5(tmp_path / f"mirflickr25k-{name}.mat", {key: array})
    monkeypatch.setattr(MIRFlickr25K, "supervised_train_size", 12)
    spec = GridSpec(
        methods=["labelprobe", "cvh"],
        datasets=["mirflickr25k"],
        bits=[2],
        out=tmp_path / "runs",
        data_root=str(tmp_path),
        progress=False,
    )
    probe, cvh = run_grid(spec)
    (features, _) = SEEN[0]
    assert features.shape[0] == 12 and set(features[:, 0]) <= set(range(30))  # retrieval rows
    assert probe["data"]["n_train"] == 12 and "supervised_train" in probe["data"]["split"]
    assert cvh["data"]["n_train"] == 30  # unsupervised: the whole retrieval set
    table = build_table(records_frame([probe, cvh]), parse_metric("map"))
    assert list(table.mean.index) == [
        ("Unsupervised", "cvh", ""),
        ("Supervised", "labelprobe", ""),
    ]
