"""A record's provenance: library versions, the source revision, the device, peak
memory and the thread counts in force, looked up where the cell runs."""

from __future__ import annotations

import functools
import platform
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any


@functools.cache
def environment() -> dict[str, Any]:
    """Library versions and the machine, stored with every record (looked up once)."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for package in ("cmhbench", "numpy", "torch", "scipy", "numba"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    return {"versions": versions, "platform": platform.platform(), "git_revision": git_revision()}


def device_name(device: str) -> str:
    """The GPU's name for a CUDA device, else the CPU's model name."""
    if device.startswith("cuda"):
        import torch

        return torch.cuda.get_device_name(torch.device(device))
    return _cpu_model()


@functools.cache
def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_revision() -> str | None:
    """The commit of the cmhbench source tree (with '-dirty' when modified), if it is a checkout."""
    source = Path(__file__).resolve().parent
    try:
        head = subprocess.run(
            ["git", "-C", str(source), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(source), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}-dirty" if dirty else head


def thread_counts() -> dict[str, Any]:
    """The thread counts in force: torch's intra- and inter-op pools, numba's (None until
    its threading layer has started: asking would start it and change OpenMP's count),
    and each BLAS and OpenMP library loaded (threadpoolctl), by library prefix."""
    import torch
    from threadpoolctl import threadpool_info

    counts: dict[str, Any] = {
        "torch": torch.get_num_threads(),
        "torch_interop": torch.get_num_interop_threads(),
        "numba": None,
    }
    parallel = sys.modules.get("numba.np.ufunc.parallel")
    if parallel is not None and parallel._is_initialized:
        counts["numba"] = sys.modules["numba"].get_num_threads()
    for library in threadpool_info():
        counts.setdefault(library["user_api"], {})[library["prefix"]] = library["num_threads"]
    return counts


def peak_gpu_memory_mb(device: str) -> float:
    """Peak GPU memory torch allocated on ``device`` since the last call, in MiB."""
    import torch

    peak = torch.cuda.max_memory_allocated(device) / 2**20
    torch.cuda.reset_peak_memory_stats(device)
    return peak


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far, in MiB."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024
