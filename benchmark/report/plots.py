"""Figures from result records: precision-recall, mAP against code length, precision@K,
and the critical-difference diagram of average ranks across a grid's cases.

Every function takes a tidy frame and returns a matplotlib ``Figure`` built
without pyplot (no global state, no GUI backend), so a script can restyle or
save it as it likes::

    import cmhbench
    found = cmhbench.read_records("results/reference")
    fig = cmhbench.pr_figure(cmhbench.pr_frame(found), dataset="uci-mfeat", bits=64)
    fig.savefig("pr.pdf")

A method keeps the same colour and marker in every figure: both follow its
position among the registered method names (then any other names, sorted).
Sizes fit the full text width of a two-column paper (7 in); one panel per
retrieval direction; the legend sits above the panels so it never hides a line.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import ScalarFormatter

from cmhbench.report.frames import DIRECTIONS, of_methods
from cmhbench.report.names import dataset_label, method_label
from cmhbench.report.styles import method_styles
from cmhbench.stats.ranks import RankTest

WIDTH_IN = 7.0
HEIGHT_IN = 2.7
CONTEXTS = ("paper", "notebook", "talk", "poster")
LEGEND_COLUMNS = 5  # at most, so nine method names fit the width


def pr_figure(
    frame: pd.DataFrame,
    *,
    dataset: str,
    bits: int,
    methods: Sequence[str] | None = None,
    context: str = "paper",
) -> Figure:
    """Precision against recall by Hamming radius (UCCH Fig. 5 style), seeds averaged
    per radius; radii where no pair lies within the radius have no precision."""
    chosen = _chosen(frame, dataset, methods)
    chosen = chosen[chosen["bits"] == bits]
    if chosen.empty:
        raise ValueError(f"no precision-recall points for {dataset} at {bits} bits")
    curves = (
        chosen.groupby(["method", "direction", "radius"])[["precision", "recall"]]
        .mean()
        .dropna()
        .reset_index()
    )
    return _panels(
        curves,
        x="recall",
        y="precision",
        title=f"{dataset_label(dataset)}, {bits} bits{_protocol(frame)}",
        context=context,
        sort=False,
        markevery=max(1, bits // 8),
        xlim=(0, 1.02),
    )


def bits_figure(
    frame: pd.DataFrame,
    *,
    dataset: str,
    metric: str = "map",
    label: str = "mAP@all",
    methods: Sequence[str] | None = None,
    context: str = "paper",
) -> Figure:
    """A metric (a ``records_frame`` metric without K) against code length, mean over
    seeds with a +-1 standard deviation band."""
    chosen = _chosen(frame, dataset, methods)
    chosen = chosen[(chosen["status"] == "ok") & (chosen["metric"] == metric)]
    if chosen.empty:
        raise ValueError(f"no {label} values for {dataset}")
    chosen = chosen.rename(columns={"value": label})
    figure = _panels(
        chosen,
        x="bits",
        y=label,
        title=dataset_label(dataset) + _protocol(frame),
        context=context,
        errorbar="sd",
    )
    for axis in figure.axes:
        axis.set_xscale("log", base=2)
        ticks = sorted(chosen["bits"].unique())
        axis.set_xticks(ticks, [str(t) for t in ticks])
        axis.minorticks_off()
        axis.set_xlabel("code length (bits)")
    return figure


def topk_figure(
    frame: pd.DataFrame,
    *,
    dataset: str,
    bits: int,
    methods: Sequence[str] | None = None,
    context: str = "paper",
) -> Figure:
    """precision@K against K (log scale), mean over seeds; K beyond the retrieval
    set's size is left out."""
    chosen = _chosen(frame, dataset, methods)
    chosen = chosen[
        (chosen["status"] == "ok")
        & (chosen["metric"] == "precision_at_k")
        & (chosen["bits"] == bits)
        & (chosen["k"] <= chosen["n_retrieval"])
    ]
    if chosen.empty:
        raise ValueError(f"no precision@K values for {dataset} at {bits} bits")
    chosen = chosen.rename(columns={"value": "precision@K", "k": "K"})
    figure = _panels(
        chosen,
        x="K",
        y="precision@K",
        title=f"{dataset_label(dataset)}, {bits} bits{_protocol(frame)}",
        context=context,
    )
    for axis in figure.axes:
        axis.set_xscale("log")
        axis.xaxis.set_major_formatter(ScalarFormatter())
    return figure


def _protocol(frame: pd.DataFrame) -> str:
    """', native protocol' for a frame of native scores (suite figures say nothing)."""
    native = "protocol" in frame and frame["protocol"].eq("native").any()
    return ", native protocol" if native else ""


def _chosen(frame: pd.DataFrame, dataset: str, methods: Sequence[str] | None) -> pd.DataFrame:
    return of_methods(frame[frame["dataset"] == dataset], methods)


def _panels(
    data: pd.DataFrame,
    *,
    x: str,
    y: str,
    title: str,
    context: str,
    errorbar: Any = None,
    **line_options: Any,
) -> Figure:
    """One panel per direction, one line per method, a shared legend above."""
    if context not in CONTEXTS:
        raise ValueError(f"unknown style {context!r}: expected one of {', '.join(CONTEXTS)}")
    xlim = line_options.pop("xlim", None)
    methods = sorted(data["method"].unique())
    styles = method_styles(methods)
    with sns.plotting_context(context), sns.axes_style("ticks"):
        # Sizes are for a paper; larger contexts get a proportionally larger canvas.
        scale = (
            sns.plotting_context(context)["font.size"] / sns.plotting_context("paper")["font.size"]
        )
        figure = Figure(figsize=(WIDTH_IN * scale, HEIGHT_IN * scale), layout="constrained")
        axes = figure.subplots(1, len(DIRECTIONS), sharey=True)
        for axis, (direction, name) in zip(axes, DIRECTIONS.items(), strict=True):
            sns.lineplot(
                data=data[data["direction"] == direction],
                x=x,
                y=y,
                hue="method",
                style="method",
                hue_order=methods,
                style_order=methods,
                palette={m: styles[m][0] for m in methods},
                markers={m: styles[m][1] for m in methods},
                dashes=False,
                errorbar=errorbar,
                legend=axis is axes[0],
                ax=axis,
                **line_options,
            )
            axis.set_title(name.replace("->", " \u2192 "))
            axis.grid(True, alpha=0.3)
            if xlim:
                axis.set_xlim(*xlim)
            sns.despine(ax=axis)
        handles, labels = axes[0].get_legend_handles_labels()
        axes[0].get_legend().remove()
        figure.legend(
            handles,
            [method_label(name) for name in labels],
            loc="outside upper center",
            ncol=math.ceil(len(labels) / math.ceil(len(labels) / LEGEND_COLUMNS)),  # even rows
            frameon=False,
            title=title,
        )
    return figure


def cd_figure(test: RankTest, *, title: str, context: str = "paper") -> Figure:
    """Critical-difference diagram (Demšar 2006) of a :class:`RankTest`: runs by
    average rank (1 = best, on the left), runs that the Nemenyi test cannot tell apart
    joined by a bar; the title gives the cases, Friedman's p and the critical difference."""
    import scikit_posthocs

    if context not in CONTEXTS:
        raise ValueError(f"unknown style {context!r}: expected one of {', '.join(CONTEXTS)}")
    labels = {run: method_label(run) for run in test.mean_ranks.index}
    ranks = test.mean_ranks.rename(index=labels)
    significance = test.nemenyi.rename(index=labels, columns=labels)
    styles = method_styles(list(labels))
    with sns.plotting_context(context), sns.axes_style("white"):
        scale = (
            sns.plotting_context(context)["font.size"] / sns.plotting_context("paper")["font.size"]
        )
        height = 1.2 + 0.16 * math.ceil(len(ranks) / 2)
        figure = Figure(figsize=(WIDTH_IN * scale, height * scale), layout="constrained")
        axis = figure.subplots()
        scikit_posthocs.critical_difference_diagram(
            ranks,
            significance,
            alpha=test.alpha,
            ax=axis,
            color_palette={labels[run]: styles[run][0] for run in labels},
            label_fmt_left="{label} ({rank:.2f})",
            label_fmt_right="({rank:.2f}) {label}",
        )
        axis.set_title(title, fontsize="medium")
    return figure
