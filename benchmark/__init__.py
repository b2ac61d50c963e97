"""cmhbench: a benchmarking suite for cross-modal (image <-> text) hashing.

The public API is small: :class:`CrossModalData` and :class:`PairedSet` (data),
:class:`Method` with :func:`register_method` (methods), :func:`register_dataset`
(datasets), :func:`evaluate_codes` (metrics) and :func:`run_grid` (the runner).
Importing this package is cheap: torch and the method modules load on first use.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_LAZY_EXPORTS = {
    "CrossModalData": "cmhbench.data",
    "PairedSet": "cmhbench.data",
    "CmhbenchError": "cmhbench.errors",
    "Method": "cmhbench.method",
    "MethodInfo": "cmhbench.method",
    "register_method": "cmhbench.registry",
    "register_dataset": "cmhbench.registry",
    "evaluate_codes": "cmhbench.metrics",
    "run_grid": "cmhbench.runner",
}

__all__ = ["__version__", *_LAZY_EXPORTS]


def __getattr__(name: str) -> Any:
    """Import public names on first access so that ``import cmhbench`` stays light."""
    module_name = _LAZY_EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'cmhbench' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module_name), name)
