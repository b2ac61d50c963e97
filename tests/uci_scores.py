"""Train a method on uci-mfeat and score it, for comparisons with the authors' code."""

from __future__ import annotations

from cmhbench.datasets import load_dataset
from cmhbench.method import Method
from cmhbench.metrics import evaluate_both_directions


def uci_mfeat_maps(method: Method, seed: int = 0) -> dict[str, float]:
    """mAP@all of ``method`` trained on uci-mfeat's training part, both directions."""
    data = load_dataset("uci-mfeat")
    method.fit(data.part("train", with_labels=method.uses_labels), seed=seed)
    codes = {
        f"{m}_{part}": method.encode(data.part(part).features(m), m)
        for part in ("query", "retrieval")
        for m in ("image", "text")
    }
    scores = evaluate_both_directions(
        codes, data.labels[data.query_idx], data.labels[data.retrieval_idx]
    )
    return {direction: scores[direction].map for direction in ("i2t", "t2i")}
