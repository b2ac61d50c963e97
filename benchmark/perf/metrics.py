"""``python -m cmhbench.perf eval``: mAP@all on a NUS-WIDE-sized problem (2,100
queries, 186,577 retrieval items, 64 bits, 21 labels, random codes and labels) with
:func:`cmhbench.metrics.evaluate_codes` (which also computes every other metric in the
same pass) against a straightforward per-query reference: inner products, a stable
argsort per query, cumulative precision. Both must agree.
"""

from __future__ import annotations

import resource
import time

import click
import numpy as np


def reference_map(q: np.ndarray, r: np.ndarray, ql: np.ndarray, rl: np.ndarray) -> np.ndarray:
    """AP@all per query, the textbook way (one matrix-vector product and sort per query)."""
    bits = q.shape[1]
    rf = r.astype(np.float32)
    rlf = rl.astype(np.float32)
    aps = np.zeros(q.shape[0])
    for i in range(q.shape[0]):
        distance = (bits - rf @ q[i].astype(np.float32)) / 2
        order = np.argsort(distance, kind="stable")
        relevant = (rlf @ ql[i].astype(np.float32) > 0)[order]
        hits = np.cumsum(relevant)
        if hits[-1]:
            ranks = np.flatnonzero(relevant) + 1
            aps[i] = np.mean(hits[relevant] / ranks)
    return aps


def random_problem(n_query: int, n_retrieval: int, bits: int, n_labels: int, seed: int):
    rng = np.random.default_rng(seed)
    signs = np.array([-1, 1], dtype=np.int8)
    q = rng.choice(signs, size=(n_query, bits))
    r = rng.choice(signs, size=(n_retrieval, bits))
    ql = (rng.random((n_query, n_labels)) < 0.15).astype(np.uint8)
    rl = (rng.random((n_retrieval, n_labels)) < 0.15).astype(np.uint8)
    return q, r, ql, rl


@click.command("eval")
@click.option("--queries", default=2100, show_default=True)
@click.option("--retrieval", default=186_577, show_default=True)
@click.option("--bits", default=64, show_default=True)
@click.option("--labels", default=21, show_default=True)
@click.option("--repeats", default=3, show_default=True, help="Best of N for the fast path.")
@click.option(
    "--reference-queries",
    default=None,
    type=int,
    help="Time the reference on this many queries and scale up (default: all).",
)
def eval_benchmark(
    queries: int,
    retrieval: int,
    bits: int,
    labels: int,
    repeats: int,
    reference_queries: int | None,
) -> None:
    """mAP@all: cmhbench.metrics against the per-query reference."""
    from cmhbench.metrics import evaluate_codes

    q, r, ql, rl = random_problem(queries, retrieval, bits, labels, seed=0)
    start = time.perf_counter()
    evaluate_codes(q[:2], r[:10], ql[:2], rl[:10])
    warmup = time.perf_counter() - start
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fast = evaluate_codes(q, r, ql, rl, zero_relevant="count")
        times.append(time.perf_counter() - start)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n_ref = min(reference_queries or queries, queries)
    start = time.perf_counter()
    reference = reference_map(q[:n_ref], r, ql[:n_ref], rl)
    reference_s = (time.perf_counter() - start) * queries / n_ref
    scaled = f" (scaled from {n_ref} queries)" if n_ref < queries else ""
    fast_s = min(times)
    click.echo(
        f"problem: {queries} queries x {retrieval} retrieval items, {bits} bits, {labels} labels"
    )
    click.echo(f"cmhbench.metrics (all metrics, one pass): {fast_s:.3f} s (best of {repeats})")
    click.echo(f"  kernel warm-up (compile or cache load):  {warmup:.3f} s")
    click.echo(f"  peak resident memory of the process:     {peak_mb:.0f} MiB")
    click.echo(f"per-query reference (mAP@all only):       {reference_s:.3f} s{scaled}")
    click.echo(f"speed-up: {reference_s / fast_s:.1f}x")
    if n_ref == queries:
        fast_map = float(fast.map)
        ref_map = float(reference.mean())
        click.echo(f"mAP@all agrees: {fast_map:.6f} vs {ref_map:.6f}")
        if abs(fast_map - ref_map) > 1e-9:
            raise click.ClickException("the fast path and the reference disagree")
