"""How tables and figures print method and dataset names: as papers write them.

A registered method says so in ``info.short_name`` ('UCCH'), a registered dataset
loader in its ``short_name`` attribute ('MIRFlickr-25K'). Anything else (a plugin
that sets none, a dataset variant, a user's own file) prints as recorded.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from cmhbench.errors import CmhbenchError
from cmhbench.registry import DATASETS, METHODS, Registry


@cache
def method_label(name: str) -> str:
    """The paper's name of method ``name`` (``name`` itself when none is registered),
    keeping what a run name adds after it (``triplet (epochs=4)`` -> ``Triplet
    (epochs=4)``; see :func:`cmhbench.report.frames.run_names`)."""
    base, space, detail = name.partition(" (")
    method = _registered(METHODS, base)
    label = (method.info.short_name if method is not None else "") or base
    return f"{label}{space}{detail}"


@cache
def dataset_label(name: str) -> str:
    """The paper's name of dataset ``name`` (``name`` itself when none is registered)."""
    loader = _registered(DATASETS, name)
    return (loader.short_name if loader is not None else "") or name


def registered_method(name: str) -> Any:
    """The method class registered as ``name``, or None (not registered, or its plugin
    fails to import: its results are still shown)."""
    return _registered(METHODS, name)


def _registered(registry: Registry, name: str) -> Any:
    if name not in registry.names():
        return None
    try:
        return registry.get(name)
    except CmhbenchError:  # a broken plugin still gets its results printed
        return None
