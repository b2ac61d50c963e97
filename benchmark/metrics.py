"""Retrieval metrics for binary codes: the one definition every method is scored by.

Definitions (both directions, image->text and text->image, use the same code):

* Hamming distance d = (L - <b_q, b_r>) / 2, computed by popcount on packed bits.
* An item is relevant to a query when they share at least one label.
* Ranking: by distance, ties broken by retrieval-set index (a stable sort, as
  MATLAB's ``sort`` in the DCMH reference code), so results never depend on the
  sort implementation.
* AP@K of a query: the mean, over the relevant items within the first K, of the
  precision at each such item's rank; normalised by the number of relevant items
  inside the top K (the DCMH/DJSRH convention). mAP@all is AP with K = |retrieval|.
  A query with no relevant item has AP 0 (``zero_relevant='count'``, as DCMH, SSAH,
  DJSRH and DGCPN); ``zero_relevant='exclude'`` leaves such queries out of the mean
  as UCCH's code does: for mAP@all the queries with no relevant item in the retrieval
  set, and for mAP@K (as in UCCH's code) those with no relevant item among their first
  K. Every result records which policy it used. Each query's AP@all is kept
  (``RetrievalMetrics.query_ap``, NaN for a query the policy leaves out), so paired
  statistics over queries (:mod:`cmhbench.stats`) never need the codes again.
* Tie-aware mAP@all: the expected AP when items at equal distance come in random
  order (McSherry & Najork, ECIR 2008), in closed form from per-distance counts.
* Precision-recall by Hamming radius r = 0..L, micro-averaged over all
  query-retrieval pairs (DCMH's ``calcPreRecRadiusLabel``): precision(r) = relevant
  pairs within distance r / all pairs within r (undefined, ``None``, when no pair
  is that close); recall(r) = relevant pairs within r / all relevant pairs.
* Precision@K: relevant items among the first K, divided by K, averaged over
  queries. K larger than the retrieval set is clipped to its size.

Implementation: each query is one O(n) pass that buckets the retrieval set by
distance (no n log n sort, no query-by-retrieval matrix, memory O(n) per thread);
numba runs queries in parallel on the CPU. Codes on a CUDA device take a torch
path (matmul distances, stable sort) in bounded query chunks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

import numpy as np

from cmhbench.errors import CmhbenchError

ZeroRelevantPolicy = Literal["count", "exclude"]
Backend = Literal["auto", "numba", "torch"]
DEFAULT_MAP_K: tuple[int, ...] = (50, 100, 500, 1000)
DEFAULT_TOPK: tuple[int, ...] = (1, 10, 50, 100, 200, 500, 1000, 2000, 5000)
METRICS_VERSION = 1


class DirectionMetrics(TypedDict):
    """One direction's metrics as records store them (JSON): K keys as strings, values
    that are undefined (NaN) as None."""

    map: float | None
    map_tie_aware: float | None
    map_at_k: dict[str, float | None]
    precision_at_k: dict[str, float | None]
    pr_curve: dict[str, list[Any]]
    n_queries: int
    n_retrieval: int
    queries_without_relevant: int
    zero_relevant: ZeroRelevantPolicy


@dataclass
class RetrievalMetrics:
    """All metrics of one retrieval direction."""

    map: float
    map_tie_aware: float
    map_at_k: dict[int, float]
    precision_at_k: dict[int, float]
    pr_curve: dict[str, list]
    n_queries: int
    n_retrieval: int
    queries_without_relevant: int
    zero_relevant: ZeroRelevantPolicy = "count"
    query_ap: np.ndarray | None = None  # AP@all per query, NaN where left out of the mean

    def to_dict(self) -> DirectionMetrics:
        """JSON-ready: K keys as strings, NaN as None."""
        return {
            "map": _clean(self.map),
            "map_tie_aware": _clean(self.map_tie_aware),
            "map_at_k": {str(k): _clean(v) for k, v in self.map_at_k.items()},
            "precision_at_k": {str(k): _clean(v) for k, v in self.precision_at_k.items()},
            "pr_curve": {key: [_clean(v) for v in vals] for key, vals in self.pr_curve.items()},
            "n_queries": self.n_queries,
            "n_retrieval": self.n_retrieval,
            "queries_without_relevant": self.queries_without_relevant,
            "zero_relevant": self.zero_relevant,
        }


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return float(value) if isinstance(value, (float, np.floating)) else value


# ----------------------------------------------------------------------------- inputs


def to_sign_codes(codes: Any, what: str = "codes") -> np.ndarray:
    """Validate codes given as {-1,+1} or {0,1} (any integer or bool dtype) -> int8 ±1."""
    array = np.asarray(codes)
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
        raise CmhbenchError(f"{what} must be a non-empty 2-D array, got shape {array.shape}")
    if array.dtype.kind == "f":
        if not np.isfinite(array).all():
            raise CmhbenchError(f"{what} contain NaN or infinite values")
    elif array.dtype.kind not in "iub":
        raise CmhbenchError(f"{what} must be numeric, got dtype {array.dtype}")
    values = np.unique(array)
    if np.isin(values, (-1, 1)).all():
        return array.astype(np.int8)
    if np.isin(values, (0, 1)).all():
        return (2 * array.astype(np.int8) - 1).astype(np.int8)
    shown = ", ".join(str(v) for v in values[:5])
    raise CmhbenchError(f"{what} must hold only -1/+1 or 0/1 values, found {shown}")


def to_multi_hot(labels: Any, what: str = "labels") -> np.ndarray:
    """Validate 0/1 labels (n, c) -> uint8."""
    array = np.asarray(labels)
    if array.ndim == 1:
        raise CmhbenchError(f"{what} must be multi-hot (n, c); got a 1-D array of class ids")
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
        raise CmhbenchError(f"{what} must be a non-empty 2-D array, got shape {array.shape}")
    if not np.isin(np.unique(array), (0, 1)).all():
        raise CmhbenchError(f"{what} must hold only 0/1 values")
    return array.astype(np.uint8)


def pack_bits(bits01: np.ndarray) -> np.ndarray:
    """Pack rows of 0/1 (or bool) into uint64 words, (n, ceil(m / 64))."""
    packed = np.packbits(np.asarray(bits01, dtype=bool), axis=1, bitorder="little")
    pad = (-packed.shape[1]) % 8
    if pad:
        packed = np.pad(packed, ((0, 0), (0, pad)))
    return np.ascontiguousarray(packed).view(np.uint64)


# ----------------------------------------------------------------------------- GPU path


def _rank_statistics_torch(
    q: Any,
    r: Any,
    ql: Any,
    rl: Any,
    nbits: int,
    ks: np.ndarray,
    device: Any,
    chunk_elements: int = 2**25,
) -> tuple[np.ndarray, ...]:
    """The same statistics as the CPU kernel, with torch (for codes on a GPU).

    Queries go in chunks of ``chunk_elements`` query-item pairs (about 1 GB of
    device memory at the default); counts are int32, sums float64.
    """
    import torch

    qf, rf, qlf, rlf = (
        torch.as_tensor(a, device=device, dtype=torch.float32) for a in (q, r, ql, rl)
    )
    n = rf.shape[0]
    ks_t = torch.as_tensor(ks, device=device, dtype=torch.long)
    ranks = torch.arange(1, n + 1, device=device, dtype=torch.float64)
    rows = max(1, chunk_elements // n)
    outputs: list[list] = [[], [], [], [], []]
    for start in range(0, qf.shape[0], rows):
        dist = ((nbits - qf[start : start + rows] @ rf.T) / 2).round().to(torch.int16)
        rel = (qlf[start : start + rows] @ rlf.T) > 0
        rel_sorted = rel.gather(1, torch.sort(dist, dim=1, stable=True).indices)
        hits = torch.cumsum(rel_sorted, 1, dtype=torch.int32)
        precision_at_rel = torch.where(rel_sorted, hits / ranks, 0.0)
        ap_all = precision_at_rel.sum(1) / hits[:, -1].clamp(min=1)
        index = dist.long()
        hist = torch.zeros(len(index), nbits + 1, device=device, dtype=torch.int32)
        rel_hist = hist.clone().scatter_add_(1, index, rel.int())
        hist.scatter_add_(1, index, torch.ones_like(index, dtype=torch.int32))
        ap_k = torch.cumsum(precision_at_rel, 1)[:, ks_t - 1]
        rel_k = hits[:, ks_t - 1]
        for out, value in zip(outputs, (ap_all, hist, rel_hist, ap_k, rel_k), strict=True):
            out.append(value.cpu().numpy())
    aps, counts, relevant, aps_at_k, hits_at_k = (np.concatenate(o) for o in outputs)
    return (
        aps,
        counts.astype(np.int64),
        relevant.astype(np.int64),
        aps_at_k,
        hits_at_k.astype(np.int64),
    )


# ----------------------------------------------------------------------------- aggregation


def tie_aware_ap(hist: np.ndarray, rel_hist: np.ndarray) -> np.ndarray:
    """Expected AP@all per query under random order within equal distances.

    For a tie group of n_d items with r_d relevant, preceded by N items of which R
    are relevant, a relevant item at group position p has expected precision
    (R + 1 + (p - 1)(r_d - 1)/(n_d - 1)) / (N + p), and each position holds a relevant
    item with probability r_d / n_d. Sums over p are differences of harmonic numbers.
    """
    from scipy.special import digamma  # here: importing cmhbench.metrics stays light

    n_d = hist.astype(np.float64)
    r_d = rel_hist.astype(np.float64)
    before = np.cumsum(n_d, axis=1) - n_d
    rel_before = np.cumsum(r_d, axis=1) - r_d

    def harmonic(m: np.ndarray) -> np.ndarray:
        return digamma(m + 1.0) + np.euler_gamma

    inv_sum = harmonic(before + n_d) - harmonic(before)  # sum_p 1/(N+p)
    offset_sum = n_d - (before + 1.0) * inv_sum  # sum_p (p-1)/(N+p)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(n_d > 0, r_d / n_d, 0.0)
        spread = np.where(n_d > 1, (r_d - 1.0) / (n_d - 1.0), 0.0)
    expected = share * ((rel_before + 1.0) * inv_sum + spread * offset_sum)
    total_rel = r_d.sum(axis=1)
    return np.where(total_rel > 0, expected.sum(axis=1) / np.maximum(total_rel, 1), 0.0)


def _per_query(values: np.ndarray, keep: np.ndarray, policy: ZeroRelevantPolicy) -> np.ndarray:
    """``values`` with the queries ``policy`` leaves out of the mean as NaN."""
    return np.where(keep, values, np.nan) if policy == "exclude" else values.astype(np.float64)


def _mean(values: np.ndarray, keep: np.ndarray, policy: ZeroRelevantPolicy) -> float:
    if policy == "exclude":
        values = values[keep]
    return float(values.mean()) if values.size else float("nan")


def evaluate_codes(
    query_codes: Any,
    retrieval_codes: Any,
    query_labels: Any,
    retrieval_labels: Any,
    *,
    map_k: tuple[int, ...] = DEFAULT_MAP_K,
    topk: tuple[int, ...] = DEFAULT_TOPK,
    zero_relevant: ZeroRelevantPolicy = "count",
    device: Any = None,
    backend: Backend = "auto",
) -> RetrievalMetrics:
    """Score one retrieval direction.

    Args:
        query_codes: (n_q, L) codes in {-1,+1} or {0,1}; a numpy array or a tensor.
        retrieval_codes: (n_r, L) codes of the items searched.
        query_labels: (n_q, c) multi-hot labels.
        retrieval_labels: (n_r, c) multi-hot labels.
        map_k: the K of each reported mAP@K.
        topk: the K of each reported precision@K.
        zero_relevant: 'count' (AP 0) or 'exclude' queries with nothing relevant.
        device: a torch device for the torch path; defaults to the codes' device.
        backend: 'numba' (the CPU kernel), 'torch', or 'auto': torch when the device
            is a CUDA device, else numba.

    Returns:
        A :class:`RetrievalMetrics`.
    """
    if zero_relevant not in ("count", "exclude"):
        raise CmhbenchError(f"zero_relevant must be 'count' or 'exclude', got {zero_relevant!r}")
    device = _pick_device(device, query_codes)
    on_gpu = device is not None and getattr(device, "type", "cpu") == "cuda"
    use_torch = backend == "torch" or (backend == "auto" and on_gpu)
    q = to_sign_codes(_numpy(query_codes), "query codes")
    r = to_sign_codes(_numpy(retrieval_codes), "retrieval codes")
    ql = to_multi_hot(_numpy(query_labels), "query labels")
    rl = to_multi_hot(_numpy(retrieval_labels), "retrieval labels")
    if q.shape[1] != r.shape[1]:
        raise CmhbenchError(
            f"query codes have {q.shape[1]} bits but retrieval codes have {r.shape[1]} "
            "(one row per item: is one of them transposed?)"
        )
    for codes, labels, what in ((q, ql, "query"), (r, rl, "retrieval")):
        if codes.shape[0] != labels.shape[0]:
            raise CmhbenchError(
                f"{what} codes have {codes.shape[0]} rows but {what} labels have {labels.shape[0]}"
            )
    if ql.shape[1] != rl.shape[1]:
        raise CmhbenchError(
            f"query labels have {ql.shape[1]} columns but retrieval labels have {rl.shape[1]}"
        )
    for labels, what in ((ql, "query"), (rl, "retrieval")):
        if not labels.any():
            raise CmhbenchError(f"{what} labels are all zero: nothing can be relevant")
    for name, ks in (("map_k", map_k), ("topk", topk)):
        if any(int(k) < 1 for k in ks):
            raise CmhbenchError(f"{name} values must be positive integers, got {list(ks)}")
    n_r, nbits = r.shape
    wanted = sorted({int(k) for k in (*map_k, *topk)})
    effective = np.array(sorted({min(k, n_r) for k in wanted}), dtype=np.int64)
    if use_torch:
        stats = _rank_statistics_torch(q, r, ql, rl, nbits, effective, device or "cpu")
    else:
        from cmhbench._kernels import rank_statistics  # numba loads on first use

        stats = rank_statistics(
            pack_bits(q > 0), pack_bits(r > 0), pack_bits(ql), pack_bits(rl), nbits, effective
        )
    ap_all, hist, rel_hist, ap_k_sum, rel_k = stats
    n_rel = rel_hist.sum(axis=1)
    has_rel = n_rel > 0
    column = {int(k): j for j, k in enumerate(effective)}

    map_at_k = {}
    for k in map_k:
        j = column[min(int(k), n_r)]
        ap = np.where(rel_k[:, j] > 0, ap_k_sum[:, j] / np.maximum(rel_k[:, j], 1), 0.0)
        map_at_k[int(k)] = _mean(ap, rel_k[:, j] > 0, zero_relevant)
    precision_at_k = {
        int(k): float((rel_k[:, column[min(int(k), n_r)]] / min(int(k), n_r)).mean()) for k in topk
    }
    within = hist.sum(axis=0).cumsum()
    rel_within = rel_hist.sum(axis=0).cumsum()
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(within > 0, rel_within / np.maximum(within, 1), np.nan)
    recall = rel_within / rel_within[-1] if rel_within[-1] > 0 else np.zeros(nbits + 1)
    return RetrievalMetrics(
        map=_mean(ap_all, has_rel, zero_relevant),
        map_tie_aware=_mean(tie_aware_ap(hist, rel_hist), has_rel, zero_relevant),
        map_at_k=map_at_k,
        precision_at_k=precision_at_k,
        pr_curve={
            "radius": list(range(nbits + 1)),
            "precision": [float(p) for p in precision],
            "recall": [float(x) for x in recall],
        },
        n_queries=int(q.shape[0]),
        n_retrieval=int(n_r),
        queries_without_relevant=int((~has_rel).sum()),
        zero_relevant=zero_relevant,
        query_ap=_per_query(ap_all, has_rel, zero_relevant),
    )


def _numpy(value: Any) -> Any:
    """Tensors (on any device) to numpy; anything else unchanged."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        return value.detach().cpu().numpy()
    return value


def _pick_device(device: Any, codes: Any) -> Any:
    if device is None:
        return getattr(codes, "device", None) if hasattr(codes, "detach") else None
    if isinstance(device, str):
        import torch

        return torch.device(device)
    return device


def evaluate_both_directions(
    codes: dict[str, np.ndarray],
    query_labels: np.ndarray,
    retrieval_labels: np.ndarray,
    **options: Any,
) -> dict[str, RetrievalMetrics]:
    """i2t (image queries, text retrieval set) and t2i (the reverse).

    Args:
        codes: {'image_query', 'text_query', 'image_retrieval', 'text_retrieval'}.
        query_labels, retrieval_labels: multi-hot labels of the two parts.
        **options: passed to :func:`evaluate_codes`.
    """
    return {
        "i2t": evaluate_codes(
            codes["image_query"], codes["text_retrieval"], query_labels, retrieval_labels, **options
        ),
        "t2i": evaluate_codes(
            codes["text_query"], codes["image_retrieval"], query_labels, retrieval_labels, **options
        ),
    }
