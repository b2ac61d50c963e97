"""The fast metrics against the slow oracle in reference_metrics.py."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch
from reference_metrics import brute_force_tie_aware_ap, slow_metrics

from cmhbench.errors import CmhbenchError
from cmhbench.metrics import evaluate_both_directions, evaluate_codes, tie_aware_ap

MAP_K = (1, 5, 40, 1000)  # 1000 is larger than every retrieval set below
TOPK = (1, 3, 17, 500)


def random_problem(seed: int, n_q: int = 25, n_r: int = 70, bits: int = 5, n_labels: int = 5):
    """Few bits, so most items tie; sparse labels, so some queries have nothing relevant."""
    rng = np.random.default_rng(seed)
    q = rng.choice(np.array([-1, 1], np.int8), size=(n_q, bits))
    r = rng.choice(np.array([-1, 1], np.int8), size=(n_r, bits))
    ql = (rng.random((n_q, n_labels)) < 0.15).astype(np.uint8)
    rl = (rng.random((n_r, n_labels)) < 0.25).astype(np.uint8)
    ql[0] = 0  # a query with no label, so nothing is relevant to it
    return q, r, ql, rl


def assert_matches_oracle(result, oracle):
    assert result.map == pytest.approx(oracle["map"], abs=1e-12, nan_ok=True)
    assert result.query_ap == pytest.approx(oracle["query_ap"], abs=1e-12, nan_ok=True)
    for k in MAP_K:
        assert result.map_at_k[k] == pytest.approx(oracle["map_at_k"][k], abs=1e-12, nan_ok=True)
    for k in TOPK:
        assert result.precision_at_k[k] == pytest.approx(oracle["precision_at_k"][k], abs=1e-12)
    for fast, slow in zip(result.pr_curve["precision"], oracle["precision"], strict=True):
        if slow is None:
            assert math.isnan(fast)
        else:
            assert fast == pytest.approx(slow, abs=1e-12)
    assert result.pr_curve["recall"] == pytest.approx(oracle["recall"], abs=1e-12)


@pytest.mark.parametrize("backend", ["numba", "torch"])
@pytest.mark.parametrize("policy", ["count", "exclude"])
@pytest.mark.parametrize("seed", range(4))
def test_every_metric_matches_the_slow_oracle(seed, policy, backend):
    q, r, ql, rl = random_problem(seed)
    result = evaluate_codes(
        q, r, ql, rl, map_k=MAP_K, topk=TOPK, zero_relevant=policy, backend=backend
    )
    oracle = slow_metrics(q, r, ql, rl, MAP_K, TOPK, policy)
    assert result.queries_without_relevant >= 1
    assert_matches_oracle(result, oracle)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("bits", [5, 70])
def test_torch_backend_on_cuda_matches_the_slow_oracle(bits):
    q, r, ql, rl = random_problem(11, bits=bits)
    on_gpu = [torch.as_tensor(a, device="cuda") for a in (q, r, ql, rl)]
    result = evaluate_codes(*on_gpu, map_k=MAP_K, topk=TOPK, backend="auto")
    assert_matches_oracle(result, slow_metrics(q, r, ql, rl, MAP_K, TOPK))


def test_longer_codes_use_several_words():
    q, r, ql, rl = random_problem(7, bits=70)  # 70 bits span two 64-bit words
    result = evaluate_codes(q, r, ql, rl, map_k=MAP_K, topk=TOPK)
    assert_matches_oracle(result, slow_metrics(q, r, ql, rl, MAP_K, TOPK))


def test_many_labels_use_several_words():
    q, r, ql, rl = random_problem(8, n_labels=130)
    result = evaluate_codes(q, r, ql, rl, map_k=MAP_K, topk=TOPK)
    assert_matches_oracle(result, slow_metrics(q, r, ql, rl, MAP_K, TOPK))


def test_scoring_on_the_cpu_keeps_torchs_thread_count():
    """numba's OpenMP layer shares torch's libgomp; a run limited to one thread must
    not train on every core after its first evaluation."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        evaluate_codes(*random_problem(4), backend="numba")
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(threads)


def test_zero_one_codes_give_the_same_result_as_signs():
    q, r, ql, rl = random_problem(3)
    signs = evaluate_codes(q, r, ql, rl)
    zero_one = evaluate_codes((q > 0).astype(np.uint8), (r > 0).astype(np.uint8), ql, rl)
    assert signs.to_dict() == zero_one.to_dict()


@pytest.mark.parametrize("seed", range(6))
def test_tie_aware_map_is_the_mean_over_all_tie_orders(seed):
    rng = np.random.default_rng(seed)
    distances = rng.integers(0, 3, size=7)
    relevance = rng.random(7) < 0.5
    relevance[0] = True
    hist = np.bincount(distances, minlength=4)[None]
    rel_hist = np.bincount(distances, weights=relevance, minlength=4).astype(np.int64)[None]
    expected = brute_force_tie_aware_ap(list(distances), list(relevance))
    assert tie_aware_ap(hist, rel_hist)[0] == pytest.approx(expected, abs=1e-12)


def test_tie_aware_map_equals_map_without_ties():
    # Codes at distinct distances from the single query: no ties, one ordering.
    bits = 6
    q = np.ones((1, bits), np.int8)
    r = np.array([[1] * (bits - d) + [-1] * d for d in (3, 0, 5, 1, 6, 2, 4)], np.int8)
    rl = np.array([[1], [0], [1], [1], [0], [0], [1]], np.uint8)
    result = evaluate_codes(q, r, np.ones((1, 1), np.uint8), rl)
    assert result.map_tie_aware == pytest.approx(result.map, abs=1e-12)


def test_stable_tie_break_by_retrieval_index():
    # All items tie; ranking is by index, so the relevant item at index 1 has rank 2.
    q = np.ones((1, 4), np.int8)
    r = np.ones((3, 4), np.int8)
    rl = np.array([[0], [1], [0]], np.uint8)
    result = evaluate_codes(q, r, np.ones((1, 1), np.uint8), rl, map_k=(1,), topk=(1, 2))
    assert result.map == pytest.approx(0.5)
    assert result.map_at_k[1] == 0.0
    assert result.precision_at_k[2] == pytest.approx(0.5)
    assert result.map_tie_aware == pytest.approx((1 + 1 / 2 + 1 / 3) / 3)


def test_directions_use_the_right_codes():
    rng = np.random.default_rng(0)
    labels = (rng.random((60, 4)) < 0.3).astype(np.uint8)
    good = np.where(labels @ rng.standard_normal((4, 16)) > 0, 1, -1).astype(np.int8)
    noise = rng.choice(np.array([-1, 1], np.int8), size=(60, 16))
    codes = {  # image codes informative, text codes random: i2t != t2i
        "image_query": good[:20],
        "text_query": noise[:20],
        "image_retrieval": good[20:],
        "text_retrieval": noise[20:],
    }
    both = evaluate_both_directions(codes, labels[:20], labels[20:])
    i2t = evaluate_codes(good[:20], noise[20:], labels[:20], labels[20:])
    t2i = evaluate_codes(noise[:20], good[20:], labels[:20], labels[20:])
    assert both["i2t"].map == i2t.map and both["t2i"].map == t2i.map
    assert both["i2t"].map != both["t2i"].map


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a: {**a, "q": a["q"][:, :3]}, "bits"),
        (lambda a: {**a, "ql": a["ql"][:4]}, "rows"),
        (lambda a: {**a, "rl": a["rl"][:, :2]}, "columns"),
        (lambda a: {**a, "q": a["q"] * 2}, "-1/+1 or 0/1"),
        (lambda a: {**a, "q": a["q"].astype(float) * np.nan}, "NaN"),
        (lambda a: {**a, "rl": a["rl"] * 3}, "0/1"),
        (lambda a: {**a, "r": a["r"][:0]}, "non-empty"),
        (lambda a: {**a, "ql": a["ql"][:, 0]}, "multi-hot"),
    ],
)
def test_bad_inputs_fail_with_a_clear_message(change, message):
    q, r, ql, rl = random_problem(0)
    args = change({"q": q, "r": r, "ql": ql, "rl": rl})
    with pytest.raises(CmhbenchError, match=re.escape(message)):
        evaluate_codes(args["q"], args["r"], args["ql"], args["rl"])


def test_non_positive_k_is_rejected():
    q, r, ql, rl = random_problem(0)
    with pytest.raises(CmhbenchError, match="positive"):
        evaluate_codes(q, r, ql, rl, map_k=(0,))


@pytest.mark.parametrize("backend", ["numba", "torch"])
def test_map_alone_needs_no_k_lists(backend):
    q, r, ql, rl = random_problem(5)
    result = evaluate_codes(q, r, ql, rl, map_k=(), topk=(), backend=backend)
    assert result.map == pytest.approx(slow_metrics(q, r, ql, rl, (), ())["map"], abs=1e-12)
    assert result.map_at_k == {} and result.precision_at_k == {}


def test_exclude_at_k_leaves_out_queries_with_nothing_relevant_in_their_first_k():
    """As UCCH's code: a query whose relevant items all rank below K is left out of
    mAP@K under 'exclude' (counted as 0 under 'count'), but it still counts at mAP@all."""
    query_codes = np.array([[1, 1], [1, 1]], np.int8)
    retrieval_codes = np.array([[1, 1], [1, -1], [-1, -1]], np.int8)  # distances 0, 1, 2
    query_labels = np.array([[1, 0], [0, 1]], np.uint8)
    retrieval_labels = np.array([[1, 0], [1, 0], [0, 1]], np.uint8)  # query 1: rank 3 only
    found = {
        policy: evaluate_codes(
            query_codes, retrieval_codes, query_labels, retrieval_labels,
            map_k=(1,), topk=(1,), zero_relevant=policy,
        ).to_dict()
        for policy in ("count", "exclude")
    }  # fmt: skip
    assert found["exclude"]["map_at_k"]["1"] == 1.0  # query 0 alone
    assert found["count"]["map_at_k"]["1"] == 0.5
    assert found["exclude"]["map"] == found["count"]["map"] == (1.0 + 1 / 3) / 2
