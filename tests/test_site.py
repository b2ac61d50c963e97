"""The results site (``cmhbench report``): its document says what the records say,
failed and degenerate cells stay named, bad input is one line, and the page works in
a real browser (headless Chromium, where installed)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from result_records import record, with_query_ap, write

from cmhbench.cli import cli
from cmhbench.errors import CmhbenchError
from cmhbench.report.site.browser import headless_chromium
from cmhbench.report.site.build import build_site
from cmhbench.report.site.payload import _cliques, remake_command
from cmhbench.store.records import read_folder

QUERIES = 40


def _ap(level: float, seed: int) -> np.ndarray:
    """Per-query AP whose mean is ``level`` exactly: noise shared by every method (by
    seed) and the method's own (by level), each of sd 0.05."""
    shared = np.random.default_rng(seed).normal(0, 0.05, QUERIES)
    own = np.random.default_rng([round(level * 1000), seed]).normal(0, 0.05, QUERIES)
    return level + shared - shared.mean() + own - own.mean()


@pytest.fixture(scope="module")
def grid(tmp_path_factory) -> Path:
    """Three methods on two datasets at 16 and 32 bits, seeds 0-1, with per-query AP;
    a failed cell and a degenerate one besides."""
    folder = tmp_path_factory.mktemp("grid")
    levels = {"ucch": 0.70, "triplet": 0.69, "cmfh": 0.40}
    for dataset in ("synthetic", "uci-mfeat"):
        for method, level in levels.items():
            for bits in (16, 32):
                for seed in (0, 1):
                    item = record(method, bits, seed, 0, 0, dataset=dataset)
                    with_query_ap(folder, item, _ap(level, seed), _ap(level - 0.01, seed))
    write(folder, record("dlfh", 16, 0, 0, 0, error="MemoryError: out of memory"))
    degenerate = record("dlfh", 32, 0, 0.3, 0.3)
    degenerate["code_health"] = {"degenerate": ["image_retrieval"], "chance_map": 0.25}
    write(folder, degenerate)
    return folder


@pytest.fixture(scope="module")
def site(grid, tmp_path_factory) -> tuple[Path, dict]:
    located, _ = read_folder(grid)
    out = tmp_path_factory.mktemp("site")
    document = build_site([("grid", located)], out, title="test grid")
    return out, {**document, **document["collections"][0]}


def test_the_tables_hold_every_measured_column_with_its_statistics(site):
    _, payload = site
    rows = pd.DataFrame(payload["tables"]["mAP@all"])
    measured = rows[rows["run"].isin(["ucch", "triplet", "cmfh"])]
    assert len(measured) == 3 * 2 * 2 * 2  # runs x datasets x bits x directions
    assert set(measured["seeds"]) == {2}
    best = measured[measured["rank"] == 1]
    assert set(best["run"]) == {"ucch"}
    # triplet is 0.01 below ucch, per-query differences of sd 0.07 on 40 queries: not
    # significantly below
    assert measured.loc[measured["run"] == "triplet", "near_best"].all()
    assert not measured.loc[measured["run"] == "cmfh", "near_best"].any()
    assert (measured["low"] < measured["mean"]).all() and (
        measured["mean"] < measured["high"]
    ).all()
    assert "mAP@50" in payload["metrics"]


def test_failed_and_degenerate_cells_are_named_never_numbers(site):
    _, payload = site
    dlfh = {cell["bits"]: cell for cell in payload["cells"] if cell["method"] == "dlfh"}
    assert dlfh[16]["status"] == "failed" and "MemoryError" in dlfh[16]["error"]
    assert dlfh[16]["map"] == {}
    assert dlfh[32]["status"] == "degenerate"
    [left_out] = [
        row
        for row in payload["tables"]["mAP@all"]
        if row["run"] == "dlfh" and row["bits"] == 32 and row["direction"] == "i2t"
    ]
    assert left_out["mean"] is None and left_out["failed"] == left_out["degenerate"] == 1
    assert not any(c["run"] == "dlfh" for c in payload["pr"])  # no curve from collapsed codes
    failed_row = [
        row
        for row in payload["tables"]["mAP@all"]
        if row["run"] == "dlfh" and row["bits"] == 16 and row["dataset"] == "synthetic"
    ]
    assert failed_row and all(row["mean"] is None and row["failed"] == 1 for row in failed_row)


def test_ranks_curves_and_methods_come_from_the_records(site):
    _, payload = site
    ranks = payload["ranks"]["synthetic"]["ranks"]
    assert min(ranks, key=ranks.get) == "ucch" and max(ranks, key=ranks.get) == "cmfh"
    curves = [c for c in payload["pr"] if c["run"] == "ucch" and c["bits"] == 16]
    assert len(curves) == 4 and all(len(c["precision"]) == 17 for c in curves)
    assert {c["run"] for c in payload["topk"]} >= {"ucch", "triplet", "cmfh"}
    ucch = payload["methods"]["ucch"]
    assert "Unsupervised Contrastive" in ucch["title"] and ucch["defaults"]["tau"]["source"]
    assert "UCCH" in ucch["docstring"]
    assert payload["runs"]["ucch"]["colour"].startswith("#")


def test_the_remake_command_names_each_setting_off_the_defaults():
    item = record("triplet", 16, 2, 0.5, 0.5)
    item["config"] = {"epochs": 3}
    assert remake_command(item) == (
        "cmhbench run --methods triplet --datasets synthetic --bits 16 --seeds 2 "
        "--set triplet.epochs=3"
    )


def test_cliques_join_neighbours_the_test_cannot_tell_apart():
    order = ["a", "b", "c", "d"]
    p = pd.DataFrame(1.0, index=order, columns=order)
    p.loc["a", "c"] = p.loc["c", "a"] = p.loc["a", "d"] = p.loc["d", "a"] = 0.01
    p.loc["b", "d"] = p.loc["d", "b"] = 0.01
    assert _cliques(order, p, 0.05) == [["a", "b"], ["b", "c"], ["c", "d"]]
    assert _cliques(order, pd.DataFrame(0.0, index=order, columns=order), 0.05) == []


def test_the_site_is_self_contained_and_the_same_records_give_the_same_bytes(grid, site, tmp_path):
    out, _ = site
    page = (out / "index.html").read_text()
    assert "http" not in page  # nothing fetched from the network
    for script in ("assets/plotly.min.js", "data.js", "assets/site.js", "assets/site.css"):
        assert (out / script).is_file()
    located, _ = read_folder(grid)
    build_site([("grid", located)], tmp_path, title="test grid")
    for name in ("index.html", "data.js"):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes()


def test_each_results_folder_is_a_collection_of_its_own(grid, tmp_path):
    other = tmp_path / "other"
    write(other, record("triplet", 64, 0, 0.5, 0.5))
    done = CliRunner().invoke(cli, ["report", str(grid), str(other), "--out", str(tmp_path / "s")])
    assert done.exit_code == 0, done.output
    text = (tmp_path / "s" / "data.js").read_text()
    document = json.loads(text.removeprefix("window.CMHBENCH = ").rstrip().rstrip(";"))
    first, second = document["collections"]
    assert (first["name"], second["name"]) == (grid.name, "other")
    assert len(first["cells"]) == 26 and [c["bits"] for c in second["cells"]] == [64]
    assert set(document["methods"]) == {"ucch", "triplet", "cmfh", "dlfh"}


def test_the_report_command_writes_the_site_and_bad_input_is_one_line(grid, tmp_path):
    runner = CliRunner()
    done = runner.invoke(cli, ["report", str(grid), "--out", str(tmp_path / "site")])
    assert done.exit_code == 0, done.output
    assert "cells ->" in done.output and (tmp_path / "site" / "index.html").is_file()
    empty = tmp_path / "empty"
    empty.mkdir()
    failed = tmp_path / "failed"
    write(failed, record("dlfh", 16, 0, 0, 0, error="boom"))
    foreign = tmp_path / "foreign" / "synthetic" / "ucch"
    foreign.mkdir(parents=True)
    (foreign / "bits16-seed0.json").write_text('{"not": "a record"}')
    for folder, expected, lines in (
        (tmp_path / "absent", "not found", 1),
        (empty, "no records", 1),
        (failed, "no finished cell", 1),
        (foreign.parent.parent, "no finished cell", 2),  # after the unreadable warning
    ):
        result = runner.invoke(cli, ["report", str(folder), "--out", str(tmp_path / "x")])
        assert result.exit_code == 1 and expected in result.output, result.output
        assert len(result.output.strip().splitlines()) == lines, result.output
        assert "Traceback" not in result.output
    assert not (tmp_path / "x").exists()  # no empty page


@pytest.mark.slow  # starts a browser
def test_the_site_works_in_headless_chromium(site, tmp_path):
    """No console error on any view; the tables have their rows, every figure its
    traces; a header click reorders the rows; a screenshot is saved."""
    pytest.importorskip("selenium")
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    out, payload = site
    try:
        driver = headless_chromium(1400, 1000, console=True)
    except CmhbenchError as exc:  # installed, but this machine cannot run it
        pytest.skip(str(exc))
    if driver is None:
        pytest.skip("Debian's chromium and chromium-driver are not installed")
    try:

        def show(view: str) -> None:
            driver.get(f"{(out / 'index.html').as_uri()}#0/{view}")
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not driver.find_elements(
                By.CSS_SELECTOR, "main *"
            ):
                time.sleep(0.05)

        def traces() -> int:
            time.sleep(0.3)  # the leaderboard draws its diagrams after the tables
            return len(driver.find_elements(By.CSS_SELECTOR, ".figure .scatterlayer .trace"))

        show("")
        boards = driver.find_elements(By.CSS_SELECTOR, "section")
        assert len(boards) == 2
        first = driver.find_element(By.CSS_SELECTOR, "section")
        assert len(first.find_elements(By.CSS_SELECTOR, "tbody tr")) == 3
        assert "Left out for lacking a case: DLFH" in first.text  # one cell failed
        cliques = sum(len(payload["ranks"][d]["cliques"]) for d in ("synthetic", "uci-mfeat"))
        assert traces() == 2 + cliques  # each diagram: its points, one bar per group
        driver.save_screenshot(str(tmp_path / "leaderboard.png"))

        show("tables")
        assert len(driver.find_elements(By.CSS_SELECTOR, "tbody tr")) == 4  # DLFH's row too
        header = driver.find_element(By.CSS_SELECTOR, "th[data-column='1']")  # I->T 16 bits

        def order() -> list[str]:
            return [
                row.text.split()[0] for row in driver.find_elements(By.CSS_SELECTOR, "tbody tr")
            ]

        header.click()  # best first; DLFH's failed cell last either way
        assert order() == ["UCCH", "Triplet", "CMFH", "DLFH"]
        header.click()
        assert order() == ["CMFH", "Triplet", "UCCH", "DLFH"]

        show("figures")
        # mAP by length, PR and P@K at 32 bits: one trace per run, DLFH's degenerate
        # cell left out
        assert traces() == 3 + 3 + 3
        show("heatmap")
        time.sleep(0.3)
        assert len(driver.find_elements(By.CSS_SELECTOR, ".heatmaplayer .hm")) == 2  # I->T, T->I
        assert "failed" in driver.find_element(By.ID, "heatmap-i2t").text  # DLFH at 16 bits
        Select(driver.find_element(By.NAME, "bits")).select_by_value("32")
        time.sleep(0.3)
        assert "degenerate" in driver.find_element(By.ID, "heatmap-i2t").text
        show("cells")
        assert len(driver.find_elements(By.CSS_SELECTOR, "tbody tr")) == len(payload["cells"])
        assert driver.find_elements(By.CSS_SELECTOR, "tr.status-failed")
        show("method/ucch")
        assert "Defaults" in driver.page_source
        failed = next(cell for cell in payload["cells"] if cell["status"] == "failed")
        show("cell/" + failed["id"].replace("/", "%2F"))
        assert "MemoryError" in driver.find_element(By.CSS_SELECTOR, "p.failed").text
        errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        assert errors == []
    finally:
        driver.quit()


@pytest.mark.slow  # starts chromedriver
def test_a_browser_that_cannot_start_is_one_clear_error(monkeypatch):
    pytest.importorskip("selenium")
    import shutil as shell

    from cmhbench.report.site import browser

    found = shell.which
    if not found("chromedriver"):
        pytest.skip("Debian's chromium-driver is not installed")
    monkeypatch.setattr(
        browser.shutil, "which", lambda name: "/bin/false" if name == "chromium" else found(name)
    )
    with pytest.raises(CmhbenchError, match="headless Chromium did not start"):
        browser.headless_chromium(100, 100)
