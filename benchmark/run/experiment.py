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

The keys are the run options of :class:`cmhbench.run.config.GridSpec` (``set`` for the
``--set`` items); every key is optional, and options given on the command line win.
Relative paths (``out``, ``data_root``) are taken from the file's folder, so an
experiment file means the same wherever it is run from.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from cmhbench.errors import CmhbenchError, suggest
from cmhbench.run.config import OptionError, run_options

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def read_experiment(path: Path) -> dict[str, Any]:
    """The run options a TOML file declares, as {GridSpec field: value}.

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
    options = {opt.file_key: opt for opt in run_options() if opt.in_file}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in options:
            known = ", ".join(options)
            raise CmhbenchError(
                f"{path}: unknown key {key!r}{suggest(key, options)} (known: {known})"
            )
        try:
            values[options[key].name] = options[key].from_file(value, path.parent)
        except OptionError as exc:
            raise CmhbenchError(f"{path}: {exc}") from None
    return values
