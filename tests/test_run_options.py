"""One list of run options: GridSpec's fields are the command line's options and the
experiment file's keys, with one set of defaults."""

from __future__ import annotations

import dataclasses

from click.testing import CliRunner

from cmhbench.cli import cli
from cmhbench.cli.run import run_command
from cmhbench.run.config import GridSpec, defaults, merged, run_options
from cmhbench.run.experiment import read_experiment


def test_every_grid_field_is_a_run_option_and_file_fields_are_experiment_keys(tmp_path):
    fields = [item.name for item in dataclasses.fields(GridSpec)]
    assert [opt.name for opt in run_options()] == fields
    flags = {flag for param in run_command.params for flag in param.opts}
    assert {opt.flag for opt in run_options()} <= flags
    in_file = [opt for opt in run_options() if opt.in_file]
    assert {opt.name for opt in run_options()} - {opt.name for opt in in_file} == {
        "force",
        "retry_failed",
        "progress",
    }
    (tmp_path / "grid.toml").write_text(
        'methods = ["cvh"]\ndatasets = "uci-mfeat"\nbits = [8]\nseeds = [1, 2]\nout = "o"\n'
        'device = "cpu"\njobs = 2\ncell_timeout = 60\ncluster = "local:2"\n'
        'degenerate = "fail"\nzero_relevant = "exclude"\nprotocol = "native"\nmap_k = [5]\n'
        "topk = [1, 5]\n"
        'data_seed = 3\ndata_root = "data"\n[set]\neps = 0.1\n'
    )
    values = read_experiment(tmp_path / "grid.toml")
    assert set(values) == {opt.name for opt in in_file}
    spec = merged(values, {"jobs": 1, "assignments": ["cvh.eps=0.2"]})
    assert spec.jobs == 1 and spec.map_k == [5] and spec.data_root == tmp_path / "data"
    assert spec.degenerate == "fail" and spec.protocol == "native"
    assert spec.assignments == ["eps=0.1", "cvh.eps=0.2"]  # the file's first, then given


def test_help_shows_the_grid_defaults():
    result = CliRunner().invoke(cli, ["run", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert f"[default: {','.join(map(str, defaults()['bits']))}]" in text
    assert "[default: synthetic]" in text and "--no-progress" in text


def test_metric_protocol_and_data_seed_options_reach_the_records(tmp_path):
    args = ["run", "--methods", "cvh", "--bits", "8", "--out", str(tmp_path), "--no-progress"]
    extra = ["--map-k", "7", "--topk", "3,9", "--data-seed", "2", "--zero-relevant", "exclude"]
    result = CliRunner().invoke(cli, [*args, *extra])
    assert result.exit_code == 0, result.output
    from cmhbench.store.records import read_records

    [record] = read_records(tmp_path)
    assert record["protocol"]["map_k"] == [7] and record["protocol"]["topk"] == [3, 9]
    assert record["protocol"]["zero_relevant"] == "exclude"
    assert record["data"]["split"]["seed"] == 2
