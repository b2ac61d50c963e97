"""Code health: the statistics and floors of hand-made codes, and a collapsed cell
flagged at run time, in every table format, in `cmhbench cells` and by --degenerate."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from click.testing import CliRunner
from result_records import record

from cmhbench import health
from cmhbench.cli import cli
from cmhbench.metrics import evaluate_codes
from cmhbench.report.formats import render
from cmhbench.report.frames import records_frame
from cmhbench.report.tables import build_table, parse_metric
from cmhbench.store import records


def every_code(bits: int) -> np.ndarray:
    """All 2^bits codes once: every bit exactly balanced."""
    return np.array(list(itertools.product([-1, 1], repeat=bits)), dtype=np.int8)


def one_hot(classes: np.ndarray, count: int) -> np.ndarray:
    return np.eye(count, dtype=np.uint8)[classes]


def test_balanced_and_constant_codes():
    labels = one_hot(np.arange(48) % 4, 4)
    balanced = health.code_set_health(np.tile(every_code(4), (3, 1)), labels)
    assert balanced == {
        "items": 48,
        "label_sets": 4,
        "distinct": 16,
        "bit_balance": 0.0,
        "constant_bits": 0,
    }
    assert not health.is_degenerate(balanced)
    constant = health.code_set_health(np.zeros((48, 8), dtype=np.int8), labels)
    assert constant["distinct"] == 1 and constant["bit_balance"] == 1.0
    assert constant["constant_bits"] == 8 and health.is_degenerate(constant)


def test_the_rule_takes_the_smaller_of_1_percent_and_the_label_sets():
    codes = np.tile(every_code(3), (125, 1))  # 1,000 items, 8 distinct codes
    many_labels = one_hot(np.arange(1000) % 20, 20)  # 20 label sets: 1% (10) is smaller
    assert health.is_degenerate(health.code_set_health(codes, many_labels))
    few_labels = one_hot(np.arange(1000) % 8, 8)  # one code per class: as good as it gets
    assert not health.is_degenerate(health.code_set_health(codes, few_labels))
    two = np.hstack([np.tile([[1], [-1]], (500, 1)), np.ones((1000, 7), np.int8)])
    stats = health.code_set_health(two, few_labels)  # 2 codes for 8 classes, 7 bits constant
    assert stats["distinct"] == 2 and stats["constant_bits"] == 7
    assert health.is_degenerate(stats)
    spread = np.hstack([np.tile(every_code(4), (63, 1))[:1000], np.ones((1000, 12), np.int8)])
    stats = health.code_set_health(spread, many_labels)  # 12 of 16 bits constant, 16 codes
    assert stats["constant_bits"] == 12 and not health.is_degenerate(stats)


def test_floors_are_the_constant_codes_score_and_a_random_ranking_s_expectation():
    # one query of class A; retrieval A, A, B, B: constant codes rank the relevant first
    query = np.array([[1, 0]])
    retrieval = np.array([[1, 0], [1, 0], [0, 1], [0, 1]])
    codes = {name: np.ones((1 if "query" in name else 4, 8)) for name in health.CODE_SETS}
    found = health.code_health(codes, query, retrieval, "count")
    assert found["constant_map"] == pytest.approx(1.0)
    # AP over the 6 equally likely placements of the 2 relevant items among 4
    placements = [(1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4)]
    expected = np.mean([(1 / a + 2 / b) / 2 for a, b in placements])
    assert found["chance_map"] == pytest.approx(expected)  # 0.6806
    assert found["degenerate"] == list(health.CODE_SETS)
    rng = np.random.default_rng(0)
    labels = np.eye(5, dtype=np.uint8)[rng.integers(0, 5, 300)]
    ones = np.ones((300, 1))
    scored = evaluate_codes(ones[:50], ones, labels[:50], labels)
    floors = health.code_health({n: ones for n in health.CODE_SETS}, labels[:50], labels, "count")
    assert floors["constant_map"] == scored.map
    assert floors["chance_map"] == scored.map_tie_aware


def collapsed_table(degenerate: str = "flag"):
    items = [record("ucch", 16, seed, 0.7, 0.6) for seed in (0, 1)]
    items += [record("djsrh", 16, 0, 0.5, 0.4), record("djsrh", 16, 1, 0.21, 0.2)]
    items[-1]["code_health"] = {"degenerate": ["text_retrieval"]}
    return build_table(records_frame(items), parse_metric("map"), degenerate=degenerate)


def test_every_table_format_marks_the_collapsed_cell_and_explains_the_mark():
    table = collapsed_table()
    assert table.degenerate.loc[("Unsupervised", "djsrh", "")].tolist() == [1, 1]
    assert table.degenerate.loc[("Unsupervised", "ucch", "")].tolist() == [0, 0]
    console = render(table, "console")
    assert "0.355 ± 0.205+!" in console and "0.700 ± 0.000* " in console
    assert "! codes degenerate in at least one seed" in console
    markdown = render(table, "markdown")
    assert "<u>0.355 ± 0.205</u>!" in markdown and "its distinct label sets" in markdown
    latex = render(table, "latex")
    assert r"0.355{\scriptsize$\pm$0.205}$^{!}$" in latex
    assert r"$^{!}$ codes degenerate" in latex and r"1\% of a set" in latex
    csv = render(table, "csv").splitlines()
    assert csv[0].endswith("degenerate_seeds")
    assert [line.rsplit(",", 1)[1] for line in csv[1:]] == ["1", "1", "0", "0"]
    healthy = build_table(records_frame([record("ucch", 16, 0, 0.7, 0.6)]), parse_metric("map"))
    assert "!" not in render(healthy, "console") and "degenerate" not in render(healthy, "latex")


def test_degenerate_fail_counts_the_collapsed_seed_as_failed():
    table = collapsed_table("fail")
    row = ("Unsupervised", "djsrh", "")
    assert table.mean.loc[row].tolist() == [0.5, 0.4]
    assert table.seeds.loc[row].tolist() == [1, 1] and table.failed.loc[row].tolist() == [1, 1]
    assert not table.has_degenerate() and "!" not in render(table, "console")


@pytest.fixture
def collapsed_run(plugin, tmp_path, caplog):
    """A cell of the test plugin whose text codes collapse: (results folder, the run's
    arguments, its result, its log)."""
    out = tmp_path / "runs"
    args = ["run", "--methods", "projection", "--bits", "16", "--out", str(out)]
    result = CliRunner().invoke(cli, [*args, "--set", "collapse=text", "--no-progress"])
    return out, args, result, caplog.text


def test_a_collapsed_cell_is_warned_about_listed_and_optionally_failed(collapsed_run):
    out, args, result, log = collapsed_run
    assert result.exit_code == 0, result.output  # status stays ok
    folder = out / "synthetic" / "projection"
    found = json.loads((folder / "bits16-seed0.json").read_text())
    assert found["status"] == "ok"
    assert found["code_health"]["degenerate"] == ["text_query", "text_retrieval"]
    assert found["code_health"]["sets"]["text_retrieval"]["distinct"] == 1
    assert found["code_health"]["sets"]["image_retrieval"]["distinct"] > 100
    assert "degenerate codes (text query: 1 distinct code for 400 items of" in log
    assert "16 of 16 bits constant" in log
    assert "constant codes score 0.251 here" in log
    assert "!" in result.stdout and "codes degenerate in at least one seed" in result.stdout
    cells = CliRunner().invoke(cli, ["cells", str(out)])
    assert " degenerate " in cells.output and "text retrieval: 1 distinct code for" in cells.output
    assert "1 cells: 0 done, 1 degenerate" in cells.output
    failing = CliRunner().invoke(
        cli, [*args, "--set", "collapse=text", "--no-progress", "--degenerate", "fail"]
    )
    assert failing.exit_code == 1  # nothing retrained: the option only changes the counting
    assert "degenerate: synthetic/projection 16 bits seed 0: text query" in failing.stderr
    table = CliRunner().invoke(cli, ["table", str(out), "--degenerate", "fail"])
    assert table.exit_code == 0 and "failed" in table.output


def test_recompute_adds_code_health_to_a_record_made_before_it(collapsed_run):
    out, *_ = collapsed_run
    path = out / "synthetic" / "projection" / "bits16-seed0.json"
    made = json.loads(path.read_text())
    records.write_record(path, {k: v for k, v in made.items() if k != "code_health"})
    assert "code_health" not in json.loads(path.read_text())
    result = CliRunner().invoke(cli, ["eval", "--recompute", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(path.read_text())["code_health"] == made["code_health"]
