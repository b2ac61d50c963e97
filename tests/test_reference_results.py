"""The committed reference tables are what the committed reference records give."""

from __future__ import annotations

from pathlib import Path

from cmhbench.records import read_folder
from cmhbench.report import records_frame
from cmhbench.tables import build_table, parse_metric, render

RESULTS = Path(__file__).parent.parent / "results"


def test_reference_tables_match_the_records():
    found, unreadable = read_folder(RESULTS / "reference")
    assert not unreadable
    table = build_table(records_frame(found), parse_metric("map"))
    markdown = render(table, "markdown")
    assert (RESULTS / "reference-map.md").read_text() == markdown
    assert (RESULTS / "reference-map.tex").read_text() == render(table, "latex")
    assert markdown.strip() in (RESULTS / "README.md").read_text()
