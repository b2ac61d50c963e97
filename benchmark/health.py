"""Code health: whether a cell's codes can rank anything, read from the codes alone.

A method can fail silently: every text item the same code, or bits that never change.
Its mAP is then a number like any other in a table, close to what constant codes
score. Every record therefore carries, for each of its four code sets (image and text,
query and retrieval part):

* ``distinct``: how many different codes the set holds (of ``items``);
* ``bit_balance``: the mean over bits of |mean of the bit's +-1 values|: 0 when every
  bit splits the set in half, 1 when every bit is constant;
* ``constant_bits``: bits with one value over the whole set;

and the cell's floors, both mAP@all under the record's own protocol:

* ``constant_map``: what constant codes score under the suite's tie-break (equal
  distances ranked by retrieval index), i.e. what a fully collapsed run reports;
* ``chance_map``: the expected mAP@all of a ranking that carries no information (the
  tie-aware mAP of constant codes, McSherry and Najork's closed form); random codes
  score this in expectation (within 0.001 on the embedded sets, 16-64 bits).

The rule (:func:`is_degenerate`): a set is degenerate when it has fewer distinct codes
than 1% of its items (and always when it has one), or when more than half of its bits
are constant. Healthy codes are far from both: on ``uci-mfeat`` at 16 bits they have
hundreds of distinct codes among 1,800 items and no constant bit. A cell is degenerate
when any of its sets is; its status stays ``ok`` (a collapse is the method's result),
and tables mark it.
"""

from __future__ import annotations

import math
from typing import Literal, TypedDict

import numpy as np

from cmhbench import metrics
from cmhbench.metrics import ZeroRelevantPolicy

#: How tables and runs count a cell with degenerate codes: marked ('flag', its status
#: stays ok) or as a failed seed ('fail').
DegeneratePolicy = Literal["flag", "fail"]
DEGENERATE_POLICIES: tuple[DegeneratePolicy, ...] = ("flag", "fail")
CODE_SETS = ("image_query", "text_query", "image_retrieval", "text_retrieval")
DISTINCT_SHARE = 0.01  # fewer distinct codes than this share of the items: degenerate
CONSTANT_SHARE = 0.5  # more constant bits than this share of the bits: degenerate
RULE = (
    "fewer distinct codes than 1% of a set's items, or more than half of its bits "
    "constant, in a modality's query or retrieval codes"
)


class CodeSetHealth(TypedDict):
    items: int
    distinct: int
    bit_balance: float
    constant_bits: int


class CodeHealth(TypedDict):
    sets: dict[str, CodeSetHealth]
    degenerate: list[str]  # the sets that break the rule, in CODE_SETS order
    constant_map: float | None
    chance_map: float | None


def code_set_health(codes: np.ndarray) -> CodeSetHealth:
    """The statistics of one set of codes (one row per item, +-1 or 0/1)."""
    signs = metrics.to_sign_codes(codes, "codes")
    bit_means = signs.mean(axis=0, dtype=np.float64)
    packed = np.packbits(signs > 0, axis=1)
    rows = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1])))
    return {
        "items": int(signs.shape[0]),
        "distinct": int(np.unique(rows).size),
        "bit_balance": float(np.abs(bit_means).mean()),
        "constant_bits": int((np.abs(bit_means) == 1.0).sum()),
    }


def is_degenerate(stats: CodeSetHealth, bits: int) -> bool:
    """The rule of the module docstring."""
    too_few = stats["distinct"] < max(2, math.ceil(DISTINCT_SHARE * stats["items"]))
    return too_few or stats["constant_bits"] > CONSTANT_SHARE * bits


def code_health(
    codes: dict[str, np.ndarray],
    query_labels: np.ndarray,
    retrieval_labels: np.ndarray,
    zero_relevant: ZeroRelevantPolicy,
) -> CodeHealth:
    """The health of a cell's four code sets and its floors (see the module docstring)."""
    sets = {name: code_set_health(codes[name]) for name in CODE_SETS}
    bits = int(np.asarray(codes[CODE_SETS[0]]).shape[1])
    constant = metrics.evaluate_codes(
        np.ones((len(query_labels), 1), np.int8),
        np.ones((len(retrieval_labels), 1), np.int8),
        query_labels,
        retrieval_labels,
        map_k=(1,),
        topk=(1,),
        zero_relevant=zero_relevant,
    ).to_dict()
    return {
        "sets": sets,
        "degenerate": [name for name in CODE_SETS if is_degenerate(sets[name], bits)],
        "constant_map": constant["map"],
        "chance_map": constant["map_tie_aware"],
    }


def describe(health: CodeHealth, bits: int) -> str:
    """The degenerate sets in words, e.g. 'text retrieval: 1 distinct code of 1800,
    16 of 16 bits constant'; '' for healthy codes."""
    parts = []
    for name in health["degenerate"]:
        stats = health["sets"][name]
        codes = "code" if stats["distinct"] == 1 else "codes"
        parts.append(
            f"{name.replace('_', ' ')}: {stats['distinct']} distinct {codes} of "
            f"{stats['items']}, {stats['constant_bits']} of {bits} bits constant"
        )
    return "; ".join(parts)
