"""What a run prints and its exit status when another run holds some of its cells."""

from __future__ import annotations

from click.testing import CliRunner

from cmhbench.cli import cli


def test_a_run_exits_0_when_another_run_holds_every_cell_of_one_method(plugin, tmp_path):
    from cmhbench.store import claims

    held = tmp_path / "synthetic" / "cvh" / "bits8-seed0.json"
    assert claims.try_claim(held)  # as another run would
    try:
        args = ["run", "--methods", "cvh,projection", "--bits", "8", "--no-progress"]
        result = CliRunner().invoke(cli, [*args, "--out", str(tmp_path)])
    finally:
        claims.release(held)
    assert result.exit_code == 0, result.output
    assert "projection" in result.output and "CVH" not in result.output
    assert "1 cell(s) that another cmhbench run holds (synthetic/cvh 8 bits seed 0)" in (
        result.output
    )
