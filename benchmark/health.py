"""Code health: whether a cell's codes can rank anything, read from the codes alone.

A method can fail silently: every text item the same code, or bits that never change.
Its mAP is then a number like any other in a table, close to what constant codes
score. Every record therefore carries, for each of its four code sets (image and text,
query and retrieval part):

* ``distinct``: how many different codes the set holds (of ``items``, whose labels
  form ``label_sets`` distinct label vectors);
* ``bit_balance``: the mean over bits of |mean of the bit's +-1 values|: 0 when every
  bit splits the set in half, 1 when every bit is constant;
* ``constant_bits``: bits with one value over the whole set;

and the cell's floors, both mAP@all under the record's own protocol:

* ``constant_map``: what constant codes score under the suite's tie-break (equal
  distances ranked by retrieval index), i.e. what a fully collapsed run reports;
* ``chance_map``: the expected mAP@all of a ranking that carries no information (the
  tie-aware mAP of constant codes, McSherry and Najork's closed form); random codes
  score this in expectation (within 0.001 on the embedded sets, 16-64 bits).

The rule (:func:`is_degenerate`): a set is degenerate when it holds fewer distinct
codes than 1% of its items or than the distinct label sets among them, whichever is
smaller, and always when it holds one code. The label term keeps a good supervised
method legal: on ``uci-mfeat`` (10 classes) SSAH gives each class about one code, 11-16
distinct text codes among 1,800 items, at mAP 0.96. Constant bits are reported but do
not decide: long codes on few classes leave many bits constant (on ``uci-mfeat`` at 128
bits, SSAH 65-86 of them with mAP 0.89-0.96, FOMH 58-73 with mAP 0.72-0.75). A cell is
degenerate when any of its sets is; its status stays ``ok`` (a collapse is the method's
result), and tables mark it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal, TypedDict

import numpy as np

from cmhbench import metrics
from cmhbench.metrics import ZeroRelevantPolicy

#: How tables and runs count a cell with degenerate codes: marked ('flag', its status
#: stays ok) or as a failed seed ('fail').
DegeneratePolicy = Literal["flag", "fail"]
DEGENERATE_POLICIES: tuple[DegeneratePolicy, ...] = ("flag", "fail")
CODE_SETS = ("image_query", "text_query", "image_retrieval", "text_retrieval")
DISTINCT_SHARE = 0.01  # fewer distinct codes than this share of the items: degenerate
RULE = (
    "fewer distinct codes than 1% of a set's items or than its distinct label sets, "
    "whichever is smaller, in a modality's query or retrieval codes"
)


class CodeSetHealth(TypedDict):
    items: int
    label_sets: int  # distinct label vectors among the items
    distinct: int
    bit_balance: float
    constant_bits: int


class CodeHealth(TypedDict):
    sets: dict[str, CodeSetHealth]
    degenerate: list[str]  # the sets that break the rule, in CODE_SETS order
    constant_map: float | None
    chance_map: float | None


def code_set_health(codes: np.ndarray, labels: np.ndarray) -> CodeSetHealth:
    """The statistics of one set of codes (one row per item, +-1 or 0/1) whose items
    have the multi-hot ``labels``."""
    signs = metrics.to_sign_codes(codes, "codes")
    bit_means = signs.mean(axis=0, dtype=np.float64)
    return {
        "items": int(signs.shape[0]),
        "label_sets": _distinct_rows(metrics.to_multi_hot(labels) > 0),
        "distinct": _distinct_rows(signs > 0),
        "bit_balance": float(np.abs(bit_means).mean()),
        "constant_bits": int((np.abs(bit_means) == 1.0).sum()),
    }


def _distinct_rows(bits: np.ndarray) -> int:
    packed = np.ascontiguousarray(np.packbits(bits, axis=1))
    return int(np.unique(packed.view(np.dtype((np.void, packed.shape[1])))).size)


def is_degenerate(stats: CodeSetHealth) -> bool:
    """The rule of the module docstring."""
    enough = min(math.ceil(DISTINCT_SHARE * stats["items"]), stats["label_sets"])
    return stats["distinct"] < max(2, enough)


def code_health(
    codes: dict[str, np.ndarray],
    query_labels: np.ndarray,
    retrieval_labels: np.ndarray,
    zero_relevant: ZeroRelevantPolicy,
) -> CodeHealth:
    """The health of a cell's four code sets and its floors (see the module docstring)."""
    labels = {"query": query_labels, "retrieval": retrieval_labels}
    sets = {name: code_set_health(codes[name], labels[name.split("_")[1]]) for name in CODE_SETS}
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
        "degenerate": [name for name in CODE_SETS if is_degenerate(sets[name])],
        "constant_map": constant["map"],
        "chance_map": constant["map_tie_aware"],
    }


def describe(health: CodeHealth, bits: int) -> str:
    """The degenerate sets in words, e.g. 'text retrieval: 1 distinct code for 1800
    items of 10 label sets, 16 of 16 bits constant'; '' for healthy codes."""
    parts = []
    for name in health["degenerate"]:
        stats = health["sets"][name]
        codes = "code" if stats["distinct"] == 1 else "codes"
        parts.append(
            f"{name.replace('_', ' ')}: {stats['distinct']} distinct {codes} for "
            f"{stats['items']} items of {stats['label_sets']} label sets, "
            f"{stats['constant_bits']} of {bits} bits constant"
        )
    return "; ".join(parts)


def is_degenerate_record(record: Mapping[str, Any]) -> bool:
    """Whether a finished record's codes break the rule (False for an unfinished record
    or one made before code health)."""
    found = record.get("code_health")
    return record.get("status") == "ok" and bool(found and found["degenerate"])


def degenerate_description(record: Mapping[str, Any]) -> str:
    """A finished record's degenerate code sets in words (:func:`describe`); '' when
    :func:`is_degenerate_record` says no."""
    return describe(record["code_health"], record["bits"]) if is_degenerate_record(record) else ""
