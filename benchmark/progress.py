"""Progress on stderr, readable on a terminal and in a log file alike.

On a terminal, tqdm bars (over a grid's cells, over a cell's epochs). Off a terminal
(``2> run.log``, nohup, a batch scheduler), where tqdm stays silent, plain lines: one
per finished cell, and inside a long cell one every ``$CMHBENCH_PROGRESS_INTERVAL``
seconds (default 300) at the end of an epoch.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from typing import Any

from tqdm.auto import tqdm

INTERVAL_VARIABLE = "CMHBENCH_PROGRESS_INTERVAL"
DEFAULT_INTERVAL_S = 300.0


def on_terminal() -> bool:
    """Whether stderr is a terminal (bars) rather than a file or pipe (lines)."""
    return sys.stderr.isatty()


def say(text: str) -> None:
    """One progress line on stderr, stamped with the local time."""
    sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {text}\n")
    sys.stderr.flush()


def duration(seconds: float) -> str:
    """'42 s', '4 min 10 s' or '3 h 05 min'."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def interval_s() -> float:
    """Seconds between two lines inside a cell ($CMHBENCH_PROGRESS_INTERVAL, default 300)."""
    try:
        return float(os.environ.get(INTERVAL_VARIABLE, DEFAULT_INTERVAL_S))
    except ValueError:
        return DEFAULT_INTERVAL_S


class EpochLines:
    """Iterates over epochs like a tqdm bar, writing a line (epoch, loss, elapsed, ETA)
    at the end of an epoch once :func:`interval_s` has passed since the last line."""

    def __init__(self, epochs: int, desc: str):
        self.epochs, self.desc = epochs, desc
        self.postfix = ""
        self.start = self.last = time.monotonic()

    def __iter__(self) -> Iterator[int]:
        for epoch in range(self.epochs):
            yield epoch
            now = time.monotonic()
            if now - self.last >= interval_s() and epoch + 1 < self.epochs:
                self.last = now
                elapsed = now - self.start
                left = elapsed / (epoch + 1) * (self.epochs - epoch - 1)
                say(
                    f"{self.desc}: epoch {epoch + 1}/{self.epochs}{self.postfix}, "
                    f"{duration(elapsed)} elapsed, about {duration(left)} left"
                )

    def set_postfix(self, **values: Any) -> None:
        self.postfix = "".join(f", {key} {value}" for key, value in values.items())


def epoch_progress(epochs: int, desc: str, progress: bool) -> tqdm | EpochLines:
    """Progress over a cell's epochs: a tqdm bar on a terminal (cleared when done),
    periodic lines elsewhere, nothing unless ``progress``."""
    if progress and not on_terminal():
        return EpochLines(epochs, desc)
    return tqdm(
        range(epochs), desc=desc, disable=None if progress else True, leave=False, unit="epoch"
    )
