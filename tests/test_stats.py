"""The statistics of cmhbench.stats against known answers and by simulation."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from click.testing import CliRunner
from result_records import record, with_query_ap, write

from cmhbench.cli import cli
from cmhbench.errors import CmhbenchError
from cmhbench.stats.bootstrap import intervals
from cmhbench.stats.paired import against_the_best, compare_runs, holm
from cmhbench.stats.ranks import critical_difference, rank_test

COLUMNS = 200


def simulated_column(
    rng: np.random.Generator, queries: int, shift: float, seed_sd: float, seeds: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """Two runs' seeds x queries AP on shared queries: each query's difficulty, a
    systematic shift per seed (``seed_sd``), seed x query noise; the first run
    ``shift`` better."""
    difficulty = rng.beta(2, 3, queries)

    def run(delta: float) -> np.ndarray:
        seed_effect = rng.normal(0, seed_sd, (seeds, 1))
        noise = rng.normal(0, 0.15, (seeds, queries))
        return np.clip(difficulty + delta + seed_effect + noise, 0, 1)

    return run(shift), run(0.0)


def test_with_one_seed_the_test_is_scipys_paired_t_test():
    rng = np.random.default_rng(0)
    first, second = simulated_column(rng, 300, 0.01, 0.0, seeds=1)
    found = compare_runs(first, second)
    expected = scipy.stats.ttest_rel(first[0], second[0])
    interval = expected.confidence_interval(0.95)
    assert found.p_value == pytest.approx(expected.pvalue, rel=1e-9)
    assert (found.low, found.high) == pytest.approx((interval.low, interval.high), rel=1e-9)
    assert found.degrees_of_freedom == 299


def test_without_a_seed_effect_the_test_is_the_paired_t_test_of_seed_means():
    rng = np.random.default_rng(1)
    first, second = (np.repeat(rng.random((1, 200)), 3, axis=0) for _ in range(2))
    found = compare_runs(first, second)  # identical seeds: no seed effect to estimate
    expected = scipy.stats.ttest_rel(first[0], second[0])
    assert found.p_value == pytest.approx(expected.pvalue, rel=1e-9)


def test_a_systematic_seed_effect_widens_the_interval():
    rng = np.random.default_rng(2)
    first, second = simulated_column(rng, 2000, 0.0, 0.0)
    shifted = first + np.array([[0.03], [-0.03], [0.0]])
    assert compare_runs(shifted, second).high - compare_runs(shifted, second).low > 3 * (
        compare_runs(first, second).high - compare_runs(first, second).low
    )


def test_holm_matches_the_step_down_rule_worked_by_hand_and_statsmodels():
    # sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04 -> 0.06 (monotone)
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(4)
    for size in (1, 2, 7, 16):
        p_values = list(rng.random(size) ** 3)
        p_values[-1] = p_values[0]  # a tie
        expected = multipletests(p_values, method="holm")[1]
        assert holm(p_values) == pytest.approx(list(expected), rel=1e-12)


def test_the_best_run_is_compared_with_every_other_and_corrected():
    rng = np.random.default_rng(3)
    good, bad = simulated_column(rng, 2000, 0.05, 0.0)
    close = good + rng.normal(0, 0.001, good.shape)
    found = against_the_best({"bad": bad, "good": good, "close": close})
    best = max(("good", "close"), key=lambda run: {"good": good, "close": close}[run].mean())
    assert found[best] == 1.0 and found["bad"] < 0.001
    other = "close" if best == "good" else "good"
    assert found[other] > 0.05


@pytest.mark.parametrize("seed_sd", [0.0, 0.01])
def test_equal_runs_are_declared_different_in_about_5_percent_of_columns(seed_sd):
    """Same per-query AP distribution, 2,000 queries, three seeds each; with no
    systematic seed effect and with one of 0.01 (about the seed spread of the reference
    grid). Over 1,000 columns each: 3.7% and 6.5% (3.5-7.3% for seed effects of
    0-0.02); a plain paired t-test over queries declares 3%, and 48% of the latter."""
    rng = np.random.default_rng(0)
    found = [
        compare_runs(*simulated_column(rng, 2000, 0.0, seed_sd)).p_value < 0.05
        for _ in range(COLUMNS)
    ]
    assert 0.02 <= np.mean(found) <= 0.09


def test_a_real_difference_of_0_02_over_2000_queries_is_found_in_90_percent():
    """Without a systematic seed effect (with one of 0.005 the test finds 87%, of 0.01
    42%: three seeds cannot tell such a spread from a difference of 0.02)."""
    rng = np.random.default_rng(0)
    found = [
        compare_runs(*simulated_column(rng, 2000, 0.02, 0.0)).p_value < 0.05 for _ in range(COLUMNS)
    ]
    assert np.mean(found) >= 0.9


def test_bootstrap_intervals_are_seeded_and_cover_the_mean():
    rng = np.random.default_rng(12)
    first, second = simulated_column(rng, 400, 0.0, 0.0)
    found = intervals({"a": first, "b": second})
    assert found == intervals({"a": first, "b": second})  # reproducible to the digit
    assert found != intervals({"a": first, "b": second}, seed=1)
    for run, values in (("a", first), ("b", second)):
        low, high = found[run]
        assert low < values.mean() < high < low + 0.05


def test_bootstrap_intervals_cover_the_true_mean_at_least_at_their_level():
    rng = np.random.default_rng(13)
    truth = np.clip(rng.beta(2, 3, 10**7) + rng.normal(0, 0.15, 10**7), 0, 1).mean()
    covered = []
    for _ in range(COLUMNS):
        values = simulated_column(rng, 300, 0.0, 0.0)[0]
        low, high = intervals({"a": values}, resamples=500)["a"]
        covered.append(low <= truth <= high)
    assert np.mean(covered) >= 0.93


def test_runs_that_do_not_share_queries_are_refused():
    with pytest.raises(ValueError, match="share their queries"):
        intervals({"a": np.zeros((3, 10)), "b": np.zeros((3, 11))})


def _three_runs(folder, lacking: str | None = None) -> None:
    """best, close (within noise of best) and far, three seeds each, 2,000 queries."""
    rng = np.random.default_rng(20)
    difficulty = rng.beta(2, 3, 2000)
    for method, shift in (("ucch", 0.05), ("djsrh", 0.049), ("cvh", 0.0)):
        for seed in range(3):
            item = record(method, 16, seed, 0, 0)
            ap = [np.clip(difficulty + shift + rng.normal(0, 0.1, 2000), 0, 1) for _ in range(2)]
            if method == lacking and seed == 0:
                write(folder, item)
            else:
                with_query_ap(folder, item, *ap)


def test_tables_mark_runs_not_significantly_below_the_best(tmp_path):
    _three_runs(tmp_path)
    result = CliRunner().invoke(cli, ["table", str(tmp_path)])
    assert result.exit_code == 0, result.output
    rows = {
        name: next(line for line in result.output.splitlines() if f" {name} " in line)
        for name in ("CVH", "DJSRH", "UCCH")
    }
    # per column, one of the two close runs is best and the other not significantly below
    assert (rows["DJSRH"] + rows["UCCH"]).count("\u2248") == 2 and "\u2248" not in rows["CVH"]
    assert "paired t-test over queries" in result.output
    csv = CliRunner().invoke(cli, ["table", str(tmp_path), "--format", "csv"]).output
    frame = pd.read_csv(io.StringIO(csv)).set_index(["method", "direction"])
    assert frame.at[("cvh", "i2t"), "p_vs_best_holm"] < 0.001
    assert frame.at[("ucch", "i2t"), "interval_low"] < frame.at[("ucch", "i2t"), "mean"]
    latex = CliRunner().invoke(cli, ["table", str(tmp_path), "--format", "latex"]).output
    assert r"$^{\approx}$" in latex


def test_bootstrap_intervals_in_tables_and_what_lacks_per_query_ap(tmp_path):
    _three_runs(tmp_path, lacking="cvh")
    result = CliRunner().invoke(cli, ["table", str(tmp_path), "--interval", "bootstrap"])
    assert result.exit_code == 0, result.output
    assert "2 cell(s) without statistics" in result.output  # cvh's two directions
    assert "eval --recompute" in result.stderr
    ucch = next(line for line in result.output.splitlines() if "UCCH" in line)
    assert ucch.count("[") == 2
    bad = CliRunner().invoke(
        cli, ["table", str(tmp_path), "--interval", "bootstrap", "--metric", "map@50"]
    )
    assert bad.exit_code != 0 and "cells keep for mAP@all only" in bad.output


def test_cells_that_do_not_share_queries_are_one_clear_line(tmp_path):
    _three_runs(tmp_path)
    path = tmp_path / "synthetic" / "cvh" / "bits16-seed0.json"
    item = json.loads(path.read_text())
    item["data"]["split_sha256"] = "another split"
    path.write_text(json.dumps(item))
    result = CliRunner().invoke(cli, ["table", str(tmp_path)])
    assert result.exit_code != 0
    assert "do not share their queries" in result.output


def test_compare_prints_each_shared_cell_and_counts_who_is_ahead(tmp_path):
    _three_runs(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli, ["compare", "ucch", "cvh", str(tmp_path), str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.output.count("UCCH ahead") == 2  # the folder given twice counts once
    assert "UCCH significantly ahead in 2 of 2 cells, CVH in 0" in result.output
    close = runner.invoke(cli, ["compare", "ucch", "djsrh", str(tmp_path)])
    assert "no significant difference in 2" in close.output
    unknown = runner.invoke(cli, ["compare", "ucch", "djsr", str(tmp_path)])
    assert unknown.exit_code == 1 and "did you mean 'djsrh'?" in unknown.output


#: Demšar (JMLR 2006), Table 6: AUC of four C4.5 variants on 14 UCI data sets.
DEMSAR_AUC = pd.DataFrame(
    [
        [0.763, 0.768, 0.771, 0.798], [0.599, 0.591, 0.590, 0.569],
        [0.954, 0.971, 0.968, 0.967], [0.628, 0.661, 0.654, 0.657],
        [0.882, 0.888, 0.886, 0.898], [0.936, 0.931, 0.916, 0.931],
        [0.661, 0.668, 0.609, 0.685], [0.583, 0.583, 0.563, 0.625],
        [0.775, 0.838, 0.866, 0.875], [1.000, 1.000, 1.000, 1.000],
        [0.940, 0.962, 0.965, 0.962], [0.619, 0.666, 0.614, 0.669],
        [0.972, 0.981, 0.975, 0.975], [0.957, 0.978, 0.946, 0.970],
    ],
    columns=["C4.5", "C4.5+m", "C4.5+cf", "C4.5+m+cf"],
)  # fmt: skip


@pytest.mark.parametrize(
    ("runs", "q_alpha"), [(2, 1.960), (3, 2.343), (4, 2.569), (6, 2.850), (10, 3.164)]
)
def test_critical_difference_uses_demsars_critical_values(runs, q_alpha):
    """Demšar's Table 5(a), alpha 0.05, entries rounded to 3 decimals."""
    assert critical_difference(runs, 6, 0.05) == pytest.approx(
        q_alpha * np.sqrt(runs * (runs + 1) / 36), abs=1e-3
    )


def test_demsars_worked_example():
    """Section 3.2.2: CD = 1.25 for 4 methods over 14 data sets at 0.05, and no pair
    differs; at 0.10 C4.5 is worse than C4.5+m and C4.5+m+cf (his Fig. 1a)."""
    found = rank_test(DEMSAR_AUC)
    assert found.critical_difference == pytest.approx(1.25, abs=0.005)
    assert found.mean_ranks["C4.5"] == pytest.approx(3.143, abs=0.001)
    assert found.mean_ranks["C4.5+m"] == pytest.approx(2.000)
    assert found.friedman_p < 0.05
    pairs = {
        (a, b)
        for a in found.nemenyi
        for b in found.nemenyi
        if a < b and found.nemenyi.at[a, b] < 0.10
    }
    assert (found.nemenyi.to_numpy() >= 0.05).all()
    assert pairs == {("C4.5", "C4.5+m"), ("C4.5", "C4.5+m+cf")}


def test_ranks_leave_out_runs_lacking_a_case_and_need_two_of_each():
    matrix = DEMSAR_AUC.copy()
    matrix.iloc[0, 3] = np.nan
    assert rank_test(matrix).left_out == ["C4.5+m+cf"]
    assert rank_test(DEMSAR_AUC.iloc[:, :2]).cases == 14  # two runs: the sign test
    with pytest.raises(CmhbenchError, match="at least two methods over at least two cases"):
        rank_test(DEMSAR_AUC.iloc[:, :1])
    with pytest.raises(CmhbenchError, match="at least two methods over at least two cases"):
        rank_test(DEMSAR_AUC.iloc[:1])


def test_plot_cd_writes_the_diagram_and_refuses_a_single_method(tmp_path):
    _three_runs(tmp_path / "runs")
    runner = CliRunner()
    result = runner.invoke(cli, ["plot", "cd", str(tmp_path / "runs"), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cd.png").stat().st_size > 0 and (tmp_path / "cd.pdf").is_file()
    assert "average ranks: " in result.stderr and "CVH 3.00" in result.stderr
    one = runner.invoke(cli, ["plot", "cd", str(tmp_path / "runs"), "--methods", "ucch"])
    assert one.exit_code == 1 and "at least two methods" in one.output
