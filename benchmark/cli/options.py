"""What several commands share: integer-list option values, ``--data-root`` and
``--protocol``."""

from __future__ import annotations

from pathlib import Path

import click

from cmhbench.errors import CmhbenchError
from cmhbench.protocols import PROTOCOLS
from cmhbench.values import parse_ints


def int_list(value: str | None, option: str, low: int, high: int) -> list[int]:
    """The integers of a comma-separated option value, each in [low, high] (empty when
    the option is not given).

    Raises:
        click.BadParameter: an item is not an integer or is out of range.
    """
    try:
        return parse_ints(value, low, high)
    except CmhbenchError as exc:
        raise click.BadParameter(str(exc), param_hint=f"'{option}'") from None


PROTOCOL = click.option(
    "--protocol",
    type=click.Choice(PROTOCOLS),
    default="suite",
    show_default=True,
    help="suite: every item hashed by its own modality's hash function; native: each "
    "method's authors' protocol (see 'cmhbench list').",
)

DATA_ROOT = click.option(
    "--data-root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of the field's data files (default: $CMHBENCH_DATA_ROOT, else ./data).",
)
