"""Paper tables from hand-made records: values, marks, mean and std, formats, CLI."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import pandas as pd
import pytest
from click.testing import CliRunner
from result_records import record, write

from cmhbench.cli import cli
from cmhbench.errors import CmhbenchError
from cmhbench.report.formats import render
from cmhbench.report.frames import records_frame
from cmhbench.report.tables import build_table, parse_metric

# (method, bits, seed): (i2t, t2i); ssah is supervised; cvh's seed 1 at 16 bits failed.
SCORES = {
    ("ucch", 16, 0): (0.70, 0.60),
    ("ucch", 16, 1): (0.72, 0.62),
    ("ucch", 32, 0): (0.80, 0.70),
    ("ucch", 32, 1): (0.80, 0.70),
    ("triplet", 16, 0): (0.50, 0.40),
    ("triplet", 16, 1): (0.52, 0.40),
    ("triplet", 32, 0): (0.81, 0.70),
    ("triplet", 32, 1): (0.83, 0.70),
    ("cvh", 16, 0): (0.30, 0.30),
    ("cvh", 32, 0): (0.20, 0.20),
    ("cvh", 32, 1): (0.20, 0.20),
    ("ssah", 16, 0): (0.90, 0.80),
    ("ssah", 16, 1): (0.90, 0.80),
    ("ssah", 32, 0): (0.85, 0.75),
    ("ssah", 32, 1): (0.85, 0.75),
}


def hand_made() -> list[dict]:
    items = [
        record(m, b, s, i2t, t2i, supervised=m == "ssah")
        for (m, b, s), (i2t, t2i) in SCORES.items()
    ]
    return [*items, record("cvh", 16, 1, 0, 0, error="loss diverged (nan) at epoch 3\ntrace")]


@pytest.fixture
def table():
    return build_table(records_frame(hand_made()), parse_metric("map"))


def test_rows_are_grouped_and_means_and_stds_are_right(table):
    assert list(table.mean.index) == [
        ("Unsupervised", "cvh", ""),
        ("Unsupervised", "triplet", ""),
        ("Unsupervised", "ucch", ""),
        ("Supervised", "ssah", ""),
    ]
    ucch = ("Unsupervised", "ucch", "")
    assert table.mean.at[ucch, ("synthetic", "i2t", 16)] == pytest.approx(0.71)
    assert table.std.at[ucch, ("synthetic", "i2t", 16)] == pytest.approx(0.02 / 2**0.5)
    assert table.seeds.at[ucch, ("synthetic", "i2t", 16)] == 2
    cvh = ("Unsupervised", "cvh", "")
    assert table.seeds.at[cvh, ("synthetic", "i2t", 16)] == 1
    assert table.failed.at[cvh, ("synthetic", "i2t", 16)] == 1
    assert table.cell_parts(ucch, ("synthetic", "i2t", 16)) == ("0.710", "0.014")
    assert table.cell_parts(cvh, ("synthetic", "i2t", 16)) == ("0.300", "")


def test_best_is_rank_1_and_second_rank_2_with_ties_sharing(table):
    ranks = table.rank.xs("synthetic", axis=1, level=0)
    by_method = {key[1]: row for key, row in ranks.iterrows()}
    assert by_method["ssah"][("i2t", 16)] == 1 and by_method["ucch"][("i2t", 16)] == 2
    assert by_method["ssah"][("i2t", 32)] == 1 and by_method["triplet"][("i2t", 32)] == 2
    assert by_method["ucch"][("i2t", 32)] == 0
    # t2i 32: ucch and triplet print 0.700 and share second place.
    assert by_method["ucch"][("t2i", 32)] == 2 and by_method["triplet"][("t2i", 32)] == 2
    assert by_method["cvh"][("t2i", 32)] == 0


def test_equal_printed_values_share_the_mark():
    items = [record("a", 16, 0, 0.7004, 0.5), record("b", 16, 0, 0.7001, 0.4)]
    table = build_table(records_frame(items), parse_metric("map"))
    assert table.rank[("synthetic", "i2t", 16)].tolist() == [1, 1]


def _latex_cells(line: str) -> list[str]:
    return [cell.strip().removesuffix("\\\\").strip() for cell in line.split("&")[2:]]


def test_latex_marks_the_right_cells_and_prints_small_std(table):
    latex = render(table, "latex", caption="Results.", label="tab:map")
    assert latex.startswith("% Requires: \\usepackage{booktabs} \\usepackage{multirow}")
    rows = {line.split("&")[1].strip(): line for line in latex.splitlines() if line.count("&") > 4}
    assert set(rows) - {""} == {"CVH", "SSAH", "Triplet", "UCCH"}  # the papers' names
    ssah_cells = _latex_cells(rows["SSAH"])
    assert ssah_cells[0] == r"\textbf{0.900{\scriptsize$\pm$0.000}}"
    ucch_cells = _latex_cells(rows["UCCH"])
    assert ucch_cells[0] == r"\underline{0.710{\scriptsize$\pm$0.014}}"
    assert ucch_cells[1] == r"0.800{\scriptsize$\pm$0.000}"
    for rule in (
        "\\toprule",
        "\\midrule",
        "\\bottomrule",
        "\\caption{Results.}",
        "\\label{tab:map}",
        "\\begin{table*}",
        "\\begin{adjustbox}{max width=\\textwidth}",
    ):
        assert rule in latex
    assert "\\cline" not in latex
    assert latex.count("{") == latex.count("}")
    table.interval = "none"
    no_std = render(table, "latex")
    assert "\\pm" not in no_std and r"\textbf{0.900}" in no_std


def test_markdown_and_console_marks(table):
    markdown = render(table, "markdown")
    ssah = next(line for line in markdown.splitlines() if "| SSAH" in line)
    assert "**0.900 ± 0.000**" in ssah
    ucch = next(line for line in markdown.splitlines() if "| UCCH" in line)
    assert "<u>0.710 ± 0.014</u>" in ucch
    table.interval = "none"
    console = render(table, "console")
    cvh = next(line for line in console.splitlines() if " CVH " in line)
    assert cvh.split()[2:4] == ["0.300", "0.200"]


def test_csv_is_tidy_and_parses_back(table):
    frame = pd.read_csv(io.StringIO(render(table, "csv")))
    assert set(frame.columns) >= {"method", "dataset", "direction", "bits", "mean", "std", "seeds"}
    row = frame[(frame["method"] == "ucch") & (frame["direction"] == "i2t") & (frame["bits"] == 16)]
    assert row["mean"].item() == pytest.approx(0.71) and row["rank"].item() == 2
    assert len(frame) == 4 * 2 * 2


def test_a_cell_whose_every_seed_failed_reads_failed():
    items = [record("ucch", 16, 0, 0.7, 0.6), record("cvh", 16, 0, 0, 0, error="boom")]
    table = build_table(records_frame(items), parse_metric("map"))
    assert table.cell_parts(("Unsupervised", "cvh", ""), ("synthetic", "i2t", 16)) == (
        "failed",
        "",
    )


def test_published_rows_are_marked_unranked_and_cited():
    items = [record("ucch", 16, 0, 0.99, 0.10, dataset="mirflickr25k")]
    items.append(record("cvh", 16, 0, 0.20, 0.05, dataset="mirflickr25k"))
    table = build_table(records_frame(items), parse_metric("map"), with_published=True)
    published = ("Unsupervised", "ucch", "UCCH TPAMI 2023")
    assert table.mean.at[published, ("mirflickr25k", "i2t", 16)] == pytest.approx(0.739)
    assert table.rank.loc[published].eq(0).all()
    assert list(table.mean.index).index(published) == 3  # under the measured ucch row
    latex = render(table, "latex")
    assert r"UCCH$^{\dagger}$" in latex and r"$^{\dagger}$ published: P. Hu et al." in latex
    with pytest.raises(CmhbenchError, match="no published numbers for mAP@50"):
        build_table(records_frame(items), parse_metric("map@50"), with_published=True)


def test_records_with_different_zero_relevant_policies_are_not_averaged():
    items = [record("ucch", 16, 0, 0.7, 0.6), record("ucch", 16, 1, 0.8, 0.6)]
    items[0]["protocol"] = {"zero_relevant": "count"}
    items[1]["protocol"] = {"zero_relevant": "exclude"}
    with pytest.raises(CmhbenchError, match="mix zero_relevant policies"):
        build_table(records_frame(items), parse_metric("map"))


@pytest.mark.parametrize(
    ("text", "name", "k"),
    [("map", "map", None), ("MAP@50", "map_at_k", 50), ("precision@100", "precision_at_k", 100)],
)
def test_metric_names(text, name, k):
    assert (parse_metric(text).name, parse_metric(text).k) == (name, k)


def test_unknown_metric_suggests_the_closest():
    with pytest.raises(CmhbenchError, match="did you mean 'map_tie_aware'"):
        parse_metric("map_tie_awar")


def test_seed_shortfalls_count_failed_and_missing_seeds(table):
    assert table.seed_shortfalls() == (2, 0, 2)  # cvh 16 bits: seed 1 failed, both directions
    fewer = [r for r in hand_made() if (r["method"], r["bits"], r["seed"]) != ("ucch", 32, 1)]
    assert build_table(records_frame(fewer), parse_metric("map")).seed_shortfalls() == (2, 2, 2)


def test_cli_writes_the_table_and_rejects_bad_input(tmp_path):
    for item in hand_made():
        if (item["method"], item["bits"], item["seed"]) != ("ucch", 32, 1):
            write(tmp_path / "runs", item)
    runner = CliRunner()
    out = tmp_path / "table.tex"
    result = runner.invoke(
        cli, ["table", str(tmp_path / "runs"), "--format", "latex", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "\\begin{tabular}" in out.read_text()
    assert "2 cell(s) average fewer seeds because some failed" in result.stderr
    assert "2 cell(s) average fewer than 2 seeds: the others have no record yet" in result.stderr
    bad = runner.invoke(cli, ["table", str(tmp_path / "runs"), "--methods", "ucch,nope"])
    assert bad.exit_code == 1 and bad.stderr.strip().count("\n") == 0
    assert "no records for method nope" in bad.stderr
    missing = runner.invoke(cli, ["table", str(tmp_path / "absent")])
    assert missing.exit_code == 1 and "results folder not found" in missing.stderr


def wide_table():
    """Two datasets at four lengths: wider than a page's text at the printed size."""
    items = [
        {**item, "bits": item["bits"] * factor, "dataset": dataset}
        for item in hand_made()
        for factor in (1, 4)
        for dataset in ("synthetic", "mirflickr25k")
    ]
    return build_table(records_frame(items), parse_metric("map"), with_published=True)


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
@pytest.mark.parametrize("layout", ["article", "article,twocolumn"])
def test_latex_compiles_and_fits_the_page(layout, tmp_path):
    latex = render(wide_table(), "latex")
    packages = re.findall(r"\\usepackage\{\w+\}", latex.splitlines()[0])
    document = "\n".join(
        [
            f"\\documentclass[{layout.partition(',')[2]}]{{article}}",
            *packages,
            "\\begin{document}",
            latex,
            "\\end{document}",
        ]
    )
    (tmp_path / "table.tex").write_text(document)
    result = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "table.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-2000:]
    assert "Overfull \\hbox" not in result.stdout, result.stdout[-2000:]


def test_records_that_differ_in_more_than_the_seed_get_a_row_each_named_by_the_difference():
    items = [record("triplet", 16, 0, 0.5, 0.4), record("triplet", 16, 1, 0.7, 0.6)]
    items.append(record("triplet", 16, 2, 0.7, 0.6))
    for item, epochs in zip(items, (2, 4, 4), strict=True):
        item["config"] = {"epochs": epochs, "margin": 0.2}
    items.append(record("cvh", 16, 0, 0.3, 0.3))
    items.append(record("cvh", 16, 1, 0.3, 0.3))
    items[-2]["method_version"], items[-1]["method_version"] = 1, 2
    text = render(build_table(records_frame(items), parse_metric("map")), "markdown")
    assert "Triplet (epochs=2)" in text and "Triplet (epochs=4)" in text
    assert "CVH (version=1)" in text and "CVH (version=2)" in text
    table = build_table(records_frame(items), parse_metric("map"), methods=["triplet"])
    rows = {key[1]: row for key, row in table.mean.iterrows()}
    assert rows["triplet (epochs=2)"].iloc[0] == pytest.approx(0.5)
    assert rows["triplet (epochs=4)"].iloc[0] == pytest.approx(0.7)  # never the 0.63 mean
    assert table.seeds.loc[("Unsupervised", "triplet (epochs=4)", "")].iloc[0] == 2


def test_hyper_parameters_that_follow_the_code_length_do_not_split_a_method():
    items = [record("dlfh", bits, seed, 0.8, 0.7) for bits in (16, 32) for seed in (0, 1)]
    for item in items:
        item["config"] = {"num_samples": item["bits"]}
    assert set(records_frame(items)["method"]) == {"dlfh"}
