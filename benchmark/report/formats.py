"""A :class:`~cmhbench.report.tables.PaperTable` printed: console (plain, best marked '*',
second '+'), GitHub markdown (bold, underlined), LaTeX (pandas Styler, booktabs, a
``table*`` that fits the text width) and csv (tidy, one row per cell, with mean,
std, seeds, rank, degenerate seeds and, where computed, the 95% interval and the
p-value against the column's best). Published rows carry a mark and a footnote
citing their source; a value that averages a seed with degenerate codes
(:mod:`cmhbench.health`) carries '!' and a footnote stating the rule; a run not
significantly below its column's best carries '≈' and a footnote naming the test and
its level. Every format names the table's retrieval protocol
(:mod:`cmhbench.protocols`): in the title or caption and a footnote, and in a csv
column.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import pandas as pd
from tabulate import tabulate

from cmhbench.errors import CmhbenchError
from cmhbench.health import RULE
from cmhbench.protocols import NATIVE_KINDS
from cmhbench.report.names import dataset_label, method_label
from cmhbench.report.published import source
from cmhbench.report.tables import PaperTable
from cmhbench.stats.paired import ALPHA, TEST_NAME

FORMATS = ("console", "markdown", "latex", "csv")
LATEX_DIRECTIONS = {"i2t": r"Image$\rightarrow$Text", "t2i": r"Text$\rightarrow$Image"}
SOURCE_MARKS = ("\u2020", "\u2021", "\u00a7", "\u00b6")  # dagger, double dagger, section, pilcrow
LATEX_MARKS = (r"$^{\dagger}$", r"$^{\ddagger}$", r"$^{\S}$", r"$^{\P}$")
LATEX_PACKAGES = ("booktabs", "multirow", "adjustbox")
DEGENERATE_MARK, LATEX_DEGENERATE_MARK = "!", "$^{!}$"
DEGENERATE_NOTE = (
    f"codes degenerate in at least one seed ({RULE}): the value may be what collapsed "
    "codes score; 'cmhbench cells' lists these cells."
)
TIED_MARK, LATEX_TIED_MARK = "\u2248", "$^{\\approx}$"  # almost equal to
TIED_NOTE = (
    f"not significantly below the column's best at level {ALPHA}: {TEST_NAME} over the "
    "column, on each query's AP@all."
)


def render(
    table: PaperTable, fmt: str, *, caption: str | None = None, label: str | None = None
) -> str:
    """The table in one of :data:`FORMATS`."""
    if fmt == "csv":
        return to_csv(table)
    if fmt == "latex":
        return to_latex(table, caption=caption, label=label)
    if fmt in ("console", "markdown"):
        return to_text(table, markdown=fmt == "markdown")
    raise CmhbenchError(f"unknown table format {fmt!r}: expected one of {', '.join(FORMATS)}")


def _row_label(key: tuple, marks: Sequence[str], sources: list[str]) -> str:
    _, method, src = key
    name = method_label(method)
    return name if not src else f"{name}{marks[sources.index(src)]}"


def protocol_note(table: PaperTable) -> str:
    """One line on the table's retrieval protocol, naming the methods that a native
    table scores otherwise than the suite."""
    if table.protocol == "suite":
        return (
            "Suite protocol: every query and database item is hashed by its own "
            "modality's hash function."
        )
    if not table.native:
        return "Native protocol: each method as its authors' code scores it, here as the suite."
    kinds: dict[str, list[str]] = {}
    for method, kind in table.native.items():
        kinds.setdefault(kind, []).append(method_label(method))
    described = "; ".join(
        f"{', '.join(methods)}: {NATIVE_KINDS[kind]}" for kind, methods in kinds.items()
    )
    return (
        f"Native protocol: each method as its authors' code scores it ({described}); "
        "the others as the suite."
    )


def _title(table: PaperTable, single: bool) -> str:
    dataset = f", {dataset_label(table.mean.columns[0][0])}" if single else ""
    return f"{table.metric.label}{dataset}, {table.protocol} protocol"


def _footnotes(
    table: PaperTable,
    marks: Sequence[str],
    escape: Callable[[str], str] = str,
    degenerate_mark: str = DEGENERATE_MARK,
    tied_mark: str = TIED_MARK,
) -> list[str]:
    """The protocol's line, one line per published source (its mark, citation and
    protocol), one for degenerate codes when the table has any, one for the
    significance mark and one for the interval where shown (``escape``d)."""
    notes = [escape(protocol_note(table))]
    notes += [
        f"{mark} published: {escape(source(key).citation)} ({escape(source(key).protocol)})."
        for mark, key in zip(marks, table.sources, strict=False)
    ]
    if table.has_degenerate():
        notes.append(f"{degenerate_mark} {escape(DEGENERATE_NOTE)}")
    if table.has_statistics():
        notes.append(f"{tied_mark} {escape(TIED_NOTE)}")
    if table.interval == "bootstrap":
        notes.append(
            escape("[low, high]: 95% interval of the mean, bootstrap over seeds and queries.")
        )
    if table.lacking:
        notes.append(
            escape(
                f"{table.lacking} cell(s) without statistics: a seed's record has no "
                "per-query AP ('cmhbench eval --recompute' adds it)."
            )
        )
    return notes


def to_text(table: PaperTable, *, markdown: bool) -> str:
    """Console (plain, best marked '*', second '+') or GitHub markdown (bold, <u>)."""
    single = len(table.mean.columns.get_level_values(0).unique()) == 1
    short = {"i2t": "I->T", "t2i": "T->I"}
    new_line = "<br>" if markdown else "\n"
    headers = ["", "method"] + [
        f"{short[d]} {b}" if single else f"{dataset_label(ds)}{new_line}{short[d]} {b}"
        for ds, d, b in table.mean.columns
    ]
    body, previous_group = [], None
    for key in table.mean.index:
        group = key[0] if key[0] != previous_group else ""
        previous_group = key[0]
        cells = []
        for column in table.mean.columns:
            mean, spread = table.cell_parts(key, column)
            joint = " ± " if table.interval == "std" else " "
            text = f"{mean}{joint}{spread}" if spread else mean
            place = table.rank.at[key, column]
            if place and markdown:
                text = f"**{text}**" if place == 1 else f"<u>{text}</u>"
            elif place:
                text += "*" if place == 1 else "+"
            if table.degenerate.at[key, column]:
                text += DEGENERATE_MARK
            if table.not_below_best(key, column):
                text += TIED_MARK
            cells.append(text)
        body.append([group, _row_label(key, SOURCE_MARKS, table.sources), *cells])
    title = _title(table, single)
    text = tabulate(
        body, headers=headers, tablefmt="github" if markdown else "simple", disable_numparse=True
    )
    if markdown:
        legend = "Bold: best, underlined: second best per column (measured rows)."
        lines = [f"{title}", "", text, "", legend, *_footnotes(table, SOURCE_MARKS)]
    else:
        legend = "*: best, +: second best per column (measured rows)."
        lines = [title, text, legend, *_footnotes(table, SOURCE_MARKS)]
    return "\n".join(lines) + "\n"


def to_csv(table: PaperTable) -> str:
    """Tidy CSV: one row per (method row, column) with mean, std, seeds, rank, the
    number of averaged seeds whose codes are degenerate and, where computed, the 95%
    bootstrap interval and the Holm-adjusted p-value against the column's best."""
    long = pd.concat(
        {
            "mean": table.mean.stack([0, 1, 2], future_stack=True),
            "std": table.std.stack([0, 1, 2], future_stack=True),
            "seeds": table.seeds.stack([0, 1, 2], future_stack=True),
            "rank": table.rank.stack([0, 1, 2], future_stack=True),
            "degenerate_seeds": table.degenerate.stack([0, 1, 2], future_stack=True),
            **{
                name: frame.stack([0, 1, 2], future_stack=True)
                for name, frame in (
                    ("interval_low", table.low),
                    ("interval_high", table.high),
                    ("p_vs_best_holm", table.p_best),
                )
                if frame is not None
            },
        },
        axis=1,
    )
    long.index.names = ["group", "method", "source", "dataset", "direction", "bits"]
    long = long.reset_index()
    long = long[long["seeds"].gt(0) | long["mean"].notna()]
    long.insert(0, "protocol", table.protocol)
    long.insert(0, "metric", table.metric.label)
    return long.to_csv(index=False, float_format=f"%.{table.precision + 3}f")


def to_latex(table: PaperTable, *, caption: str | None = None, label: str | None = None) -> str:
    """A booktabs ``table*`` through pandas' Styler; packages listed in a comment on top.

    The float spans both columns of a two-column paper (UCCH's Tables 1-2 do), and the
    tabular shrinks to the text width when wider (adjustbox's ``max width``), never grows.
    The std is printed small after the mean (``0.702{\\scriptsize$\\pm$0.004}``);
    published rows carry a mark and a footnote under the tabular.
    """
    columns = pd.MultiIndex.from_tuples(
        [
            (_escape(dataset_label(ds)), LATEX_DIRECTIONS[d], str(b))
            for ds, d, b in table.mean.columns
        ]
    )
    index = pd.MultiIndex.from_tuples(
        [(key[0], _escape(_row_label(key, LATEX_MARKS, table.sources))) for key in table.mean.index]
    )
    cells = pd.DataFrame(
        [
            [_latex_cell(table, key, column) for column in table.mean.columns]
            for key in table.mean.index
        ],
        index=index,
        columns=columns,
    )
    styles = {1: "textbf:--rwrap;", 2: "underline:--rwrap;", 0: ""}
    props = pd.DataFrame(
        [[styles[int(v)] for v in row] for row in table.rank.to_numpy()],
        index=index,
        columns=columns,
    )
    latex = cells.style.apply(lambda _: props, axis=None).to_latex(
        hrules=True,
        environment="table*",
        position_float="centering",
        caption=caption
        or f"{table.metric.label} of cross-modal retrieval ({table.protocol} protocol).",
        label=label,
        column_format="ll" + "c" * len(columns),
        multicol_align="c",
        clines="skip-last;data",
    )
    latex = _group_rules(latex)
    latex = latex.replace(
        "\\begin{tabular}", "\\begin{adjustbox}{max width=\\textwidth}\n\\begin{tabular}"
    ).replace("\\end{tabular}", "\\end{tabular}\n\\end{adjustbox}")
    footnotes = _footnotes(table, LATEX_MARKS, _escape_text, LATEX_DEGENERATE_MARK, LATEX_TIED_MARK)
    notes = [rf"\par\footnotesize{{{note}}}" for note in footnotes]
    if notes:
        latex = latex.replace("\\end{table*}", "\n".join(notes) + "\n\\end{table*}")
    header = "% Requires: " + " ".join(rf"\usepackage{{{p}}}" for p in LATEX_PACKAGES)
    return f"{header}\n{latex}"


def _latex_cell(table: PaperTable, row: tuple, column: tuple) -> str:
    mean, spread = table.cell_parts(row, column)
    mark = LATEX_DEGENERATE_MARK if table.degenerate.at[row, column] else ""
    mark += LATEX_TIED_MARK if table.not_below_best(row, column) else ""
    if not spread:
        return f"{mean}{mark}"
    if table.interval == "std":
        return rf"{mean}{{\scriptsize$\pm${spread}}}{mark}"
    return rf"{mean}{{\scriptsize{spread}}}{mark}"


def _group_rules(latex: str) -> str:
    """Booktabs rules between row groups instead of Styler's \\cline (none before \\bottomrule)."""
    latex = re.sub(r"\\cline\{[^}]*\}\n\\bottomrule", r"\\bottomrule", latex)
    return re.sub(r"\\cline\{[^}]*\}", r"\\midrule", latex)


def _escape(text: str) -> str:
    """LaTeX-escape a name, keeping math-mode marks ($...$) intact."""
    parts = re.split(r"(\$[^$]*\$)", text)
    return "".join(part if part.startswith("$") else _escape_text(part) for part in parts)


def _escape_text(text: str) -> str:
    replacements = {
        "\\": r"\textbackslash{}",
        "&": r"\&",
        "%": r"\%",
        "#": r"\#",
        "_": r"\_",
        "{": r"\{",
        "}": r"\}",
        "~": r"\textasciitilde{}",
        "^": r"\textasciicircum{}",
    }
    return "".join(replacements.get(ch, ch) for ch in text)
