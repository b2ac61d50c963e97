"""Train a method on uci-mfeat and score it, for comparisons with the authors' code."""

from __future__ import annotations

from cmhbench.datasets import load_dataset
from cmhbench.method import Method, encode_parts
from cmhbench.metrics import evaluate_both_directions
from cmhbench.protocols import Protocol, native_codes


def uci_mfeat_maps(
    method: Method, seed: int = 0, protocol: Protocol = "suite", pair: str = "pix-fou"
) -> dict[str, float]:
    """mAP@all of ``method`` trained on the training part of uci-mfeat's view ``pair``
    (image-text), both directions, under ``protocol`` (the method's native one, as a
    cell stores it, or the suite's)."""
    image, text = pair.split("-")
    data = load_dataset(f"uci-mfeat:image={image}:text={text}")
    method.fit(data.part("train", with_labels=method.uses_labels), seed=seed)
    codes = encode_parts(method, data)
    if protocol == "native":
        codes, _ = native_codes(method, data, codes)
    scores = evaluate_both_directions(
        codes, data.labels[data.query_idx], data.labels[data.retrieval_idx]
    )
    return {direction: scores[direction].map for direction in ("i2t", "t2i")}
