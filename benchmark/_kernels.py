"""The CPU kernel of :mod:`cmhbench.metrics`, compiled with numba.

Kept in its own module so that numba is imported (and the compiled kernel loaded
from its cache) only when metrics are first computed, not while a model trains.
"""

from __future__ import annotations

import sys

import numba
import numpy as np


@numba.njit(inline="always")
def _popcount64(x: np.uint64) -> np.uint64:  # pragma: no cover - compiled
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return (x * np.uint64(0x0101010101010101)) >> np.uint64(56)


@numba.njit(parallel=True, cache=True, nogil=True)
def rank_statistics_cpu(qcodes, rcodes, qlabels, rlabels, nbits, ks):  # pragma: no cover
    """Per query: AP@all, distance histograms and cumulative AP/relevant counts at each K.

    Ranks are stable (ties by retrieval index). One pass in index order counts, per
    distance d, the items and the relevant items seen so far; for each relevant item
    it keeps d, its position among the items at distance d, and its rank among the
    relevant ones. Once the histogram is complete, the item's rank is (items closer
    than d) + position, and the relevant items ranked up to it are (relevant items
    closer than d) + its relevant rank: no sort, no per-item branch on relevance.
    """
    nq = qcodes.shape[0]
    n = rcodes.shape[0]
    nk = ks.shape[0]
    kmax = ks[nk - 1] if nk > 0 else 0
    ap_all = np.zeros(nq)
    hist = np.zeros((nq, nbits + 1), np.int64)
    rel_hist = np.zeros((nq, nbits + 1), np.int64)
    ap_k = np.zeros((nq, nk))
    rel_k = np.zeros((nq, nk), np.int64)
    for a in numba.prange(nq):
        rel_dist = np.empty(n, np.int32)
        rel_pos = np.empty(n, np.int64)
        rel_rank = np.empty(n, np.int64)
        h = np.zeros(nbits + 1, np.int64)
        rh = np.zeros(nbits + 1, np.int64)
        m = 0  # relevant items so far
        for i in range(n):
            d = 0
            for w in range(qcodes.shape[1]):
                d += _popcount64(qcodes[a, w] ^ rcodes[i, w])
            shared = np.uint64(0)
            for w in range(qlabels.shape[1]):
                shared |= qlabels[a, w] & rlabels[i, w]
            r = 1 if shared != 0 else 0
            h[d] += 1
            rh[d] += r
            rel_dist[m] = d  # overwritten unless the item is relevant
            rel_pos[m] = h[d]
            rel_rank[m] = rh[d]
            m += r
        before = np.zeros(nbits + 1, np.int64)
        rel_before = np.zeros(nbits + 1, np.int64)
        for d in range(1, nbits + 1):
            before[d] = before[d - 1] + h[d - 1]
            rel_before[d] = rel_before[d - 1] + rh[d - 1]
        total = 0.0
        sums_k = np.zeros(nk)
        counts_k = np.zeros(nk, np.int64)
        for t in range(m):
            d = rel_dist[t]
            rank = before[d] + rel_pos[t]
            precision = (rel_before[d] + rel_rank[t]) / rank
            total += precision
            if rank <= kmax:
                j = 0
                while ks[j] < rank:
                    j += 1
                sums_k[j] += precision
                counts_k[j] += 1
        ap_all[a] = total / m if m > 0 else 0.0
        acc_sum = 0.0
        acc_count = 0
        for j in range(nk):
            acc_sum += sums_k[j]
            acc_count += counts_k[j]
            ap_k[a, j] = acc_sum
            rel_k[a, j] = acc_count
        hist[a] = h
        rel_hist[a] = rh
    return ap_all, hist, rel_hist, ap_k, rel_k


def rank_statistics(qcodes, rcodes, qlabels, rlabels, nbits, ks):
    """:func:`rank_statistics_cpu` on at most as many threads as torch uses, with
    torch's thread count left as it was.

    numba's OpenMP threading layer shares torch's libgomp and sets the thread count
    process-wide: after the first evaluation, a process started with
    OMP_NUM_THREADS=1 trained on every core, so two single-threaded runs on two cores
    ran four threads and their cells took up to 4x longer.
    """
    torch = sys.modules.get("torch")
    if torch is None:
        return rank_statistics_cpu(qcodes, rcodes, qlabels, rlabels, nbits, ks)
    threads = torch.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        return rank_statistics_cpu(qcodes, rcodes, qlabels, rlabels, nbits, ks)
    finally:
        torch.set_num_threads(threads)
