"""The committed reference tables are what the committed reference records give."""

from __future__ import annotations

from pathlib import Path

import pytest

from cmhbench.records import read_folder
from cmhbench.report import records_frame
from cmhbench.tables import build_table, parse_metric, render

RESULTS = Path(__file__).parent.parent / "results"


@pytest.fixture(scope="module")
def frame():
    found, unreadable = read_folder(RESULTS / "reference")
    assert not unreadable
    return records_frame(found)


@pytest.mark.parametrize("dataset", ["synthetic", "uci-mfeat"])
def test_reference_markdown_tables_match_the_records(frame, dataset):
    table = build_table(frame, parse_metric("map"), datasets=[dataset])
    markdown = render(table, "markdown")
    assert (RESULTS / f"reference-map-{dataset}.md").read_text() == markdown
    assert markdown.strip() in (RESULTS / "README.md").read_text()
    if dataset == "uci-mfeat":
        assert markdown.strip() in (RESULTS.parent / "README.md").read_text()


def test_reference_latex_table_matches_the_records(frame):
    table = build_table(frame, parse_metric("map"))
    caption = "mAP@all on the embedded data (mean and standard deviation over 3 seeds)."
    latex = render(table, "latex", caption=caption, label="tab:reference-map")
    assert (RESULTS / "reference-map.tex").read_text() == latex
