"""Deliberately slow, obviously correct metrics: the oracle the fast code is tested against.

Every quantity is computed from its definition, one query at a time, with Python
sorting and plain loops. The tie-aware AP is checked by brute force over every
order of the tied items.
"""

from __future__ import annotations

import itertools
import math

import numpy as np


def ranking(query_code, retrieval_codes):
    """Retrieval indices ordered by Hamming distance, ties by index; and the distances."""
    distances = [int(np.sum(query_code != code)) for code in retrieval_codes]
    order = sorted(range(len(distances)), key=lambda i: (distances[i], i))
    return order, distances


def relevant(query_labels, retrieval_labels):
    return [bool(np.any(query_labels & item)) for item in retrieval_labels]


def average_precision(relevance_in_order, k):
    hits, precisions = 0, []
    for rank, is_relevant in enumerate(relevance_in_order[:k], start=1):
        if is_relevant:
            hits += 1
            precisions.append(hits / rank)
    return sum(precisions) / hits if hits else 0.0, hits


def slow_metrics(q, r, ql, rl, map_k, topk, zero_relevant="count"):
    """Every metric of cmhbench.metrics, by definition."""
    n = len(r)
    aps, per_query, ap_k = [], [], {k: [] for k in map_k}
    prec_k = {k: [] for k in topk}
    nbits = q.shape[1]
    within = np.zeros(nbits + 1)
    rel_within = np.zeros(nbits + 1)
    for code, labels in zip(q, ql, strict=True):
        order, dist = ranking(code, r)
        rel = relevant(labels, rl)
        in_order = [rel[i] for i in order]
        ap, hits = average_precision(in_order, n)
        if hits or zero_relevant == "count":
            aps.append(ap)
        per_query.append(ap if hits or zero_relevant == "count" else math.nan)
        for k in map_k:
            ap, hits = average_precision(in_order, k)
            if hits or zero_relevant == "count":
                ap_k[k].append(ap)
        for k in topk:
            kk = min(k, n)
            prec_k[k].append(sum(in_order[:kk]) / kk)
        for radius in range(nbits + 1):
            close = [i for i in range(n) if dist[i] <= radius]
            within[radius] += len(close)
            rel_within[radius] += sum(rel[i] for i in close)
    precision = [rel_within[t] / within[t] if within[t] else None for t in range(nbits + 1)]
    recall = list(rel_within / rel_within[-1]) if rel_within[-1] else [0.0] * (nbits + 1)
    return {
        "map": float(np.mean(aps)) if aps else math.nan,
        "query_ap": per_query,
        "map_at_k": {k: float(np.mean(v)) if v else math.nan for k, v in ap_k.items()},
        "precision_at_k": {k: float(np.mean(v)) for k, v in prec_k.items()},
        "precision": precision,
        "recall": recall,
    }


def brute_force_tie_aware_ap(distances, relevance):
    """Mean AP over every ordering of each tie group (small inputs only)."""
    groups = {}
    for i, d in enumerate(distances):
        groups.setdefault(d, []).append(i)
    per_group_orders = [list(itertools.permutations(groups[d])) for d in sorted(groups)]
    total, count = 0.0, 0
    for combo in itertools.product(*per_group_orders):
        order = [i for group in combo for i in group]
        ap, _ = average_precision([relevance[i] for i in order], len(order))
        total += ap
        count += 1
    return total / count
