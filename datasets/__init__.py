"""Built-in datasets and the loader for a user's own ``.npz`` file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cmhbench.data import CrossModalData

BUILTIN: dict[str, str] = {
    "synthetic": "cmhbench.datasets.synthetic",
}


def is_data_file(spec: str) -> bool:
    """Whether a ``--datasets`` item names a file rather than a registered dataset."""
    return spec.endswith(".npz") or "/" in spec or "\\" in spec


def load_dataset(spec: str, *, seed: int = 0) -> CrossModalData:
    """Load a registered dataset by name, or a user's ``.npz`` file by path."""
    if is_data_file(spec):
        from cmhbench.datasets.npz import load_npz

        return load_npz(Path(spec), seed=seed)
    from cmhbench.registry import get_dataset

    return get_dataset(spec)().load(seed=seed)
