"""Parsing of the comma-separated option values that several commands share."""

from __future__ import annotations

from pathlib import Path

import click


def comma_list(value: str | None) -> list[str]:
    """The non-empty items of a comma-separated option value."""
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def int_list(
    value: str | None, option: str, low: int, high: int, required: bool = False
) -> list[int]:
    """The integers of a comma-separated option value, each in [low, high].

    Args:
        value: the option's text (None or blank: no values).
        option: the option's name, for the error message.
        low: smallest value allowed.
        high: largest value allowed.
        required: whether an empty list is an error.

    Raises:
        click.BadParameter: an item is not an integer or is out of range, or the
            list is empty although required.
    """
    try:
        numbers = [int(item) for item in comma_list(value)]
    except ValueError:
        raise click.BadParameter(
            f"expected comma-separated integers, got {value!r}", param_hint=f"'{option}'"
        ) from None
    if required and not numbers:
        raise click.BadParameter("needs at least one value", param_hint=f"'{option}'")
    bad = [n for n in numbers if not low <= n <= high]
    if bad:
        raise click.BadParameter(
            f"values must be in [{low}, {high}], got {bad}", param_hint=f"'{option}'"
        )
    return numbers


DATA_ROOT = click.option(
    "--data-root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of the field's data files (default: $CMHBENCH_DATA_ROOT, else ./data).",
)
