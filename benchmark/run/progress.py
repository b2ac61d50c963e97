"""A grid's progress on stderr: a tqdm bar over cells on a terminal; elsewhere (a log
file, a batch scheduler's output) one line per finished cell with its status, mAP,
time, the cells left and an estimate of the time left."""

from __future__ import annotations

import time

from tqdm.auto import tqdm

from cmhbench.progress import duration, on_terminal, say
from cmhbench.store.schema import Record


class GridProgress:
    """Progress over ``total`` cells of which ``done`` were finished before this run."""

    def __init__(self, total: int, done: int, enabled: bool):
        self.total, self.done = total, done
        self.finished_here = 0
        self.start = time.monotonic()
        self.lines = enabled and not on_terminal()
        self.bar = tqdm(
            total=total,
            initial=done,
            desc="grid",
            unit="cell",
            disable=True if self.lines or not enabled else None,
        )
        if self.lines and done < total:
            say(f"grid: {total} cells, {done} done before, {total - done} to run")

    def cell_done(self, record: Record) -> None:
        """Count a finished cell (whatever its status) and show it."""
        self.done += 1
        self.finished_here += 1
        self.bar.set_postfix_str(f"{record['method']} {record['bits']} bits")
        self.bar.update()
        if self.lines:
            say(self._line(record))

    def close(self) -> None:
        self.bar.close()

    def _line(self, record: Record) -> str:
        scores = record["metrics"] or {}
        maps = " ".join(
            f"{direction} {values['map']:.3f}"
            for direction, values in scores.items()
            if values["map"] is not None
        )
        outcome = f"ok, mAP {maps}" if record["status"] == "ok" else record["status"]
        spent = sum(record.get("timings", {}).values())
        left = self.total - self.done
        elapsed = time.monotonic() - self.start
        eta = f", about {duration(elapsed / self.finished_here * left)} left" if left else ""
        return (
            f"cell {self.done}/{self.total}: {record['dataset']} {record['method']} "
            f"{record['bits']} bits seed {record['seed']}: {outcome} ({duration(spent)}); "
            f"{left} left{eta}"
        )
