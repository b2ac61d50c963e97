"""Write results/robustness/README.md from the robustness grid's records.

    python results/summarise_robustness.py

The grid (results/robustness.toml): every unsupervised method at 16 bits, seed 0, on
the 30 ordered view pairs of uci-mfeat. The page holds one table per direction (a
row per pair, a column per method, mAP@all with '!' where the codes are degenerate
under cmhbench.health's rule) and, per method, the pairs whose codes collapsed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
from tabulate import tabulate

from cmhbench import read_records
from cmhbench.health import RULE, describe
from cmhbench.report.names import method_label
from cmhbench.run.experiment import read_experiment
from cmhbench.store.status import grid_states

HERE = Path(__file__).parent
CONFIG = HERE / "robustness.toml"
FOLDER = HERE / "robustness"
DIRECTIONS = {"i2t": "image->text", "t2i": "text->image"}


def pair_name(dataset: str) -> str:
    """'uci-mfeat-fac-kar' -> 'fac -> kar'; the default pair's folder is 'uci-mfeat'."""
    views = dataset.removeprefix("uci-mfeat").strip("-") or "pix-fou"
    image, text = views.split("-")
    return f"{image} -> {text}"


def value(record: dict, direction: str) -> str:
    if record["status"] != "ok":
        return "failed"
    text = f"{record['metrics'][direction]['map']:.3f}"
    return text + ("!" if record.get("code_health", {}).get("degenerate") else "")


def page() -> str:
    """The README's text, from the records as they are."""
    grid = read_experiment(CONFIG)
    methods, found = grid["methods"], read_records(FOLDER)
    by_cell = {(r["dataset"], r["method"]): r for r in found}
    states = grid_states(FOLDER, methods=methods, bits=grid["bits"], seeds=grid["seeds"])
    pairs = sorted({cell.dataset for cell in states}, key=pair_name)
    done = sum(cell.state in ("done", "degenerate", "failed") for cell in states)
    lines = [
        "# Robustness: every unsupervised method on all 30 view pairs of uci-mfeat",
        "",
        "Written by `python results/summarise_robustness.py` from the records in this",
        "folder (grid: `results/robustness.toml`; 16 bits, seed 0, standardised views,",
        f"image view -> text view). {done} of {len(states)} cells have a record.",
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
    collapsed = [r for r in found if r["status"] == "ok" and r["code_health"]["degenerate"]]
    if not collapsed:
        lines.append("None: every finished cell has healthy codes in both modalities.")
    for record in sorted(collapsed, key=lambda r: (r["method"], pair_name(r["dataset"]))):
        lines.append(
            f"- {method_label(record['method'])}, {pair_name(record['dataset'])}: "
            f"{describe(record['code_health'], record['bits'])}"
        )
    counts = pd.Series([r["method"] for r in found if r["status"] == "ok"]).value_counts()
    lines += [
        "",
        "Finished cells per method: "
        + ", ".join(f"{method_label(m)} {counts.get(m, 0)}" for m in methods)
        + ".",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    (FOLDER / "README.md").write_text(page())
    print(f"wrote {FOLDER / 'README.md'}", file=sys.stderr)


if __name__ == "__main__":
    main()
