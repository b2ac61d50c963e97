"""Where cells run: in this process, in joblib's loky worker processes, or on a
dask.distributed cluster.

Every executor takes the claimed cells lazily, in the calling (main) thread, and
only as workers become free (at most ``jobs`` cells in flight locally, twice the
workers on a cluster), and yields each result as it finishes; the runner writes
it. A cell whose worker process dies is submitted once more, then recorded as
failed while the rest of the grid goes on. Data is described (loaded) where the
cells will run: a cluster's workers read their own data root, so the client needs
no data files.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

from cmhbench.errors import CmhbenchError
from cmhbench.run.cell import CellTask, describe_dataset, unfinished_cell_record
from cmhbench.run.deadline import run_cell
from cmhbench.store.records import CellArrays
from cmhbench.store.schema import Record

log = logging.getLogger("cmhbench")
#: The thread-count variables that joblib sets in its workers (its loky backend).
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMBA_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)

Result = tuple[int, tuple[Record, CellArrays | None]]  # position, (record, arrays)


class LocalExecutor:
    """This process (``jobs == 1``) or ``jobs`` loky worker processes (joblib's
    reusable executor), whose BLAS and OpenMP pools get ``cores // jobs`` threads each
    unless the environment sets them, as under joblib."""

    def __init__(self, jobs: int, retries: int = 1):
        self.jobs, self.retries = jobs, retries

    def describe(self, item: str, data_root: str | None, data_seed: int) -> dict[str, Any]:
        return describe_dataset(item, data_root, data_seed)

    def run(self, tasks: Iterable[tuple[int, CellTask]]) -> Iterator[Result]:
        if self.jobs == 1:
            for order, task in tasks:
                yield order, run_cell(task)
            return
        from collections import deque
        from concurrent.futures import FIRST_COMPLETED, Future, wait

        from joblib.externals.loky.process_executor import BrokenProcessPool

        waiting = iter(tasks)
        running: dict[Future, tuple[int, CellTask, int]] = {}
        # A dead worker breaks the whole pool, so it cannot say which cell killed it:
        # the cells in flight run again one at a time, where a death is the cell's own.
        suspects: deque[tuple[int, CellTask, int]] = deque()

        def submit(order: int, task: CellTask, attempt: int) -> None:
            running[self._executor().submit(run_cell, task)] = (order, task, attempt)

        while True:
            if suspects:
                if not running:
                    submit(*suspects.popleft())
            else:
                for order, task in islice(waiting, self.jobs - len(running)):
                    submit(order, task, 1)
            if not running:
                return
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                order, task, attempt = running.pop(future)
                try:
                    outcome = future.result()
                except BrokenProcessPool as exc:  # loky starts new workers
                    if attempt <= self.retries:
                        log.warning(
                            "worker lost on %s %d bits; retrying", task.spec.method, task.spec.bits
                        )
                        suspects.append((order, task, attempt + 1))
                        continue
                    message = f"the worker training this cell died ({attempt} attempts)"
                    outcome = unfinished_cell_record(task, type(exc).__name__, message), None
                yield order, outcome

    def _executor(self) -> Any:
        """joblib's reusable loky executor (a new one after a worker died)."""
        from joblib.externals.loky import cpu_count, get_reusable_executor

        threads = str(max(cpu_count() // self.jobs, 1))
        env = {name: os.environ.get(name, threads) for name in THREAD_VARIABLES}
        return get_reusable_executor(max_workers=self.jobs, env=env)

    def close(self) -> None:
        """Nothing to release (the reusable executor's idle workers time out)."""


class DaskExecutor:
    """A dask.distributed cluster: ``ADDRESS`` of a running scheduler, or ``local:N``
    for a LocalCluster of N single-threaded worker processes on loopback.

    A cell whose worker dies is submitted once more; if that worker dies too, the
    cell is recorded as failed and the grid goes on. (joblib's dask backend would
    abort the whole grid at the first lost worker, so cells are dask futures.) A
    finished cell's result leaves its worker at once (see :meth:`run`).
    """

    def __init__(self, address: str, retries: int = 1):
        try:
            import dask
            from distributed import Client, LocalCluster
        except ImportError:
            raise CmhbenchError(
                "--cluster needs dask.distributed: pip install 'cmhbench[cluster]'"
            ) from None
        self.retries = retries
        self.cluster = None
        if address.startswith("local:"):
            workers = _local_workers(address)
            # A task on a worker that dies fails at once; the retry is this class's. A
            # worker holds only the cell it trains (saturation 1): with dask's default
            # 1.1 a second cell could wait on it and die with it without having run.
            settings = {
                "distributed.scheduler.allowed-failures": 0,
                "distributed.scheduler.worker-saturation": 1.0,
            }
            with dask.config.set(settings):
                self.cluster = LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                )
            self.client = Client(self.cluster)
        else:
            try:
                self.client = Client(address, timeout="20s")
            except OSError as exc:
                raise CmhbenchError(
                    f"cannot reach the dask scheduler at {address}: {exc}"
                ) from None
        self.workers = max(1, len(self.client.scheduler_info()["workers"]))

    def describe(self, item: str, data_root: str | None, data_seed: int) -> dict[str, Any]:
        future = self.client.submit(describe_dataset, item, data_root, data_seed, pure=False)
        return future.result()

    def run(self, tasks: Iterable[tuple[int, CellTask]]) -> Iterator[Result]:
        """Yield each cell's result as it finishes. A result is fetched to this process
        the moment its future completes (in dask's callback thread) and the future is
        then dropped, so a worker that dies afterwards, even while this process is
        still writing earlier records, cannot take a finished cell with it."""
        from distributed import KilledWorker

        waiting = iter(tasks)
        finished: queue.SimpleQueue[tuple[int, CellTask, int, Any]] = queue.SimpleQueue()
        running: set[Any] = set()  # futures not fetched yet (a dropped future is cancelled)
        lock = threading.Lock()

        def fetch(order: int, task: CellTask, attempt: int) -> Callable[[Any], None]:
            def done(future: Any) -> None:
                try:
                    outcome = future.result()
                except BaseException as exc:  # KilledWorker, CancelledError, ...
                    outcome = exc
                finished.put((order, task, attempt, outcome))
                with lock:
                    running.discard(future)

            return done

        def submit(order: int, task: CellTask, attempt: int) -> None:
            future = self.client.submit(run_cell, task, pure=False)
            with lock:
                running.add(future)
            future.add_done_callback(fetch(order, task, attempt))

        submitted = 0
        for order, task in islice(waiting, 2 * self.workers):
            submit(order, task, 1)
            submitted += 1
        while submitted:
            order, task, attempt, outcome = finished.get()
            submitted -= 1
            if not isinstance(outcome, BaseException):
                yield order, outcome
            elif isinstance(outcome, KilledWorker) and attempt <= self.retries:
                log.warning("worker lost on %s %d bits; retrying", task.spec.method, task.spec.bits)
                submit(order, task, attempt + 1)
                submitted += 1
                continue
            else:
                message = (
                    f"the worker training this cell died ({attempt} attempts)"
                    if isinstance(outcome, KilledWorker)
                    else str(outcome)
                )
                yield order, (unfinished_cell_record(task, type(outcome).__name__, message), None)
            for order_next, task_next in islice(waiting, 1):
                submit(order_next, task_next, 1)
                submitted += 1

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


Executor = LocalExecutor | DaskExecutor


def make_executor(jobs: int, cluster: str | None) -> Executor:
    if cluster:
        return DaskExecutor(cluster)
    return LocalExecutor(jobs)


def _local_workers(address: str) -> int:
    try:
        workers = int(address.removeprefix("local:"))
    except ValueError:
        workers = 0
    if workers < 1:
        raise CmhbenchError(f"--cluster local:N needs a positive worker count, got {address!r}")
    return workers
