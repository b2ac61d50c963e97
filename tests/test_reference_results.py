"""The committed reference tables and READMEs are what results/regenerate.py renders
from the committed reference records."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from reference_grid import REFERENCE_CELLS

RESULTS = Path(__file__).parent.parent / "results"


@pytest.fixture(scope="module")
def regenerate():
    spec = importlib.util.spec_from_file_location("regenerate", RESULTS / "regenerate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def rendered(regenerate):
    found = regenerate.reference_records()
    texts = regenerate.tables(found)
    return texts | regenerate.readmes(found, texts)


def test_every_table_and_readme_is_what_the_records_give(rendered):
    names = sorted(str(path.relative_to(RESULTS.parent)) for path in rendered)
    assert names == [
        "README.md",
        "results/README.md",
        "results/reference-map-native.tex",
        "results/reference-map-synthetic-native.md",
        "results/reference-map-synthetic.md",
        "results/reference-map-uci-mfeat-native.md",
        "results/reference-map-uci-mfeat.md",
        "results/reference-map.tex",
    ]
    for path, text in rendered.items():
        assert path.read_text(encoding="utf-8") == text, f"{path} is stale: regenerate it"


def test_the_results_site_is_what_the_records_give(regenerate, tmp_path):
    from cmhbench.report.site.build import build_site

    collections = regenerate.site_collections(regenerate.reference_records())
    build_site(collections, tmp_path, title=regenerate.SITE_TITLE)
    for name in ("index.html", "data.js", "assets/site.js", "assets/site.css"):
        made = (tmp_path / name).read_bytes()
        assert made == (regenerate.SITE / name).read_bytes(), f"results/site/{name} is stale"
    assert (regenerate.SITE / "assets" / "plotly.min.js").stat().st_size > 1_000_000


def test_the_readmes_show_the_tables_and_the_grid_state(rendered):
    top = rendered[RESULTS.parent / "README.md"]
    local = rendered[RESULTS / "README.md"]
    assert rendered[RESULTS / "reference-map-uci-mfeat.md"].strip() in top
    for dataset in ("synthetic", "uci-mfeat"):
        assert rendered[RESULTS / f"reference-map-{dataset}.md"].strip() in local
        assert rendered[RESULTS / f"reference-map-{dataset}-native.md"].strip() in local
    assert "native protocol" in top.split("<!-- reference-native:start -->")[1].split("end")[0]
    assert f"Grid state: {REFERENCE_CELLS} cells" in local and "Made on: cpu" in local


@pytest.mark.parametrize("grid", ["robustness", "robustness-raw"])
def test_the_robustness_pages_are_what_their_records_give(grid):
    spec = importlib.util.spec_from_file_location("robust", RESULTS / "summarise_robustness.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = (RESULTS / grid / "README.md").read_text(encoding="utf-8")
    assert committed == module.page(grid), f"results/{grid}/README.md is stale: rewrite it"
    assert "| fac -> kar |" in committed and "## Degenerate codes" in committed


@pytest.mark.parametrize("revision", ["0123abcd-dirty", None])
def test_regenerate_refuses_to_run_cells_from_an_uncommitted_tree(regenerate, revision):
    with pytest.raises(regenerate.click.ClickException, match="commit first"):
        regenerate.refuse_uncommitted(revision)
    regenerate.refuse_uncommitted("0123abcd")  # a committed revision may run cells


def flat(metrics: Any, prefix: str = "") -> dict[str, float]:
    """{"i2t/pr_curve/precision/3": value, ...} of a record's nested metrics."""
    if isinstance(metrics, dict):
        items = metrics.items()
    elif isinstance(metrics, list):
        items = enumerate(metrics)
    else:
        return {prefix: metrics}
    return {k: v for key, value in items for k, v in flat(value, f"{prefix}/{key}").items()}


def test_rescoring_a_copy_of_the_reference_reproduces_every_committed_metric(tmp_path):
    """Every finished reference record carries its codes and re-scores from them to its
    committed metrics (any metric fix is then a re-score, not a rerun): exactly where
    the cell was scored on the CPU, to the last bits of a double where on a GPU (a
    cell is scored on its training device, whose sums run in another order)."""
    import shutil

    from cmhbench.store.records import read_record
    from cmhbench.store.rescore import rescore_folder

    copy = tmp_path / "reference"
    shutil.copytree(RESULTS / "reference", copy)
    report = rescore_folder(copy)
    finished = [path for path in copy.rglob("*.json") if read_record(path)["status"] == "ok"]
    assert len(report.rescored) == len(finished)  # every finished cell has its codes
    for path in report.rescored:
        committed = read_record(RESULTS / path.relative_to(tmp_path))
        again = read_record(path)["metrics"]
        if committed["device"] == "cpu":
            assert again == committed["metrics"], path
        else:
            close = {
                key: pytest.approx(value, rel=0, abs=1e-12) if isinstance(value, float) else value
                for key, value in flat(committed["metrics"]).items()
            }
            assert flat(again) == close, path


def test_the_margin_table_says_not_run_for_margins_without_their_cells(
    regenerate, monkeypatch, tmp_path
):
    monkeypatch.setattr(regenerate, "MARGIN_RECORDS", tmp_path)
    rows = regenerate.margin_table().splitlines()[2:]
    assert [row.split(" | ")[0] for row in rows] == ["| 0.1", "| 0.2", "| 0.5", "| 0.9"]
    assert all(row.count("not run") == 4 for row in rows[:3])
    assert "not run" not in rows[3]  # the default margin's cells are the reference grid's


def test_every_committed_record_is_at_its_method_s_current_version():
    """A method whose numerics changed (its version bumped) has had its committed cells
    made again: no table mixes codes of two versions of one method."""
    from cmhbench.registry import get_method
    from cmhbench.store.records import read_record, record_paths

    paths = [
        path for folder in RESULTS.iterdir() if folder.is_dir() for path in record_paths(folder)
    ]
    assert len(paths) > REFERENCE_CELLS
    stale = sorted(
        f"{path.relative_to(RESULTS)} (v{record['method_version']}, now v{current})"
        for path in paths
        if (record := read_record(path)) is not None
        and record["method_version"] != (current := get_method(record["method"]).info.version)
    )
    assert stale == [], f"{len(stale)} records of older method versions: {stale[:5]}"
