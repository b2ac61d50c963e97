"""Run a grid: every method on every dataset at every code length and seed.

The runner expands the grid, skips cells already done with the same
configuration (so a killed run resumes where it stopped), claims each remaining
cell (:mod:`cmhbench.run.claims`, so two runs on one folder never train the same
cell) and hands it to :func:`cmhbench.run.cell.execute_cell`, in this process or
in ``jobs`` joblib workers. Records and codes are written here, atomically, as
cells finish. A cell that raises is recorded as ``failed`` (or ``timeout``) with
its error and the grid goes on.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm.auto import tqdm

from cmhbench import metrics
from cmhbench.errors import CmhbenchError
from cmhbench.method import CODE_LENGTHS, Method, resolve_overrides
from cmhbench.run import claims
from cmhbench.run.cell import CellTask
from cmhbench.store import records

if TYPE_CHECKING:
    from cmhbench.run.executors import Executor

log = logging.getLogger("cmhbench")


@dataclass(frozen=True)
class Cell:
    """One unit of work: a method on a dataset at a code length and seed."""

    dataset: str
    method: str
    bits: int
    seed: int


@dataclass
class GridSpec:
    """Everything a grid run needs.

    Attributes:
        methods: registered method names.
        datasets: registered dataset names or paths to ``.npz`` files.
        bits: code lengths.
        seeds: training seeds (the data's own seed stays ``data_seed``).
        out: results folder.
        assignments: ``--set`` items (``key=value`` or ``method.key=value``).
        device: 'auto', 'cpu', 'cuda' or 'cuda:N', or a comma list of CUDA devices
            that cells are spread over.
        jobs: cells trained at once (joblib worker processes when above 1).
        cell_timeout_s: seconds a cell's training may take (None: no limit).
        cluster: a dask scheduler address, or 'local:N' (None: this machine).
        force: redo cells that are already done.
        retry_failed: redo cells recorded as failed.
        progress: show progress bars.
        zero_relevant: metric policy for queries with no relevant item.
        map_k, topk: the K lists of mAP@K and precision@K.
        data_seed: seed of dataset generation and of drawn splits.
        data_root: folder of the field's data files (None: $CMHBENCH_DATA_ROOT or ./data).
    """

    methods: list[str]
    datasets: list[str] = field(default_factory=lambda: ["synthetic"])
    bits: list[int] = field(default_factory=lambda: list(CODE_LENGTHS))
    seeds: list[int] = field(default_factory=lambda: [0])
    out: Path = Path("results/runs")
    assignments: list[str] = field(default_factory=list)
    device: str = "auto"
    jobs: int = 1
    cell_timeout_s: float | None = None
    cluster: str | None = None
    force: bool = False
    retry_failed: bool = False
    progress: bool = True
    zero_relevant: metrics.ZeroRelevantPolicy = "count"
    map_k: tuple[int, ...] = metrics.DEFAULT_MAP_K
    topk: tuple[int, ...] = metrics.DEFAULT_TOPK
    data_seed: int = 0
    data_root: str | None = None


def run_grid(spec: GridSpec) -> list[dict[str, Any]]:
    """Run (or resume) a grid; return the records of its cells in grid order (cells
    that another run holds right now are left out, with a warning).

    Raises:
        CmhbenchError: for bad names, ``--set`` items or devices before any
            training, and when the results folder cannot be written.
    """
    from cmhbench.datasets import dataset_key, dataset_loader
    from cmhbench.registry import get_method
    from cmhbench.run.executors import make_executor

    classes = {name: get_method(name) for name in spec.methods}
    overrides = resolve_overrides(classes, spec.assignments)
    devices = resolve_devices(spec.device)
    if spec.jobs < 1:
        raise CmhbenchError(f"--jobs must be at least 1, got {spec.jobs}")
    # Check every loader, data file (here, unless a cluster's workers read their own)
    # and method setting before any training. Per-dataset method defaults are keyed
    # by the registered name.
    keys = [dataset_key(item) for item in spec.datasets]
    for item in spec.datasets:
        loader = dataset_loader(item, data_root=spec.data_root)
        if hasattr(loader, "files") and spec.cluster is None:
            loader.files()
    for name, cls in classes.items():
        for key in keys:
            cls(spec.bits[0], **_settings(cls, key, overrides[name]))
    executor = make_executor(spec.jobs, spec.cluster)
    try:
        return _run(spec, classes, overrides, keys, devices, executor)
    finally:
        executor.close()


def _run(
    spec: GridSpec,
    classes: dict[str, type[Method]],
    overrides: dict[str, dict[str, str]],
    keys: list[str],
    devices: list[str],
    executor: Executor,
) -> list[dict[str, Any]]:
    """Plan the grid, then train its pending cells on ``executor``."""
    done: dict[int, dict[str, Any]] = {}
    pending: list[tuple[int, CellTask]] = []
    for item, key in zip(spec.datasets, keys, strict=True):
        described = executor.describe(item, spec.data_root, spec.data_seed)
        for cell in _cells(described["name"], spec):
            order = len(done) + len(pending)
            cls = classes[cell.method]
            settings = _settings(cls, key, overrides[cell.method])
            task = _task(spec, item, cell, cls, settings, described, devices, len(pending))
            previous = _previous_record(spec.out, cell)
            if _should_skip(previous, task.config_hash, spec):
                log.info("skip %s (done)", _record_path(spec.out, cell))
                done[order] = previous
            else:
                pending.append((order, task))
    bar = tqdm(
        total=len(done) + len(pending),
        initial=len(done),
        desc="grid",
        unit="cell",
        disable=None if spec.progress else True,
    )
    held: set[Path] = set()
    try:
        for order, (record, arrays) in executor.run(_claimed(pending, spec, done, held)):
            _save(spec.out, record, arrays, held)
            done[order] = record
            bar.set_postfix_str(f"{record['method']} {record['bits']} bits")
            bar.update()
    finally:
        for path in held:
            claims.release(path)
        bar.close()
    if len(done) < bar.total:
        log.warning(
            "%d cell(s) are being run by another cmhbench process; rerun to include them",
            bar.total - len(done),
        )
    return [done[order] for order in sorted(done)]


def resolve_devices(spec: str) -> list[str]:
    """The devices cells run on: one entry, or a comma list of CUDA devices."""
    from cmhbench.training import resolve_device

    items = [item.strip() for item in spec.split(",") if item.strip()]
    if not items:
        raise CmhbenchError("--device needs a value: auto, cpu, cuda, cuda:N or cuda:0,cuda:1")
    devices = [str(resolve_device(item)) for item in items]
    if len(devices) > 1 and any(not d.startswith("cuda") for d in devices):
        raise CmhbenchError(f"a device list spreads cells over GPUs; got {spec!r}")
    return devices


def _task(
    spec: GridSpec,
    item: str,
    cell: Cell,
    cls: type[Method],
    settings: dict[str, Any],
    described: dict[str, Any],
    devices: list[str],
    position: int,
) -> CellTask:
    method = cls(cell.bits, **settings)
    cell_spec = {
        "dataset": cell.dataset,
        "data_fingerprint": described["fingerprints"][cls.info.supervised],
        "method": cell.method,
        "bits": cell.bits,
        "seed": cell.seed,
        "config": dataclasses.asdict(method.params),
        "supervised": cls.info.supervised,
        "protocol": {
            "metrics_version": metrics.METRICS_VERSION,
            "zero_relevant": spec.zero_relevant,
            "map_k": list(spec.map_k),
            "topk": list(spec.topk),
        },
    }
    return CellTask(
        dataset=item,
        data_root=spec.data_root,
        data_seed=spec.data_seed,
        method=cell.method,
        settings=settings,
        bits=cell.bits,
        seed=cell.seed,
        cell_spec=cell_spec,
        config_hash=records.config_hash(cell_spec),
        device=devices[position % len(devices)],
        progress=spec.progress and spec.jobs == 1 and spec.cluster is None,
        zero_relevant=spec.zero_relevant,
        map_k=spec.map_k,
        topk=spec.topk,
        timeout_s=spec.cell_timeout_s,
    )


def _claimed(
    pending: list[tuple[int, CellTask]],
    spec: GridSpec,
    done: dict[int, dict[str, Any]],
    held: set[Path],
) -> Iterator[tuple[int, CellTask]]:
    """The pending cells this run claims, one at a time as workers ask for work; a
    cell another run finished meanwhile is taken as done."""
    for order, task in pending:
        path = _record_path(
            spec.out, Cell(task.cell_spec["dataset"], task.method, task.bits, task.seed)
        )
        with _writing(path):
            claimed = claims.try_claim(path)
        if not claimed:
            log.warning(
                "skip %s: another cmhbench run is training it (%s); if that run is gone, delete %s",
                path,
                claims.owner(path) or "its claim is being released",
                claims.claim_path(path).name,
            )
            continue
        held.add(path)
        previous = records.read_record(path)
        if _should_skip(previous, task.config_hash, spec):
            done[order] = previous
            claims.release(path)
            held.discard(path)
            continue
        yield order, task


def _save(out: Path, record: dict[str, Any], arrays: Any, held: set[Path]) -> None:
    """Write a finished cell's codes, then its record, then drop its claim."""
    path, codes_path = records.cell_paths(
        out, record["dataset"], record["method"], record["bits"], record["seed"]
    )
    with _writing(path):
        if arrays is not None:
            sha = records.write_codes(codes_path, arrays)
            record["codes"] = {"file": codes_path.name, "sha256": sha}
        records.write_record(path, record)
    if record["status"] != "ok":
        log.warning("%s %s: %s", path, record["status"], record["error"]["message"])
    claims.release(path)
    held.discard(path)


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    """Turn a failed write next to ``path`` into one clear error line."""
    try:
        yield
    except OSError as exc:
        raise CmhbenchError(f"cannot write results to {path.parent}: {exc.strerror}") from None


def _record_path(out: Path, cell: Cell) -> Path:
    return records.cell_paths(out, cell.dataset, cell.method, cell.bits, cell.seed)[0]


def _previous_record(out: Path, cell: Cell) -> dict[str, Any] | None:
    """The cell's record, or None; a record that exists but does not parse is reported."""
    path = _record_path(out, cell)
    record = records.read_record(path)
    if record is None and path.exists():
        log.warning("%s is truncated, edited or of another schema; the cell runs again", path)
    return record


def _settings(cls: type[Method], dataset: str, overrides: dict[str, str]) -> dict[str, Any]:
    """The method's per-dataset defaults (from its paper or code), then the user's values."""
    return {**cls.dataset_defaults.get(dataset, {}), **overrides}


def _cells(dataset: str, spec: GridSpec) -> Iterator[Cell]:
    for method in spec.methods:
        for bits in spec.bits:
            for seed in spec.seeds:
                yield Cell(dataset, method, bits, seed)


def _should_skip(previous: dict[str, Any] | None, wanted: str, spec: GridSpec) -> bool:
    if spec.force or previous is None or previous.get("config_hash") != wanted:
        return False
    if previous.get("status") == "ok":
        return True
    return not spec.retry_failed
