"""cmhbench: a benchmarking suite for cross-modal (image <-> text) hashing.

The public API is what this module exports:

* data: :class:`CrossModalData`, :class:`PairedSet`;
* methods: :class:`Method`, :class:`MethodInfo`, :func:`hyperparameter`,
  :func:`as_sign_codes`, :func:`register_method`; datasets: :class:`Dataset`,
  :func:`register_dataset`;
* running: :class:`GridSpec`, :func:`run_grid`; scoring codes: :func:`evaluate_codes`;
* results: :func:`read_records`, :func:`records_frame`, :func:`pr_frame`, and the
  figures :func:`pr_figure`, :func:`bits_figure`, :func:`topk_figure`;
* :class:`CmhbenchError`, the errors a user can cause and fix.

Importing this package is cheap: torch, pandas and the method modules load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY_EXPORTS = {
    "CrossModalData": "cmhbench.data",
    "Dataset": "cmhbench.datasets.base",
    "PairedSet": "cmhbench.data",
    "CmhbenchError": "cmhbench.errors",
    "Method": "cmhbench.method",
    "MethodInfo": "cmhbench.method",
    "hyperparameter": "cmhbench.method",
    "as_sign_codes": "cmhbench.method",
    "register_method": "cmhbench.registry",
    "register_dataset": "cmhbench.registry",
    "evaluate_codes": "cmhbench.metrics",
    "GridSpec": "cmhbench.run.config",
    "run_grid": "cmhbench.run.grid",
    "read_records": "cmhbench.store.records",
    "records_frame": "cmhbench.report.frames",
    "pr_frame": "cmhbench.report.frames",
    "pr_figure": "cmhbench.report.plots",
    "bits_figure": "cmhbench.report.plots",
    "topk_figure": "cmhbench.report.plots",
}

__all__ = [  # the names of _LAZY_EXPORTS (a test keeps the two equal), and the version
    "CmhbenchError",
    "CrossModalData",
    "Dataset",
    "GridSpec",
    "Method",
    "MethodInfo",
    "PairedSet",
    "__version__",
    "as_sign_codes",
    "bits_figure",
    "evaluate_codes",
    "hyperparameter",
    "pr_figure",
    "pr_frame",
    "read_records",
    "records_frame",
    "register_dataset",
    "register_method",
    "run_grid",
    "topk_figure",
]

if TYPE_CHECKING:  # what type checkers and editors see; at run time names load lazily
    from cmhbench.data import CrossModalData, PairedSet
    from cmhbench.datasets.base import Dataset
    from cmhbench.errors import CmhbenchError
    from cmhbench.method import Method, MethodInfo, as_sign_codes, hyperparameter
    from cmhbench.metrics import evaluate_codes
    from cmhbench.registry import register_dataset, register_method
    from cmhbench.report.frames import pr_frame, records_frame
    from cmhbench.report.plots import bits_figure, pr_figure, topk_figure
    from cmhbench.run.config import GridSpec
    from cmhbench.run.grid import run_grid
    from cmhbench.store.records import read_records


def __getattr__(name: str) -> Any:
    """Import public names on first access so that ``import cmhbench`` stays light."""
    module_name = _LAZY_EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'cmhbench' has no attribute {name!r}")
    return getattr(importlib.import_module(module_name), name)
