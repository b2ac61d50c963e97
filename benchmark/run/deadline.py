"""``--cell-timeout`` enforced from outside the method's code.

With a limit, a cell trains in a child Python process (``python -m
cmhbench.run.deadline``), which runs :func:`cmhbench.run.cell.execute_cell` and
reports on a pipe when training starts and when it ends; the training steps of the
deep methods also check the deadline themselves (:func:`cmhbench.training.cell_deadline`:
a timeout there is recorded with its epoch). The parent waits for the end of
training until the limit, counted from its start, plus a grace of 5% (at least a
second) for the child's own check to fire; then it kills the child and records the
cell as ``timeout`` with the elapsed time. So the limit holds for every method,
also for those whose code never reaches a training-step check (closed-form and
alternating solvers), and a cell whose process dies is recorded as failed.

A plain subprocess rather than :mod:`multiprocessing`, so it works the same in this
process, in joblib's loky workers and in the daemonic worker processes of a dask
cluster. The task and the outcome travel as pickles in a private temporary folder.
Without a limit the cell runs in the calling process, as before. POSIX only (the
pipe is passed to the child by its file descriptor).
"""

from __future__ import annotations

import os
import pickle
import select
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import BinaryIO

from cmhbench.run.cell import CellTask, execute_cell, unfinished_cell_record
from cmhbench.store.records import CellArrays
from cmhbench.store.schema import Record

Outcome = tuple[Record, CellArrays | None]
EVENTS = {"start": b"s", "end": b"e"}


def run_cell(task: CellTask) -> Outcome:
    """The cell's record and codes; within ``task.timeout_s`` when it has one."""
    if task.timeout_s is None:
        return execute_cell(task)
    return _in_child(task, task.timeout_s)


def grace_s(limit_s: float) -> float:
    """How long past the limit the parent waits for the child's own check."""
    return max(1.0, 0.05 * limit_s)


def _in_child(task: CellTask, limit_s: float) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="cmhbench-cell-") as folder:
        task_path, outcome_path = Path(folder) / "task.pickle", Path(folder) / "outcome.pickle"
        task_path.write_bytes(pickle.dumps(task))
        read_fd, write_fd = os.pipe()
        command = [sys.executable, "-m", "cmhbench.run.deadline", str(task_path)]
        child = subprocess.Popen([*command, str(outcome_path), str(write_fd)], pass_fds=(write_fd,))
        os.close(write_fd)
        with os.fdopen(read_fd, "rb", buffering=0) as events:
            try:
                if _next_event(events, None) == EVENTS["start"]:
                    started = time.monotonic()
                    if _next_event(events, limit_s + grace_s(limit_s)) is None:
                        child.kill()
                        elapsed = time.monotonic() - started
                        return timed_out_record(task, limit_s, elapsed), None
                child.wait()
            finally:
                if child.poll() is None:
                    child.kill()
                child.wait()
        if child.returncode != 0 or not outcome_path.is_file():
            message = f"the process training this cell died (exit code {child.returncode})"
            return unfinished_cell_record(task, "ProcessDied", message), None
        outcome: Outcome = pickle.loads(outcome_path.read_bytes())
        return outcome


def _next_event(events: BinaryIO, timeout_s: float | None) -> bytes | None:
    """The child's next event byte (b'' when it has exited), or None on timeout."""
    ready, _, _ = select.select([events], [], [], timeout_s)
    return events.read(1) if ready else None


def timed_out_record(task: CellTask, limit_s: float, elapsed_s: float) -> Record:
    """The record of a cell ended from outside at its deadline."""
    record = unfinished_cell_record(
        task,
        "CellTimeout",
        f"training passed the cell time limit of {limit_s:g} s: ended after {elapsed_s:.1f} s",
        status="timeout",
    )
    record["timings"] = {"elapsed_s": elapsed_s}
    return record


def _child(task_path: str, outcome_path: str, events_fd: str) -> None:
    """In the child: the cell, reporting the start and end of its training. Progress
    bars lock with a thread lock: tqdm's default, a multiprocessing lock, would be
    reported as leaked by a child that is killed."""
    from tqdm import tqdm

    tqdm.set_lock(threading.RLock())
    task: CellTask = pickle.loads(Path(task_path).read_bytes())
    with os.fdopen(int(events_fd), "wb", buffering=0) as events:

        def report(stage: str) -> None:
            events.write(EVENTS[stage])

        outcome = execute_cell(task, training=report)
    Path(outcome_path).write_bytes(pickle.dumps(outcome))


if __name__ == "__main__":
    _child(*sys.argv[1:])
