"""A data seed other than 0 is part of the results path, so a run on other data never
overwrites the default's records."""

from __future__ import annotations

import json

from click.testing import CliRunner

from cmhbench.cli import cli
from cmhbench.datasets import dataset_folder


def test_another_data_seed_writes_its_own_folder_and_keeps_the_default_s(tmp_path):
    run = ["run", "--methods", "cvh", "--bits", "8", "--out", str(tmp_path), "--no-progress"]
    assert CliRunner().invoke(cli, run).exit_code == 0
    default = tmp_path / "synthetic" / "cvh" / "bits8-seed0.json"
    before = default.read_text()
    result = CliRunner().invoke(cli, [*run, "--data-seed", "2"])
    assert result.exit_code == 0, result.output
    assert default.read_text() == before
    other = json.loads((tmp_path / "synthetic-dataseed2" / "cvh" / "bits8-seed0.json").read_text())
    assert other["dataset"] == "synthetic-dataseed2" and other["data"]["split"]["seed"] == 2
    assert dataset_folder("synthetic", 2) == "synthetic-dataseed2"
    assert dataset_folder("synthetic:train_size=256") == "synthetic-train256"
