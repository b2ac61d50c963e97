"""Per-method cost: one cell of each method, each in a fresh process.

``python -m cmhbench.perf methods`` trains every registered method (or those named)
once on one data set (default ``synthetic:scale=mirflickr25k``, the field's
MIRFlickr-25K sizes; supervised methods get its 5,000 sampled pairs), encodes the
query and retrieval sets, and prints per method the fit time, the encode time, the
time its native protocol's codes take beyond those (``-`` for methods whose native
protocol is the suite's), the peak resident memory (and GPU memory on CUDA) and
mAP@all, so a slow or hungry method shows at the scale of the field's data. Settings
are each method's defaults unless ``--set`` says otherwise (``--set epochs=1`` times
one epoch of every method that has epochs). Each row also carries a hash of the codes,
so two runs (before and after a change) show whether the codes stayed the same.

``--against REV`` also runs each cell with the source of git revision REV of this
checkout (exported to a temporary folder and imported in place of the installed
package), alternating with the working tree's, and prints the ratio of the fit times
and whether the codes are identical: a rewrite for speed is measured against the
implementation it replaces, in one run, on the same machine.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click


def _measure(
    name: str, dataset: str, bits: int, device_spec: str, settings: dict[str, str]
) -> dict:
    """Train and encode one cell in this process; return times, peak memory, mAP and a
    hash of the codes."""
    import numpy as np
    import torch

    from cmhbench.method import encode_parts
    from cmhbench.metrics import evaluate_both_directions
    from cmhbench.registry import get_method
    from cmhbench.run.cell import dataset_views
    from cmhbench.training import resolve_device

    cls = get_method(name)
    device = resolve_device(device_spec)
    data = dataset_views(dataset, None, 0)[cls.info.supervised]
    method = cls(bits, **settings)
    start = time.perf_counter()
    method.fit(data.part("train", with_labels=method.uses_labels), device=str(device), seed=0)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    codes = encode_parts(method, data)
    encode_s = time.perf_counter() - start
    native_s = None
    if cls.info.native != "suite":
        from cmhbench.protocols import native_codes

        start = time.perf_counter()
        native_codes(method, data, codes)
        native_s = time.perf_counter() - start
    scores = evaluate_both_directions(
        codes, data.labels[data.query_idx], data.labels[data.retrieval_idx]
    )
    digest = hashlib.sha256(
        np.concatenate([c.ravel() for c in codes.values()]).tobytes()
    ).hexdigest()
    return {
        "name": name,
        "n_train": len(data.part("train")),
        "fit_s": fit_s,
        "encode_s": encode_s,
        "native_s": native_s,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_gpu_mb": (
            torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None
        ),
        "map": {direction: s.map for direction, s in scores.items()},
        "codes_sha256": digest,
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
    }


REPOSITORY = Path(__file__).resolve().parents[2]
SOURCE_FOLDERS = ("benchmark", "methods", "datasets")


@contextlib.contextmanager
def revision_source(revision: str) -> Iterator[Path]:
    """A folder that imports as ``cmhbench`` from git revision ``revision`` of this
    checkout: the three source folders exported, then laid out as the installed package
    (benchmark/ as cmhbench/, methods/ and datasets/ inside it). Put it first on
    PYTHONPATH."""
    archive = subprocess.run(
        ["git", "-C", str(REPOSITORY), "archive", "--format=tar", revision, *SOURCE_FOLDERS],
        capture_output=True,
    )
    if archive.returncode != 0:
        reason = archive.stderr.decode().strip().splitlines()[-1:] or ["no git checkout"]
        raise click.ClickException(f"--against {revision}: cannot export it ({reason[0]})")
    with tempfile.TemporaryDirectory(prefix="cmhbench-against-") as tmp:
        exported = Path(tmp) / "src"
        exported.mkdir()
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(exported, filter="data")
        package = Path(tmp) / "path" / "cmhbench"
        package.parent.mkdir()
        (exported / "benchmark").rename(package)
        for folder in ("methods", "datasets"):
            (exported / folder).rename(package / folder)
        yield package.parent


def _run_cell(
    name: str, dataset: str, bits: int, device_spec: str, settings: dict, path: Path | None
) -> dict[str, Any]:
    """One cell in a fresh process: this installation's code, or the code under ``path``."""
    command = [sys.executable, "-m", "cmhbench.perf", "methods", "--only", name]
    command += ["--dataset", dataset, "--bits", str(bits), "--device", device_spec]
    command += ["--settings", json.dumps(settings)]
    env = dict(os.environ)
    if path is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(path), env.get("PYTHONPATH")]))
    finished = subprocess.run(command, capture_output=True, text=True, env=env)
    if finished.returncode != 0:
        raise click.ClickException(f"{name} failed: {finished.stderr.strip().splitlines()[-1]}")
    return json.loads(finished.stdout.strip().splitlines()[-1])


def _fastest(kept: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    return new if kept is None or new["fit_s"] < kept["fit_s"] else kept


def _row(label: str, r: dict[str, Any], baseline: dict[str, Any] | None) -> str:
    gpu = "" if r["peak_gpu_mb"] is None else f" {r['peak_gpu_mb']:>9.0f}"
    native = r.get("native_s")  # absent in rows of revisions before native protocols
    native_text = "-" if native is None else f"{native:.2f}"
    row = (
        f"{label:<18} {r['n_train']:>6} {r['fit_s']:>9.1f} {r['encode_s']:>9.2f} "
        f"{native_text:>9} "
        f"{r['peak_mb']:>9.0f}{gpu} {r['map']['i2t']:>8.3f} {r['map']['t2i']:>8.3f}  "
        f"{r['codes_sha256'][:12]}"
    )
    if baseline is None:
        return row
    same = "same codes" if r["codes_sha256"] == baseline["codes_sha256"] else "codes differ"
    return f"{row}  fit speed-up {baseline['fit_s'] / r['fit_s']:.2f}x, {same}"


@click.command()
@click.option("--methods", default=None, help="Comma-separated methods (default: every one).")
@click.option(
    "--dataset", default="synthetic:scale=mirflickr25k", show_default=True, help="Data set."
)
@click.option("--bits", default=128, show_default=True)
@click.option(
    "--device", "device_spec", default="cpu", show_default=True, help="cpu, cuda, cuda:N or auto."
)
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Hyper-parameters.")
@click.option(
    "--against",
    metavar="REV",
    default=None,
    help="Also run each cell with git revision REV's code (the implementation replaced).",
)
@click.option(
    "--repeat",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Fit each cell this many times (alternating with --against) and keep the fastest.",
)
@click.option("--only", default=None, hidden=True)
@click.option("--settings", default="{}", hidden=True)
def methods_benchmark(
    methods: str | None,
    dataset: str,
    bits: int,
    device_spec: str,
    sets: tuple[str, ...],
    against: str | None,
    repeat: int,
    only: str | None,
    settings: str,
) -> None:
    """Fit and encode time, peak memory and mAP of one cell per method."""
    if only:
        click.echo(json.dumps(_measure(only, dataset, bits, device_spec, json.loads(settings))))
        return
    from cmhbench.method import resolve_overrides
    from cmhbench.registry import METHODS, get_method

    names = [n.strip() for n in methods.split(",")] if methods else METHODS.names()
    overrides = resolve_overrides({name: get_method(name) for name in names}, list(sets))
    results: dict[str, dict[str, Any]] = {}
    baselines: dict[str, dict[str, Any]] = {}
    with contextlib.ExitStack() as stack:
        old = stack.enter_context(revision_source(against)) if against else None
        for run in names:
            for _ in range(repeat):
                cell = (run, dataset, bits, device_spec, overrides[run])
                if old is not None:
                    baselines[run] = _fastest(baselines.get(run), _run_cell(*cell, old))
                results[run] = _fastest(results.get(run), _run_cell(*cell, None))
    first = next(iter(results.values()))
    settings = " ".join(sets) or "each method's defaults"
    click.echo(f"{dataset}, {bits} bits, on {first['device']}; settings: {settings}")
    gpu = "" if first["peak_gpu_mb"] is None else f" {'GPU MiB':>9}"
    click.echo(
        f"{'method':<18} {'pairs':>6} {'fit s':>9} {'encode s':>9} {'native s':>9} "
        f"{'peak MiB':>9}{gpu} "
        f"{'mAP i2t':>8} {'mAP t2i':>8}  codes"
    )
    for run, r in results.items():
        if run in baselines:
            click.echo(_row(f"{run}@{against}", baselines[run], None))
        click.echo(_row(run, r, baselines.get(run)))
