"""Loading speed and memory for MIRFlickr-sized feature files.

Writes UCCH-style MIRFlickr files (``XAll`` 20,015 x 4,096 float32, ``YAll`` 20,015 x
1,386, ``LAll`` 20,015 x 24) once as MATLAB v5 and once as v7.3, then loads each
with :func:`cmhbench.datasets.load_dataset` in a fresh process and reports the wall
time and the peak resident memory, also as a multiple of the arrays' own size. The
baseline in the same process is the time of reading XAll's bytes with ``np.fromfile``
(the peak memory counts only the loading, which comes later and is larger).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click
import numpy as np

DIMS = {"XAll": 4096, "YAll": 1386, "LAll": 24}
FILES = {"XAll": "mirflickr25k-iall-vgg.mat", "YAll": "mirflickr25k-yall.mat"}


def _write(folder: Path, matlab_format: str, n_items: int) -> None:
    import h5py
    import scipy.io

    rng = np.random.default_rng(0)
    arrays: dict[str, np.ndarray] = {
        "XAll": rng.random((n_items, DIMS["XAll"]), dtype=np.float32),
        "YAll": (rng.random((n_items, DIMS["YAll"])) < 0.01).astype(np.float32),
        "LAll": (rng.random((n_items, DIMS["LAll"])) < 0.2).astype(np.uint8),
    }
    arrays["LAll"][:, 0] = 1
    for key, array in arrays.items():
        path = folder / FILES.get(key, "mirflickr25k-lall.mat")
        if matlab_format == "v5":
            scipy.io.savemat(path, {key: array})
        else:
            with h5py.File(path, "w", userblock_size=512) as f:
                f[key] = array.T
    (folder / "raw.bin").write_bytes(arrays["XAll"].tobytes())


def _load(folder: Path) -> dict:
    from cmhbench.datasets import load_dataset

    start = time.perf_counter()
    raw = np.fromfile(folder / "raw.bin", dtype=np.float32)
    raw_s = time.perf_counter() - start
    del raw
    start = time.perf_counter()
    data = load_dataset("mirflickr25k", data_root=str(folder))
    seconds = time.perf_counter() - start
    array_mb = sum(a.nbytes for a in (data.image, data.text, data.labels)) / 2**20
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "raw_s": raw_s, "array_mb": array_mb, "peak_mb": peak_mb}


def _baseline_mb() -> float:
    """Peak memory of a process that only imports what loading imports."""
    code = (
        "import resource, h5py, scipy.io, numpy, cmhbench.datasets.mirflickr;"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    )
    return float(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
    )


@click.command()
@click.option("--items", default=20015, show_default=True, help="Rows (at least 2,001).")
@click.option("--only", default=None, hidden=True, help="Load this folder and print JSON.")
def load_benchmark(items: int, only: str | None) -> None:
    """MIRFlickr-sized feature files: load time and peak memory, v5 and v7.3."""
    if only:
        click.echo(json.dumps(_load(Path(only))))
        return
    imports_mb = _baseline_mb()
    click.echo(f"MIRFlickr-style files: XAll {items:,} x 4,096 float32 + YAll + LAll")
    for matlab_format in ("v5", "v7.3"):
        with tempfile.TemporaryDirectory() as tmp:
            _write(Path(tmp), matlab_format, items)
            command = [sys.executable, "-m", "cmhbench.perf", "load", "--only", tmp]
            out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
        extra = r["peak_mb"] - imports_mb
        click.echo(
            f"MATLAB {matlab_format:>4}: load {r['seconds']:.2f} s "
            f"({r['seconds'] / r['raw_s']:.1f}x np.fromfile of XAll, {r['raw_s']:.2f} s); "
            f"peak {r['peak_mb']:.0f} MiB = imports {imports_mb:.0f} + {extra:.0f} MiB "
            f"for {r['array_mb']:.0f} MiB of arrays ({extra / r['array_mb']:.2f}x)"
        )
