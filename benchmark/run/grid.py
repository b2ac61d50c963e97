"""Run a grid: every method on every dataset at every code length and seed.

The runner expands the grid (a :class:`~cmhbench.run.config.GridSpec`), builds each
cell's :class:`~cmhbench.store.schema.CellSpec`, skips cells already done under the
same spec (so a killed run resumes where it stopped), re-scores the stored codes of
cells done under other metric options (K lists, zero-relevant policy) instead of
training them again, claims each remaining cell
(:mod:`cmhbench.store.claims`, so two runs on one folder never train the same cell) and
hands it to :func:`cmhbench.run.cell.execute_cell`, in this process, in joblib
workers or on a dask cluster. Records and codes are written here, atomically, as
cells finish. A cell that raises is recorded as ``failed`` (or ``timeout``) with its
error and the grid goes on.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cmhbench import health, metrics
from cmhbench.errors import CmhbenchError
from cmhbench.method import Method, resolve_overrides
from cmhbench.progress import on_terminal
from cmhbench.run.cell import CellTask
from cmhbench.run.config import GridSpec
from cmhbench.run.progress import GridProgress
from cmhbench.store import claims, records, rescore
from cmhbench.store.records import CellArrays
from cmhbench.store.schema import CellKey, CellSpec, MetricProtocol, Record

if TYPE_CHECKING:
    from cmhbench.run.executors import Executor

__all__ = ["GridOutcome", "GridSpec", "resolve_devices", "run_grid", "run_grid_outcome"]
log = logging.getLogger("cmhbench")


@dataclass(frozen=True)
class _Plan:
    """The checked inputs of a grid: method classes, their ``--set`` values, devices,
    and the registered name of each dataset item (per-dataset defaults are keyed by it)."""

    classes: dict[str, type[Method]]
    overrides: dict[str, dict[str, str]]
    devices: list[str]
    dataset_keys: list[str]


@dataclass(frozen=True)
class GridOutcome:
    """A grid run's records in grid order, and the cells another run held."""

    records: list[Record]
    held: list[CellKey]


def run_grid(spec: GridSpec) -> list[Record]:
    """Run (or resume) a grid; return the records of its cells in grid order (cells
    that another run holds right now are left out, with a warning).

    Raises:
        CmhbenchError: for bad names, ``--set`` items or devices before any
            training, and when the results folder cannot be written.
    """
    return run_grid_outcome(spec).records


def run_grid_outcome(spec: GridSpec) -> GridOutcome:
    """:func:`run_grid`, also naming the cells that another run held."""
    from cmhbench.run.executors import make_executor

    plan = _checked(spec)
    executor = make_executor(spec.jobs, spec.cluster)
    try:
        return _run(spec, plan, executor)
    finally:
        executor.close()


def _checked(spec: GridSpec) -> _Plan:
    """Check every name, setting, device, loader and data file (here, unless a
    cluster's workers read their own) before any training."""
    from cmhbench.datasets import dataset_key, dataset_loader
    from cmhbench.registry import get_method

    classes = {name: get_method(name) for name in spec.methods}
    plan = _Plan(
        classes=classes,
        overrides=resolve_overrides(classes, spec.assignments),
        devices=resolve_devices(spec.device),
        dataset_keys=[dataset_key(item) for item in spec.datasets],
    )
    if spec.jobs < 1:
        raise CmhbenchError(f"--jobs must be at least 1, got {spec.jobs}")
    for item in spec.datasets:
        loader = dataset_loader(item, data_root=_root(spec))
        if spec.cluster is None:
            loader.files()
    for name, cls in classes.items():
        for key in plan.dataset_keys:
            cls(spec.bits[0], **_settings(cls, key, plan.overrides[name]))
    return plan


def _run(spec: GridSpec, plan: _Plan, executor: Executor) -> GridOutcome:
    """Plan the grid, then train its pending cells on ``executor``."""
    done: dict[int, Record] = {}
    pending: list[tuple[int, CellTask]] = []
    protocol = MetricProtocol(
        metrics_version=metrics.METRICS_VERSION,
        zero_relevant=spec.zero_relevant,
        map_k=tuple(spec.map_k),
        topk=tuple(spec.topk),
    )
    for item, key in zip(spec.datasets, plan.dataset_keys, strict=True):
        described = executor.describe(item, _root(spec), spec.data_seed)
        for method in spec.methods:
            cls = plan.classes[method]
            settings = _settings(cls, key, plan.overrides[method])
            for bits in spec.bits:
                for seed in spec.seeds:
                    order = len(done) + len(pending)
                    cell = CellSpec(
                        dataset=described["name"],
                        method=method,
                        method_version=cls.info.version,
                        bits=bits,
                        seed=seed,
                        config=dataclasses.asdict(cls(bits, **settings).params),
                        supervised=cls.info.supervised,
                        data_fingerprint=described["fingerprints"][cls.info.supervised],
                        protocol=protocol,
                        native=cls.info.native,
                    )
                    reused = _reused(_previous_record(spec.out, cell.key), cell, spec)
                    if reused is not None:
                        done[order] = reused
                        continue
                    device = plan.devices[len(pending) % len(plan.devices)]
                    pending.append((order, _task(spec, item, settings, cell, device)))
    progress = GridProgress(total=len(done) + len(pending), done=len(done), enabled=spec.progress)
    held: set[Path] = set()
    try:
        with claims.Heartbeat(held):
            for order, (record, arrays) in executor.run(_claimed(pending, spec, done, held)):
                _save(spec.out, record, arrays, held)
                done[order] = record
                progress.cell_done(record)
    finally:
        for path in held:
            claims.release(path)
        progress.close()
    held_keys = [task.spec.key for order, task in pending if order not in done]
    if held_keys:
        log.warning(
            "%d cell(s) are being run by another cmhbench process; rerun to include them",
            len(held_keys),
        )
    return GridOutcome([done[order] for order in sorted(done)], held_keys)


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
    spec: GridSpec, item: str, settings: dict[str, Any], cell: CellSpec, device: str
) -> CellTask:
    # Bars only where one process trains (several would garble a terminal); lines
    # in a log come from every worker.
    serial = spec.jobs == 1 and spec.cluster is None
    return CellTask(
        dataset=item,
        data_root=_root(spec),
        data_seed=spec.data_seed,
        settings=settings,
        spec=cell,
        device=device,
        progress=spec.progress and (serial or not on_terminal()),
        timeout_s=spec.cell_timeout,
    )


def _claimed(
    pending: list[tuple[int, CellTask]],
    spec: GridSpec,
    done: dict[int, Record],
    held: set[Path],
) -> Iterator[tuple[int, CellTask]]:
    """The pending cells this run claims, one at a time as workers ask for work; a
    cell another run finished meanwhile is taken as done."""
    for order, task in pending:
        path = task.spec.key.paths(spec.out)[0]
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
        reused = _reused(records.read_record(path), task.spec, spec)
        if reused is not None:
            done[order] = reused
            claims.release(path)
            held.discard(path)
            continue
        yield order, task


def _save(out: Path, record: Record, arrays: CellArrays | None, held: set[Path]) -> None:
    """Write a finished cell's arrays, then its record, then drop its claim."""
    key = CellKey(record["dataset"], record["method"], record["bits"], record["seed"])
    path, codes_path = key.paths(out)
    with _writing(path):
        if arrays is not None:
            sha = records.write_codes(codes_path, arrays.codes)
            record["codes"] = {"file": codes_path.name, "sha256": sha}
            records.write_query_ap(path, record, arrays.query_ap)
        records.write_record(path, record)
    if record["status"] != "ok" and record["error"] is not None:
        log.warning("%s %s: %s", path, record["status"], record["error"]["message"])
    _warn_if_degenerate(path, record)
    claims.release(path)
    held.discard(path)


def _warn_if_degenerate(path: Path, record: Record) -> None:
    """One warning line for a finished cell whose codes collapsed (cmhbench.health)."""
    degenerate = health.degenerate_description(record)
    if not degenerate:
        return
    found = record["code_health"]
    scores = record["metrics"] or {}
    maps = "/".join(f"{scores[d]['map']:.3f}" for d in ("i2t", "t2i") if d in scores)
    log.warning(
        "%s: degenerate codes (%s); mAP@all %s, constant codes score %.3f here",
        path,
        degenerate,
        maps,
        found["constant_map"] if found["constant_map"] is not None else float("nan"),
    )


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    """Turn a failed write next to ``path`` into one clear error line."""
    try:
        yield
    except OSError as exc:
        raise CmhbenchError(f"cannot write results to {path.parent}: {exc.strerror}") from None


def _previous_record(out: Path, key: CellKey) -> Record | None:
    """The cell's record, or None; a record that exists but does not parse is reported."""
    path = key.paths(out)[0]
    record = records.read_record(path)
    if record is None and path.exists():
        log.warning("%s is truncated, edited or of an unknown schema; the cell runs again", path)
    return record


def _settings(cls: type[Method], dataset: str, overrides: dict[str, str]) -> dict[str, Any]:
    """The method's per-dataset defaults (from its paper or code), then the user's values."""
    return {**cls.dataset_defaults.get(dataset, {}), **overrides}


def _root(spec: GridSpec) -> str | None:
    return None if spec.data_root is None else str(spec.data_root)


def _reused(previous: Record | None, cell: CellSpec, spec: GridSpec) -> Record | None:
    """``previous`` when it is the cell done under ``cell``'s spec (re-scored from its
    codes when only the metric protocol differs), or None when the cell must train."""
    if previous is None or spec.force or previous["config_hash"] != cell.config_hash:
        return None
    path = cell.key.paths(spec.out)[0]
    if previous["status"] != "ok":
        return None if spec.retry_failed else previous
    if MetricProtocol.from_dict(previous["protocol"]) == cell.protocol:
        log.info("skip %s (done)", path)
        return previous
    arrays, problem = rescore.verified_codes(path, previous)
    if arrays is None:
        log.info("%s: %s; the cell trains again for the new metric options", path, problem)
        return None
    with _writing(path):
        rescore.rescore_record(path, previous, arrays, cell.protocol)
    log.info("re-scored %s from its codes under the new metric options", path)
    return previous
