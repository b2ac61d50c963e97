"""Experiment files: a grid declared in TOML for ``cmhbench run --config FILE``.

Example (``results/reference.toml``)::

    methods = ["ucch", "triplet"]
    datasets = ["synthetic", "uci-mfeat"]
    bits = [16, 32, 64, 128]
    seeds = [0, 1, 2]
    out = "reference"            # relative to this file's folder

    [set]
    epochs = 50                  # every selected method that has it
    "triplet.margin" = 0.3       # one method

Every key is optional; options given on the command line win over the file.
Relative paths (``out``, ``data_root``) are taken from the file's folder, so an
experiment file means the same wherever it is run from.
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path
from typing import Any

from cmhbench.errors import CmhbenchError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

LIST_KEYS = ("methods", "datasets")
INT_LIST_KEYS = ("bits", "seeds")
STRING_KEYS = ("device", "zero_relevant", "cluster")
PATH_KEYS = ("out", "data_root")
NUMBER_KEYS = ("jobs", "cell_timeout")
KEYS = (*LIST_KEYS, *INT_LIST_KEYS, *STRING_KEYS, *PATH_KEYS, *NUMBER_KEYS, "set")


def read_experiment(path: Path) -> dict[str, Any]:
    """The run options a TOML file declares, in the form the ``run`` command takes.

    Returns a dict with any of: methods/datasets/bits/seeds as comma strings (the
    command line's form, so the same checks apply), device, zero_relevant, cluster, jobs,
    cell_timeout (seconds), out and data_root as paths, and ``set`` as a list of
    ``KEY=VALUE`` strings.

    Raises:
        CmhbenchError: missing or unparsable file, an unknown key (with the closest
            known one), or a value of the wrong type.
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CmhbenchError(f"cannot read experiment file {path}: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CmhbenchError(f"experiment file {path} is not valid TOML: {exc}") from None
    options: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in KEYS:
            close = difflib.get_close_matches(key, KEYS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(KEYS)})"
            raise CmhbenchError(f"{path}: unknown key {key!r}{hint}")
        options[key] = _convert(path, key, value)
    return options


def _convert(path: Path, key: str, value: Any) -> Any:
    where = f"{path}: {key}"
    if key in LIST_KEYS:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise CmhbenchError(f"{where} must be a list of names, got {value!r}")
        return ",".join(items)
    if key in INT_LIST_KEYS:
        items = [value] if isinstance(value, int) else value
        valid = isinstance(items, list) and all(
            isinstance(i, int) and not isinstance(i, bool) for i in items
        )
        if not valid:
            raise CmhbenchError(f"{where} must be a list of integers, got {value!r}")
        return ",".join(map(str, items))
    if key in STRING_KEYS:
        if not isinstance(value, str):
            raise CmhbenchError(f"{where} must be a string, got {value!r}")
        return value
    if key in NUMBER_KEYS:
        wanted = int if key == "jobs" else (int, float)
        if isinstance(value, bool) or not isinstance(value, wanted) or value <= 0:
            raise CmhbenchError(f"{where} must be a positive number, got {value!r}")
        return value
    if key in PATH_KEYS:
        if not isinstance(value, str) or not value:
            raise CmhbenchError(f"{where} must be a path string, got {value!r}")
        return (path.parent / value).resolve()
    return _assignments(path, value)


def _assignments(path: Path, table: Any, prefix: str = "") -> list[str]:
    """``[set]`` (with optional ``[set.METHOD]`` sub-tables) to ``KEY=VALUE`` items."""
    if not isinstance(table, dict):
        raise CmhbenchError(f"{path}: set must be a table of hyper-parameters, got {table!r}")
    items = []
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            if prefix:
                raise CmhbenchError(f"{path}: set.{name} nests too deep (use [set.METHOD])")
            items += _assignments(path, value, prefix=f"{key}.")
        elif isinstance(value, list):
            items.append(f"{name}={','.join(map(_scalar, value))}")
        else:
            items.append(f"{name}={_scalar(value)}")
    return items


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
