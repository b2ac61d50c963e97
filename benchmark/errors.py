"""Errors that a user can cause and fix; the CLI prints them as one line."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class CmhbenchError(Exception):
    """A problem with the user's input or environment, reported without a traceback."""


def suggest(name: str, known: Iterable[str]) -> str:
    """ "; did you mean 'X'?" for the known name closest to ``name``, or '' when none is
    close: the one "did you mean" of every message about an unknown name."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.5)
    return f"; did you mean {close[0]!r}?" if close else ""


class UnknownNameError(CmhbenchError, KeyError):
    """A method, dataset or hyper-parameter name that is not registered."""

    def __init__(self, kind: str, name: str, known: Iterable[str]):
        known = sorted(known)
        listing = ", ".join(known) if known else "none"
        super().__init__(f"unknown {kind} {name!r}{suggest(name, known)} (known: {listing})")

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class DivergenceError(CmhbenchError):
    """Training produced a NaN or infinite loss."""

    def __init__(self, epoch: int, step: int, value: float):
        self.epoch, self.step, self.value = epoch, step, value
        super().__init__(
            f"loss diverged to {value} at epoch {epoch}, step {step}; "
            "try a smaller learning rate (--set lr=...)"
        )


class CellTimeout(CmhbenchError):
    """A cell's training ran past its ``--cell-timeout``."""

    def __init__(self, limit_s: float, epoch: int, step: int):
        self.limit_s, self.epoch, self.step = limit_s, epoch, step
        super().__init__(f"training passed the cell time limit of {limit_s:g} s at epoch {epoch}")
