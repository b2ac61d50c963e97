"""Write a robustness grid's README from its records.

    python results/summarise_robustness.py [robustness | robustness-raw]

The grids (results/<name>.toml): methods at 16 bits, seed 0, on the 30 ordered view
pairs of uci-mfeat, standardised (``robustness``: every unsupervised method) or raw
(``robustness-raw``: DJSRH, where it collapses). The page holds one table per
direction (a row per pair, a column per method, mAP@all with '!' where the codes are
degenerate under cmhbench.health's rule), the cells whose codes collapsed and, for a
grid of several methods, the critical-difference diagram of their ranks over the pairs
and directions (``cd.png``, ``cd.pdf``, drawn by ``cmhbench plot cd``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
from tabulate import tabulate

from cmhbench import read_records
from cmhbench.cli import cli
from cmhbench.datasets import dataset_folder
from cmhbench.health import RULE, is_degenerate_record
from cmhbench.report.names import method_label
from cmhbench.run.experiment import read_experiment
from cmhbench.store.status import grid_states

HERE = Path(__file__).parent
GRIDS = {"robustness": "standardised views", "robustness-raw": "raw views"}
DIRECTIONS = {"i2t": "image->text", "t2i": "text->image"}


def pair_name(dataset: str) -> str:
    """'uci-mfeat-fac-kar' -> 'fac -> kar' (also with '-raw'); the default pair's folder
    is 'uci-mfeat'."""
    views = dataset.removeprefix("uci-mfeat").removesuffix("raw").strip("-") or "pix-fou"
    image, text = views.split("-")
    return f"{image} -> {text}"


def value(record: dict, direction: str) -> str:
    if record["status"] != "ok":
        return "failed"
    text = f"{record['metrics'][direction]['map']:.3f}"
    return text + ("!" if is_degenerate_record(record) else "")


def page(name: str = "robustness") -> str:
    """The README's text of grid ``name``, from the records as they are."""
    grid = read_experiment(HERE / f"{name}.toml")
    folder = grid["out"]
    methods, found = grid["methods"], read_records(folder)
    by_cell = {(r["dataset"], r["method"]): r for r in found}
    pairs = sorted((dataset_folder(item) for item in grid["datasets"]), key=pair_name)
    states = grid_states(
        folder, datasets=pairs, methods=methods, bits=grid["bits"], seeds=grid["seeds"]
    )
    done = sum(cell.state in ("done", "degenerate", "failed") for cell in states)
    lines = [
        f"# Robustness on the 30 view pairs of uci-mfeat, {GRIDS[name]}",
        "",
        f"Written by `python results/summarise_robustness.py {name}` from the records in",
        f"this folder (grid: `results/{name}.toml`; 16 bits, seed 0, {GRIDS[name]}, image",
        f"view -> text view). {done} of {len(states)} cells have a record.",
        "",
        f"`!`: degenerate codes ({RULE}); `failed`: the method cannot make 16 bits from",
        "a 6-d view (`mor`); blank: not run yet. `constant codes`: what codes that are all",
        "equal score on the pair (the floor of a collapsed run).",
    ]
    floors = {
        r["dataset"]: f"{r['code_health']['constant_map']:.3f}"
        for r in found
        if r["status"] == "ok"
    }
    for direction, title in DIRECTIONS.items():
        rows = [
            [pair_name(pair), floors.get(pair, "")]
            + [value(by_cell[pair, m], direction) if (pair, m) in by_cell else "" for m in methods]
            for pair in pairs
        ]
        headers = ["pair", "constant codes", *(method_label(m) for m in methods)]
        table = tabulate(rows, headers, tablefmt="github", disable_numparse=True)
        lines += ["", f"## mAP@all, {title}", "", table]
    lines += ["", "## Degenerate codes", ""]
    collapsed = [r for r in found if is_degenerate_record(r)]
    if not collapsed:
        lines.append("None: every finished cell has healthy codes in both modalities.")
    else:
        lines += ["Distinct codes / items in each degenerate set:", ""]
    for record in sorted(collapsed, key=lambda r: (r["method"], pair_name(r["dataset"]))):
        sets = record["code_health"]["sets"]
        shown = ", ".join(
            f"{name.replace('_', ' ')} {sets[name]['distinct']}/{sets[name]['items']}"
            for name in record["code_health"]["degenerate"]
        )
        lines.append(f"- {method_label(record['method'])}, {pair_name(record['dataset'])}: {shown}")
    if len(methods) > 1:
        lines += [
            "",
            "## Ranks over the pairs",
            "",
            "Each method's average rank over the pairs and both directions (mAP@all), with",
            "Friedman's and Nemenyi's tests (`cmhbench plot cd results/" + name + "`); a",
            "method without a result on every pair (CVH and LSSH fail on pairs with `mor`)",
            "is left out:",
            "",
            "![critical-difference diagram of the robustness grid](cd.png)",
        ]
    counts = pd.Series([r["method"] for r in found if r["status"] == "ok"]).value_counts()
    lines += [
        "",
        "Finished cells per method: "
        + ", ".join(f"{method_label(m)} {counts.get(m, 0)}" for m in methods)
        + ".",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    names = sys.argv[1:] or ["robustness"]
    for name in names:
        if name not in GRIDS:
            sys.exit(f"unknown grid {name!r}: expected one of {', '.join(GRIDS)}")
        path = HERE / name / "README.md"
        path.write_text(page(name))
        print(f"wrote {path}", file=sys.stderr)
        if len(read_experiment(HERE / f"{name}.toml")["methods"]) > 1:
            folder = str(HERE / name)
            cli.main(["plot", "cd", folder, "--out", folder], standalone_mode=False)


if __name__ == "__main__":
    main()
