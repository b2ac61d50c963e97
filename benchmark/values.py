"""Option values given as text, parsed one way everywhere: comma-separated names and
integers (run options, experiment files, the other commands, dataset options)."""

from __future__ import annotations

from cmhbench.errors import CmhbenchError


def split_names(text: str | None) -> list[str]:
    """The non-empty items of a comma-separated value."""
    return [item.strip() for item in (text or "").split(",") if item.strip()]


def parse_ints(text: str | None, low: int, high: int) -> list[int]:
    """The integers of a comma-separated value, each in [low, high] (may be empty).

    Raises:
        CmhbenchError: an item is not an integer or is out of range.
    """
    try:
        numbers = [int(item) for item in split_names(text)]
    except ValueError:
        raise CmhbenchError(f"expected comma-separated integers, got {text!r}") from None
    check_range(numbers, low, high)
    return numbers


def check_range(numbers: list[int], low: int, high: int) -> None:
    """Raise CmhbenchError naming the values outside [low, high]."""
    bad = [n for n in numbers if not low <= n <= high]
    if bad:
        raise CmhbenchError(f"values must be in [{low}, {high}], got {bad}")
