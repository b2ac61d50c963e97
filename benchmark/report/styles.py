"""A method's colour and marker, the same in every figure and on the results site:
both follow its position among the registered method names (then any other names,
sorted)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# seaborn's colorblind palette with its two pale entries (light pink, yellow) replaced
# by dark magenta and black: pale lines are hard to read on white paper.
COLOURS = (
    "#0173b2",
    "#de8f05",
    "#029e73",
    "#d55e00",
    "#cc78bc",
    "#ca9161",
    "#a23582",
    "#949494",
    "#000000",
    "#56b4e9",
)
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "*", "h", "p")
#: plotly's names of the markers above, for the results site.
PLOTLY_SYMBOLS = {
    "o": "circle",
    "s": "square",
    "^": "triangle-up",
    "D": "diamond",
    "v": "triangle-down",
    "P": "cross",
    "X": "x",
    "<": "triangle-left",
    ">": "triangle-right",
    "*": "star",
    "h": "hexagon",
    "p": "pentagon",
}


def method_styles(methods: Iterable[str]) -> dict[str, tuple[Any, str]]:
    """{method: (colour, marker)}, fixed by the method's place among all known names."""
    from cmhbench.registry import METHODS

    registered = METHODS.names()
    names = registered + sorted(set(methods) - set(registered))
    return {
        name: (COLOURS[i % len(COLOURS)], MARKERS[i % len(MARKERS)]) for i, name in enumerate(names)
    }
