"""Regenerate the reference results of the embedded data, all from the records.

Runs (or resumes: finished cells are skipped) the grid of ``reference.toml``, then
writes the tables under the suite's and the native retrieval protocol
(``reference-map-*.md``, ``reference-map*.tex``), the figures (``figures/``), the
results site (``site/index.html``: the reference and the robustness grid), this
folder's ``README.md`` and the tables in the top-level README::

    python results/regenerate.py                  # resume the grid, then render
    python results/regenerate.py --no-run         # render the records there are
    python results/regenerate.py --device cuda    # run the missing cells on a GPU

``tests/test_reference_results.py`` checks that the committed text files and the
site's data are what this script renders from the committed records.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import click

from cmhbench.cli import cli
from cmhbench.errors import CmhbenchError
from cmhbench.registry import get_method
from cmhbench.report.formats import render
from cmhbench.report.frames import records_frame
from cmhbench.report.names import method_label
from cmhbench.report.site.browser import headless_chromium
from cmhbench.report.site.build import build_site
from cmhbench.report.tables import build_table, parse_metric
from cmhbench.run.experiment import read_experiment
from cmhbench.run.provenance import git_revision
from cmhbench.stats.samples import QuerySamples
from cmhbench.store.records import read_folder
from cmhbench.store.status import grid_states, state_counts

HERE = Path(__file__).resolve().parent
CONFIG = HERE / "reference.toml"
RECORDS = HERE / "reference"
TOP_README = HERE.parent / "README.md"
DATASETS = {"synthetic": 0.250, "uci-mfeat": 0.103}  # dataset: mAP@all of random codes
PR_BITS = 64
CAPTION = "mAP@all on the embedded data (mean and standard deviation over 3 seeds)."
LABEL = "tab:reference-map"
TABLE_START, TABLE_END = "<!-- reference-table:start -->\n", "<!-- reference-table:end -->"
NATIVE_START, NATIVE_END = "<!-- reference-native:start -->\n", "<!-- reference-native:end -->"
NATIVE_CAPTION = (
    "mAP@all on the embedded data under each method's native protocol (mean and standard "
    "deviation over 3 seeds)."
)
SITE = HERE / "site"
ROBUSTNESS = HERE / "robustness"
SITE_TITLE = "cmhbench reference results (embedded data)"
MARGIN_RECORDS = HERE / "triplet-margin"
MARGINS = (0.1, 0.2, 0.5, 0.9)  # UCCH Table 3's margins of L'_r only, and 0.2, the old default
SEEDS = 3
MARGIN_GRID = [
    "--datasets",
    "uci-mfeat",
    "--bits",
    "16,64",
    "--seeds",
    ",".join(map(str, range(SEEDS))),
]
MARGIN_START, MARGIN_END = "<!-- triplet-margin:start -->\n", "<!-- triplet-margin:end -->"
CVH_NOTE = (
    "CVH fails at 128 bits on `uci-mfeat` by construction: it learns at most "
    "min(d_x, d_y, n - 1) = 76 directions there (the text view is 76-d)."
)


def reference_records() -> list[tuple[Path, dict[str, Any]]]:
    """(path, record) of every record of the reference grid."""
    return readable_records(RECORDS)


def readable_records(folder: Path) -> list[tuple[Path, dict[str, Any]]]:
    """(path, record) of every record in ``folder``; stops on an unreadable one."""
    found, unreadable = read_folder(folder)
    if unreadable:
        raise click.ClickException(f"unreadable records: {', '.join(map(str, unreadable))}")
    return found  # type: ignore[return-value]


def tables(located: list[tuple[Path, dict[str, Any]]]) -> dict[Path, str]:
    """{path: text} of the markdown table of each dataset and the LaTeX table of all,
    under the suite's protocol and under the native one (files ending ``-native``),
    with the runs not significantly below each column's best marked."""
    metric = parse_metric("map")
    found = [record for _, record in located]
    texts = {}
    for protocol, suffix in (("suite", ""), ("native", "-native")):
        frame = records_frame(found, protocol)
        samples = QuerySamples(located, protocol)  # type: ignore[arg-type]
        for dataset in DATASETS:
            table = build_table(frame, metric, datasets=[dataset], samples=samples)
            texts[HERE / f"reference-map-{dataset}{suffix}.md"] = render(table, "markdown")
        every = build_table(frame, metric, datasets=list(DATASETS), samples=samples)
        caption = CAPTION if protocol == "suite" else NATIVE_CAPTION
        label = LABEL + suffix
        texts[HERE / f"reference-map{suffix}.tex"] = render(
            every, "latex", caption=caption, label=label
        )
    return texts


def native_methods() -> list[str]:
    """The reference grid's methods whose native protocol is not the suite's."""
    methods = read_experiment(CONFIG)["methods"]
    return [name for name in methods if get_method(name).info.native != "suite"]


def native_comparison(located: list[tuple[Path, dict[str, Any]]]) -> str:
    """The methods of :func:`native_methods` on ``uci-mfeat`` under the native protocol,
    as a markdown table (the suite's numbers are in the table above it)."""
    chosen = [item for item in located if item[1]["method"] in native_methods()]
    frame = records_frame([record for _, record in chosen], "native")
    samples = QuerySamples(chosen, "native")  # type: ignore[arg-type]
    table = build_table(frame, parse_metric("map"), datasets=["uci-mfeat"], samples=samples)
    return render(table, "markdown")


def margin_folder(margin: float) -> Path:
    """Where the triplet cells at ``margin`` of the margin table are: the reference
    grid's at the default margin, else a folder of their own."""
    default = get_method("triplet").defaults()["margin"]["default"]
    return RECORDS if margin == default else MARGIN_RECORDS / f"m{margin:g}"


def margin_runs(options: list[str]) -> list[list[str]]:
    """The commands that run (or resume) the margin table's cells off the default, on
    the reference grid's device unless ``options`` name one."""
    command = [sys.executable, "-m", "cmhbench", "run", "--methods", "triplet", *MARGIN_GRID]
    device = options or ["--device", "cpu"]
    folders = {m: margin_folder(m) for m in MARGINS}
    return [
        [*command, "--set", f"triplet.margin={m:g}", "--out", str(folder), *device]
        for m, folder in folders.items()
        if folder != RECORDS
    ]


def margin_table() -> str:
    """Triplet's mAP@all on ``uci-mfeat`` by margin, mean and standard deviation over
    the seeds, as a markdown table ("not run" where a seed's cell is missing)."""
    rows = []
    for margin in MARGINS:
        folder = margin_folder(margin)
        if not folder.is_dir():
            rows.append([f"{margin:g}"] + ["not run"] * 4)
            continue
        found, _ = read_folder(folder)
        frame = records_frame(r for _, r in found if r["method"] == "triplet")
        frame = frame[(frame["dataset"] == "uci-mfeat") & (frame["metric"] == "map")]
        cells = frame[frame["bits"].isin([16, 64])].groupby(["direction", "bits"])["value"]
        stats = cells.agg(["mean", "std", "count"])
        rows.append(
            [f"{margin:g}"]
            + [
                f"{stats.loc[(d, b), 'mean']:.3f} ± {stats.loc[(d, b), 'std']:.3f}"
                if (d, b) in stats.index and stats.loc[(d, b), "count"] == SEEDS
                else "not run"
                for d in ("i2t", "t2i")
                for b in (16, 64)
            ]
        )
    header = ["margin m", "I->T 16", "I->T 64", "T->I 16", "T->I 64"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows]) + "\n"


def grid_state(found: list[dict[str, Any]]) -> str:
    """One paragraph: how many cells are done, failed and still to run (by method), and
    on which devices the records were made."""
    grid = read_experiment(CONFIG)
    states = grid_states(
        RECORDS,
        datasets=grid["datasets"],
        methods=grid["methods"],
        bits=grid["bits"],
        seeds=grid["seeds"],
    )
    counts = state_counts(states)
    to_run: dict[str, int] = {}
    for cell in states:
        if cell.state in ("missing", "running"):  # a claim is no result
            to_run[cell.method] = to_run.get(cell.method, 0) + 1
    done = counts["done"] + counts["degenerate"]
    text = f"Grid state: {len(states)} cells, {done} done, {counts['failed']} failed"
    if counts["degenerate"]:
        text += f" ({counts['degenerate']} done cells have degenerate codes)"
    if to_run:
        pending = ", ".join(f"{method} ({n})" for method, n in to_run.items())
        text += (
            f", {sum(to_run.values())} not yet run"
            f" ({pending}; `python results/regenerate.py` resumes them)"
        )
    else:
        text += ", every cell run"
    devices = Counter(_device(record) for record in found)
    made = ", ".join(f"{device} ({n} cells)" for device, n in devices.most_common())
    return f"{text}. Made on: {made}. {CVH_NOTE}"


def _device(record: dict[str, Any]) -> str:
    """'cpu', or the GPU's model."""
    kind = str(record.get("device", "unknown")).split(":")[0]
    return str(record["device_name"]) if kind == "cuda" else kind


def readmes(located: list[tuple[Path, dict[str, Any]]], texts: dict[Path, str]) -> dict[Path, str]:
    """{path: text} of this folder's README and the top-level README with its table."""
    found = [record for _, record in located]
    markdown = {d: texts[HERE / f"reference-map-{d}.md"].strip() for d in DATASETS}
    native = {d: texts[HERE / f"reference-map-{d}-native.md"].strip() for d in DATASETS}
    sections = "\n\n".join(
        f"### {dataset} (random codes: {random:.3f})\n\n{markdown[dataset]}"
        for dataset, random in DATASETS.items()
    )
    native_sections = "\n\n".join(
        f"### {dataset}, native protocol\n\n{native[dataset]}" for dataset in DATASETS
    )
    figures = "\n\n".join(
        f"### {dataset}\n\n"
        f"![precision-recall, {dataset}, {PR_BITS} bits](figures/pr-{dataset}-{PR_BITS}bits.png)\n"
        f"![mAP@all against code length, {dataset}](figures/bits-{dataset}.png)"
        for dataset in DATASETS
    )
    local = f"""# results/

The default output folder of `cmhbench run` (`--out results/runs`, not committed)
and the committed reference results of the embedded data.

## Reference results

`reference.toml` declares the grid: every registered method on `synthetic` and
`uci-mfeat`, 16 to 128 bits, seeds 0, 1 and 2, on the CPU (`--device` overrides
it). `reference/` holds its records (JSON) and codes (`.npz`, so that a metric
fixed later is a re-score: `cmhbench eval --recompute`), `reference-map-*.md` and
`reference-map.tex` the tables under the suite's protocol (`-native` files: under
each method's native protocol, `--protocol native`), `figures/` the plots (PDF and
PNG).
`triplet-margin/` holds the triplet baseline's cells at the margins off its default
(`uci-mfeat`, 16 and 64 bits, 3 seeds), for the margin table in the top-level README.

{grid_state(found)}

Every method runs at its paper's or official code's defaults. The top-level
README says why JDSH and DGCPN come out ahead of UCCH here, unlike in UCCH's paper
("Ordering on the embedded data": the raw features of these sets already rank
well, and those two methods copy that similarity into their codes), and why DCMH
trails the unsupervised methods on `uci-mfeat` and ACMR on `synthetic` at short
codes ("Supervised methods": their budgets on small training sets).

Regenerate everything (runs the cells not yet run, then rewrites the tables, the
figures, this README and the table in the top-level README; `--no-run` only
rewrites):

```bash
python results/regenerate.py
```

## mAP@all

{sections}

## mAP@all under each method's native protocol

The same cells, scored from their stored native codes (`cmhbench table
results/reference --protocol native`): {", ".join(method_label(m) for m in native_methods())}
score as their authors' code does (`cmhbench list` says how); the other methods'
native protocol is the suite's, so their rows repeat the tables above.

{native_sections}

## Precision-recall at {PR_BITS} bits and mAP@all against code length

{figures}

## Ranks over the grid

Every method's average rank over the grid's 16 cases (2 datasets, 4 code lengths, 2
directions; mAP@all, suite protocol), with Friedman's and Nemenyi's tests
(`cmhbench plot cd results/reference`; a method that lacks a case, CVH at 128 bits
on `uci-mfeat`, is left out):

![critical-difference diagram of the reference grid](figures/cd.png)

## Results site

`site/index.html` opens in a browser from a clone, with no server and no network:
leaderboards with the rank test, sortable and filterable tables of mAP@all and
mAP@K with their statistics, interactive figures, a heat map (the robustness grid's
30 view pairs), a page per method and per cell. `regenerate.py` writes it as this
command does:

```bash
cmhbench report results/reference results/robustness --out results/site \\
    --title "cmhbench reference results (embedded data)"
```

![the results site's tables](figures/site.png)
"""
    top = TOP_README.read_text(encoding="utf-8")
    top = between(top, TABLE_START, TABLE_END, markdown["uci-mfeat"] + "\n")
    top = between(top, NATIVE_START, NATIVE_END, native_comparison(located))
    top = between(top, MARGIN_START, MARGIN_END, margin_table())
    return {HERE / "README.md": local, TOP_README: top}


def between(text: str, start: str, end: str, block: str) -> str:
    """``text`` with what stands between the markers ``start`` and ``end`` replaced."""
    head, rest = text.split(start)
    return f"{head}{start}{block}{end}{rest.split(end)[1]}"


def draw_figures() -> None:
    """The PR and mAP-against-bits figures of each dataset, and the critical-difference
    diagram of the whole grid (PDF and PNG)."""
    for dataset in DATASETS:
        for kind, extra in (("pr", ["--bits", str(PR_BITS)]), ("bits", [])):
            args = ["plot", kind, str(RECORDS), "--datasets", dataset, *extra]
            cli.main([*args, "--out", str(HERE / "figures")], standalone_mode=False)
    cli.main(["plot", "cd", str(RECORDS), "--out", str(HERE / "figures")], standalone_mode=False)


def site_collections(located: list[tuple[Path, dict[str, Any]]]) -> list[tuple[str, Any]]:
    """The site's collections: the reference grid and the robustness grid."""
    robustness = readable_records(ROBUSTNESS)
    return [(RECORDS.name, located), (ROBUSTNESS.name, robustness)]  # cmhbench report's names


def write_site(located: list[tuple[Path, dict[str, Any]]]) -> None:
    """The results site of the reference grid (``site/``), and its screenshot
    (``figures/site.png``) where headless Chromium and selenium are installed."""
    build_site(site_collections(located), SITE, title=SITE_TITLE)
    try:
        browser = headless_chromium(1200, 900)
    except CmhbenchError as exc:
        click.echo(f"{exc}: the screenshot is not remade", err=True)
        return
    if browser is None:
        return
    try:
        browser.get((SITE / "index.html").as_uri() + "#0/tables")
        time.sleep(2)
        browser.save_screenshot(str(HERE / "figures" / "site.png"))
    finally:
        browser.quit()


def refuse_uncommitted(revision: str | None) -> None:
    """Reference cells come from a committed revision: stop when the source tree has
    uncommitted changes (or is no git checkout), before any cell runs."""
    if revision is None or revision.endswith("-dirty"):
        state = "is not a git checkout" if revision is None else "has uncommitted changes"
        raise click.ClickException(
            f"the cmhbench source tree {state}; reference cells must name a committed "
            "revision: commit first (or use --no-run to render only)"
        )


@click.command()
@click.option("--no-run", is_flag=True, help="Only render from the records there are.")
@click.option("--device", default=None, help="Device for the cells still to run (cpu, cuda).")
def main(no_run: bool, device: str | None) -> None:
    """Run the reference grid's missing cells, then write its tables, figures and READMEs."""
    if not no_run:
        refuse_uncommitted(git_revision())
        options = ["--device", device] if device else []
        command = [sys.executable, "-m", "cmhbench", "run", "--config", str(CONFIG), *options]
        for run in [command, *margin_runs(options)]:
            if subprocess.run(run, check=False).returncode != 0:
                raise click.ClickException("a grid run failed; rerun to resume it")
    located = reference_records()
    texts = tables(located)
    texts |= readmes(located, texts)
    for path, text in texts.items():
        path.write_text(text, encoding="utf-8")
        click.echo(f"wrote {path.relative_to(HERE.parent)}", err=True)
    draw_figures()
    write_site(located)


if __name__ == "__main__":
    main()
