"""The reference grid as results/reference.toml declares it."""

from __future__ import annotations

import math
from pathlib import Path

import tomllib

RESULTS = Path(__file__).parent.parent / "results"
GRID_FIELDS = ("methods", "datasets", "bits", "seeds")
REFERENCE_GRID = {
    key: value
    for key, value in tomllib.loads(
        (RESULTS / "reference.toml").read_text(encoding="utf-8")
    ).items()
    if key in GRID_FIELDS
}
REFERENCE_CELLS = math.prod(len(REFERENCE_GRID[key]) for key in GRID_FIELDS)
