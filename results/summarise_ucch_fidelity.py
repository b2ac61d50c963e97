"""Write results/ucch-fidelity/README.md: cmhbench's UCCH beside its official code.

    python results/summarise_ucch_fidelity.py

Inputs, all in results/ucch-fidelity/:

* the records of ``results/ucch-fidelity.toml`` (cmhbench's UCCH, seeds 0-4, 16-128 bits,
  on the raw uci-mfeat views and on ``synthetic``; ``cmhbench run --config`` makes them);
* ``official-epochs.csv``: the official code's runs on the same arrays, one row per
  (dataset, bits, seed, epoch): its training seconds, its validation mAP (what it selects
  the kept epoch by), and mAP@all of that epoch's codes scored by cmhbench's metric;
* ``cmhbench-epochs.csv``: the same per-epoch scores of cmhbench's UCCH (same seeds);
* ``lockstep.csv``: both stepped from the official run's initial weights, bank, batches
  and negatives (one row per run: its steps and epochs, the share of equal code bits and
  both mAPs at the end), and ``lockstep-losses.csv``, both losses at every step.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from tabulate import tabulate

from cmhbench import read_records
from cmhbench.run.experiment import read_experiment

HERE = Path(__file__).parent
FOLDER = HERE / "ucch-fidelity"
DIRECTIONS = {"i2t": "I->T", "t2i": "T->I"}
TOLERANCE = 0.02
SEEDS = (0, 1, 2, 3, 4)
CODE_SEED = 123  # the seed hard-coded in the official code
README_START, README_END = "<!-- ucch-fidelity:start -->\n", "<!-- ucch-fidelity:end -->"
SHOWN_EPOCHS = (0, 1, 4, 9, 14, 19)
DATASETS = {
    "uci-mfeat-raw": "raw uci-mfeat (pix -> fou; 1,800 training = retrieval pairs, 200 queries)",
    "synthetic": "synthetic (512 training pairs, 2,000 retrieval pairs, 400 queries)",
}


def official_epochs(seeds: tuple[int, ...] = SEEDS) -> pd.DataFrame:
    """The official runs of ``seeds``, with ``kept``: the epoch its code keeps (the
    first epoch with the best validation mean, as ``if avg > best_acc`` saves it)."""
    frame = pd.read_csv(FOLDER / "official-epochs.csv")
    frame = frame[frame.seed.isin(seeds)].reset_index(drop=True)
    frame["val"] = (frame["val_i2t"] + frame["val_t2i"]) / 2
    best = frame.loc[frame.groupby(["dataset", "bits", "seed"])["val"].idxmax(), "epoch"]
    frame["kept"] = False
    frame.loc[best.index, "kept"] = True
    return frame


def cmhbench_finals() -> pd.DataFrame:
    """One row per record of the grid: dataset, bits, seed, i2t, t2i, fit seconds."""
    grid = read_experiment(HERE / "ucch-fidelity.toml")
    rows = [
        {
            "dataset": r["dataset"],
            "bits": r["bits"],
            "seed": r["seed"],
            "i2t": r["metrics"]["i2t"]["map"],
            "t2i": r["metrics"]["t2i"]["map"],
            "fit_s": r["timings"]["fit_s"],
        }
        for r in read_records(grid["out"])
        if r["status"] == "ok"
    ]
    return pd.DataFrame(rows)


def spread(values: pd.Series) -> str:
    """'mean ± std (min..max)' (std with ddof 1)."""
    return f"{values.mean():.3f} ± {values.std():.3f} ({values.min():.3f}..{values.max():.3f})"


def verdict(ours: float, theirs: pd.Series) -> str:
    """How our mean sits against the official seeds."""
    if abs(ours - theirs.mean()) <= TOLERANCE:
        return "within 0.02"
    if theirs.min() <= ours <= theirs.max():
        return "inside the range"
    return "**outside**"


def final_table(dataset: str, official: pd.DataFrame, ours: pd.DataFrame) -> str:
    """Per code length and direction: the official last and kept epochs, ours, the verdict."""
    rows = []
    for bits in sorted(ours["bits"].unique()):
        runs = official[(official.dataset == dataset) & (official.bits == bits)]
        last = runs[runs.epoch == runs.epoch.max()]
        kept = runs[runs.kept]
        mine = ours[(ours.dataset == dataset) & (ours.bits == bits)]
        for direction, arrow in DIRECTIONS.items():
            welch = stats.ttest_ind(mine[direction], last[direction], equal_var=False)
            rows.append(
                [
                    bits,
                    arrow,
                    spread(last[direction]),
                    spread(kept[direction]),
                    spread(mine[direction]),
                    f"{mine[direction].mean() - last[direction].mean():+.3f}",
                    f"{welch.pvalue:.2f}",
                    verdict(mine[direction].mean(), last[direction]),
                ]
            )
    headers = [
        "bits",
        "",
        "official, last epoch",
        "official, epoch its code keeps",
        "cmhbench (last epoch)",
        "difference of means",
        "Welch p",
        "",
    ]
    return tabulate(rows, headers, tablefmt="github", disable_numparse=True)


def curve_table(dataset: str, official: pd.DataFrame, ours: pd.DataFrame) -> str:
    """Mean over seeds at a few epochs, and the largest gap between the two mean curves
    over all epochs beside the seed spread (pooled std) at that epoch."""
    rows = []
    for bits in sorted(ours["bits"].unique()):
        one = official[(official.dataset == dataset) & (official.bits == bits)]
        two = ours[(ours.dataset == dataset) & (ours.bits == bits)]
        for direction, arrow in DIRECTIONS.items():
            means = [run.groupby("epoch")[direction].mean() for run in (one, two)]
            stds = [run.groupby("epoch")[direction].std() for run in (one, two)]
            gap = (means[1] - means[0]).abs()
            worst = int(gap.idxmax())
            pooled = float(np.sqrt((stds[0][worst] ** 2 + stds[1][worst] ** 2) / 2))
            for name, mean in zip(("official", "cmhbench"), means, strict=True):
                rows.append(
                    [bits, arrow, name]
                    + [f"{mean[e]:.3f}" for e in SHOWN_EPOCHS]
                    + ([f"{gap[worst]:.3f} at epoch {worst + 1} (seed std {pooled:.3f})"]
                       if name == "cmhbench" else [""])
                )  # fmt: skip
    headers = ["bits", "", "code", *(f"epoch {e + 1}" for e in SHOWN_EPOCHS), "largest gap"]
    return tabulate(rows, headers, tablefmt="github", disable_numparse=True)


def code_seed_table(dataset: str) -> str:
    """The code's own seed (123), as it reports it (the kept epoch), against seeds 0-4."""
    own = official_epochs((CODE_SEED,))
    own = own[(own.dataset == dataset) & own.kept]
    others = official_epochs()
    others = others[(others.dataset == dataset) & others.kept]
    rows = []
    for r in own.sort_values("bits").itertuples():
        row = [r.bits]
        for direction in DIRECTIONS:
            seeds = others[others.bits == r.bits][direction]
            value = getattr(r, direction)
            row.append(f"{value:.3f} (above {(seeds < value).sum()} of {len(seeds)})")
        rows.append(row)
    headers = ["bits", *(f"seed {CODE_SEED}, {arrow}" for arrow in DIRECTIONS.values())]
    return tabulate(rows, headers, tablefmt="github", disable_numparse=True)


def lockstep_table() -> str:
    """Per lockstep run: how far the two losses drift apart (relative gap, in the first
    epoch, at its largest and at the last step) and how alike the final codes are."""
    runs = pd.read_csv(FOLDER / "lockstep.csv")
    losses = pd.read_csv(FOLDER / "lockstep-losses.csv")
    losses["gap"] = (losses.cmhbench_loss - losses.official_loss).abs() / losses.official_loss
    rows = []
    for r in runs.itertuples():
        run = losses[
            (losses.dataset == r.dataset) & (losses.bits == r.bits) & (losses.seed == r.seed)
        ]
        gaps = run.sort_values("step")["gap"].to_numpy()
        first_epoch = gaps[: r.steps // r.epochs]
        rows.append(
            [
                r.dataset,
                r.bits,
                r.seed,
                r.steps,
                f"{first_epoch.max():.0e}",
                f"{gaps.max():.0e}",
                f"{gaps[-1]:.0e}",
                f"{r.equal_bits:.3f}",
                f"{r.official_i2t:.3f} / {r.official_t2i:.3f}",
                f"{r.cmhbench_i2t:.3f} / {r.cmhbench_t2i:.3f}",
            ]
        )
    headers = [
        "data",
        "bits",
        "seed",
        "steps",
        "loss gap, first epoch",
        "largest loss gap",
        "loss gap, last step",
        "equal code bits, end",
        "official I->T / T->I",
        "cmhbench I->T / T->I",
    ]
    return tabulate(rows, headers, tablefmt="github", disable_numparse=True)


def speed_line(official: pd.DataFrame, ours: pd.DataFrame) -> str:
    """Median training seconds per epoch (warm-up epoch left out) of both, per data set."""
    parts = []
    for dataset in DATASETS:
        medians = [
            frame[(frame.dataset == dataset) & (frame.epoch > 0)]["train_s"].median()
            for frame in (official, ours)
        ]
        parts.append(
            f"{dataset}: {medians[1]:.2f} s against {medians[0]:.2f} s "
            f"({medians[0] / medians[1]:.1f}x)"
        )
    return "; ".join(parts)


def page() -> str:
    """The README's text, from the CSVs and the records as they are."""
    official = official_epochs()
    epochs = pd.read_csv(FOLDER / "cmhbench-epochs.csv")
    finals = cmhbench_finals()
    last_epoch = official.epoch.max()
    kept = official[official.kept]
    lockstep = pd.read_csv(FOLDER / "lockstep.csv")
    gaps = pd.concat(
        [(lockstep[f"cmhbench_{d}"] - lockstep[f"official_{d}"]).abs() for d in DIRECTIONS]
    )
    lines = [
        "# UCCH against its official code on identical arrays",
        "",
        "Written by `python results/summarise_ucch_fidelity.py` (its docstring names the",
        "inputs); cmhbench's cells: `cmhbench run --config results/ucch-fidelity.toml`. The",
        "official code (penghu-cs/UCCH @ 0c20e62) ran on the same arrays, patched only to run",
        "(CPU device, `torch.load(..., weights_only=False)`, torchvision optional, a data",
        "branch reading the arrays, the seed from the environment) and to dump each epoch's",
        "codes; `tests/test_ucch_fidelity.py` says how. Both: seeds 0-4 at the official",
        "README's settings (cmhbench's defaults), one process at a time on 2 CPU threads;",
        "mAP@all of the query set against the retrieval set, every number scored by",
        "cmhbench's metric (ties by retrieval index). The official code's `sign` leaves an",
        "exact zero at 0; four of its 840 dumped code sets (runs by epochs) hold one such",
        "bit, read as +1 here, as cmhbench binarises its own outputs.",
        "",
        "cmhbench keeps the last epoch. The official code keeps the epoch with the best mAP",
        "on its labelled training set: the last one in "
        + ", ".join(
            f"{int((kept[kept.dataset == d].epoch == last_epoch).sum())} of "
            f"{int((kept.dataset == d).sum())} {d} runs"
            for d in DATASETS
        )
        + "; the tables compare with its last epoch and show its kept one beside it.",
        "Verdict: cmhbench's mean within 0.02 of the official mean, or inside the range of",
        "the official seeds (the acceptance rule of `tests/test_ucch_fidelity.py`); Welch's",
        "t-test of the two sets of five seeds.",
    ]
    for dataset, title in DATASETS.items():
        lines += [
            "",
            f"## {title}",
            "",
            "Final codes:",
            "",
            final_table(dataset, official, finals),
            "",
            "Mean over the five seeds, per epoch, and the largest gap between the two mean",
            "curves with the seeds' standard deviation at that epoch:",
            "",
            curve_table(dataset, official, epochs),
        ]
        if dataset == "uci-mfeat-raw":
            lines += [
                "",
                f"The official code's own seed ({CODE_SEED}), at the epoch it keeps, against",
                "its seeds 0-4 at theirs:",
                "",
                code_seed_table(dataset),
                "",
                "The one-seed run this README quoted before gave 0.653 / 0.689 at 16 bits and",
                "0.731 / 0.730 at 32 for this seed (the code's own metric). Its per-epoch curve",
                "is this run's to within 0.004 at every epoch at 32 bits, and to within 0.008",
                "at epoch 10, the one 16-bit epoch it lists: the same random stream, with float",
                "rounding of another torch build amplified over 140 steps. At 16 bits that alone",
                "moved the final mAP by 0.02.",
            ]
    lines += [
        "",
        "## Lockstep: the same initial weights, bank, batches and negatives",
        "",
        "cmhbench's UCCH started from an official run's initial weights and memory bank",
        "and fed, step by step, the batches and negative indices that run drew (it dumps",
        "them). Loss gaps are relative (|cmhbench - official| / official, per step; one",
        "float32 rounding step is 6e-8); codes and mAP are the last epoch's:",
        "",
        lockstep_table(),
        "",
        "Through the first epoch the two losses differ by at most a few rounding steps:",
        "the same function of the same inputs, computed in another order (torch's fused",
        "Adam against its default one, `logsumexp` against `exp().sum().log()`). Over the",
        "following steps those roundings grow (as between two torch builds for seed 123), and",
        "the final codes part in a few percent of their bits; mAP then differs by at most",
        f"{gaps.max():.3f}, inside the seeds' spread. What remains between the two codes",
        "is their random streams.",
        "",
        "## Speed",
        "",
        "Median training time per epoch, warm-up left out, cmhbench against the official",
        "code in the runs above: " + speed_line(official, epochs) + ".",
    ]
    return "\n".join(lines) + "\n"


def readme_table() -> str:
    """The raw uci-mfeat comparison, as the top-level README shows it."""
    return final_table("uci-mfeat-raw", official_epochs(), cmhbench_finals()) + "\n"


def with_readme_table(text: str) -> str:
    """The top-level README's text with the block between the markers rewritten."""
    head, rest = text.split(README_START, 1)
    return head + README_START + readme_table() + README_END + rest.split(README_END, 1)[1]


def main() -> None:
    path = FOLDER / "README.md"
    path.write_text(page(), encoding="utf-8")
    readme = HERE.parent / "README.md"
    readme.write_text(with_readme_table(readme.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {path} and the table in {readme}")


if __name__ == "__main__":
    main()
