"""The record contract: what identifies a cell and what its record holds.

* :class:`CellKey` names a cell (dataset, method, bits, seed): where its files live.
* :class:`CellSpec` is everything that decides a cell's result: the key, the method's
  version and resolved hyper-parameters, whether it trains with labels, the data's
  fingerprint (arrays and split), the method's native retrieval protocol
  (:mod:`cmhbench.protocols`), whose codes the cell stores beside the suite's, and
  the metric protocol its metrics were scored under. The hash of what decides the
  codes (:meth:`CellSpec.identity`: all of it but the metric protocol) is the
  record's ``config_hash``; a rerun skips a cell whose record has the hash the grid
  wants, and re-scores its stored codes when only the metric protocol differs. The
  runner builds the spec of each cell; a record gives its stored spec back
  (:meth:`CellSpec.from_record`).
* :class:`Record` is the JSON record, typed. ``schema_version`` says which layout a
  file has; :func:`migrate` brings an older one up to date when it is read, so a
  change of layout does not make finished cells run again (except where the older
  record lacks codes the cell now stores: see :func:`migrate`).
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple, TypedDict

import numpy as np

from cmhbench.health import CodeHealth
from cmhbench.metrics import DirectionMetrics, ZeroRelevantPolicy
from cmhbench.protocols import NativeKind

#: Built-in methods whose native protocol was not the suite's when records began to
#: store native codes (schema 3): their older records have no native codes.
NATIVE_BEFORE_SCHEMA_3 = frozenset({"dlfh", "mtfh", "lssh", "fomh"})

SCHEMA_VERSION = 4
Status = Literal["ok", "failed", "timeout"]


class CellKey(NamedTuple):
    """A cell's place in a results folder."""

    dataset: str
    method: str
    bits: int
    seed: int

    @property
    def stem(self) -> str:
        return f"bits{self.bits}-seed{self.seed}"

    def paths(self, out: Path) -> tuple[Path, Path]:
        """(record JSON path, codes NPZ path) under the results folder ``out``."""
        folder = Path(out) / self.dataset / self.method
        return folder / f"{self.stem}.json", folder / f"{self.stem}.npz"


@dataclass(frozen=True)
class MetricProtocol:
    """How codes are scored: the metric code's version, the policy for queries with no
    relevant item, and the K lists of mAP@K and precision@K."""

    metrics_version: int
    zero_relevant: ZeroRelevantPolicy
    map_k: tuple[int, ...]
    topk: tuple[int, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "metrics_version": self.metrics_version,
            "zero_relevant": self.zero_relevant,
            "map_k": list(self.map_k),
            "topk": list(self.topk),
        }

    @classmethod
    def from_dict(cls, stored: dict[str, Any]) -> MetricProtocol:
        return cls(
            metrics_version=int(stored["metrics_version"]),
            zero_relevant=stored["zero_relevant"],
            map_k=tuple(int(k) for k in stored["map_k"]),
            topk=tuple(int(k) for k in stored["topk"]),
        )


@dataclass(frozen=True)
class CellSpec:
    """Everything that decides one cell's result. The hash of its codes' part
    (:meth:`identity`) is the config hash; ``protocol`` says how the metrics were
    scored, which the stored codes can change without training.

    ``native`` enters the hash only when it is not 'suite', so the cells of methods
    that score natively as the suite does kept their hashes when it was added.
    """

    dataset: str
    method: str
    method_version: int
    bits: int
    seed: int
    config: dict[str, Any]
    supervised: bool
    data_fingerprint: str
    protocol: MetricProtocol
    native: NativeKind = "suite"

    @property
    def key(self) -> CellKey:
        return CellKey(self.dataset, self.method, self.bits, self.seed)

    def identity(self) -> dict[str, Any]:
        """What decides the cell's codes, as plain JSON values: the hashed content."""
        native = {} if self.native == "suite" else {"native": self.native}
        return {
            **native,
            "dataset": self.dataset,
            "data_fingerprint": self.data_fingerprint,
            "method": self.method,
            "method_version": self.method_version,
            "bits": self.bits,
            "seed": self.seed,
            "config": self.config,
            "supervised": self.supervised,
        }

    @functools.cached_property
    def config_hash(self) -> str:
        """SHA-256 (first 16 hex digits) of the canonical JSON of :meth:`identity`."""
        return canonical_hash(self.identity())[:16]

    @classmethod
    def from_record(cls, record: Record) -> CellSpec:
        """The spec a (current-schema) record was made under."""
        return cls(
            dataset=record["dataset"],
            method=record["method"],
            method_version=record["method_version"],
            bits=record["bits"],
            seed=record["seed"],
            config=record["config"],
            supervised=record["supervised"],
            data_fingerprint=record["data"]["fingerprint"],
            protocol=MetricProtocol.from_dict(record["protocol"]),
            native=(record.get("native") or {}).get("kind", "suite"),
        )


class ErrorInfo(TypedDict):
    type: str
    message: str
    traceback: str


class CodesFile(TypedDict):
    file: str
    sha256: str


class DataInfo(TypedDict, total=False):
    fingerprint: str  # always present
    split: dict[str, Any]
    split_sha256: str
    n_items: int
    image_dim: int
    text_dim: int
    n_labels: int
    n_train: int
    n_query: int
    n_retrieval: int


class NativeScores(TypedDict, total=False):
    """A record's native protocol: its kind and, when that is not 'suite', the
    metrics and code health of the native codes and the number of retrieval items of
    each modality that were encoded because the method did not train on them."""

    kind: NativeKind  # always present
    metrics: dict[str, DirectionMetrics]
    code_health: CodeHealth
    encoded_retrieval_items: dict[str, int]


class _Identity(TypedDict):
    schema_version: int
    dataset: str
    method: str
    method_version: int
    bits: int
    seed: int
    config: dict[str, Any]
    config_hash: str
    supervised: bool
    protocol: dict[str, Any]


class _Outcome(_Identity):
    status: Status
    error: ErrorInfo | None
    metrics: dict[str, DirectionMetrics] | None
    codes: CodesFile | None
    data: DataInfo
    finished_at: str


class Record(_Outcome, total=False):
    """One cell's JSON record (the fields the README lists); the keys of ``_Identity``
    and ``_Outcome`` are always present, the others where the cell ran."""

    trained_with_labels: bool
    paper: str
    device: str
    device_name: str
    worker: dict[str, Any]
    started_at: str
    versions: dict[str, str | None]
    platform: str
    git_revision: str | None
    timings: dict[str, float]
    threads: dict[str, Any]
    peak_memory_mb: float
    peak_gpu_memory_mb: float
    loss_history: list[float]
    code_health: CodeHealth
    native: NativeScores | None  # None: made before native codes were stored
    query_ap: CodesFile  # each query's AP@all (records.write_query_ap)
    record_sha256: str


def new_record(
    spec: CellSpec,
    *,
    status: Status,
    data: DataInfo,
    finished_at: str,
    error: ErrorInfo | None = None,
    metrics: dict[str, DirectionMetrics] | None = None,
) -> Record:
    """A record of ``spec`` with its outcome; provenance fields are added by the caller."""
    return {
        "schema_version": SCHEMA_VERSION,
        "dataset": spec.dataset,
        "method": spec.method,
        "method_version": spec.method_version,
        "bits": spec.bits,
        "seed": spec.seed,
        "config": spec.config,
        "config_hash": spec.config_hash,
        "supervised": spec.supervised,
        "protocol": spec.protocol.as_dict(),
        "status": status,
        "error": error,
        "metrics": metrics,
        "codes": None,
        "data": {**data, "fingerprint": spec.data_fingerprint},
        "finished_at": finished_at,
        "native": {"kind": spec.native},
    }


def migrate(stored: dict[str, Any]) -> Record | None:
    """``stored`` (a parsed record of any schema version) in the current layout, or
    None when its version is unknown (newer than this cmhbench, or not a record).

    Version 1 to 2: the method's version joined the cell spec (every method was at
    version 1 then), so the config hash is recomputed from the stored spec; nothing
    else changed. Version 2 to 3: records gained ``native``; an older record's native
    protocol is the suite's, except for the methods of
    :data:`NATIVE_BEFORE_SCHEMA_3`, whose native codes it lacks (``native`` None: the
    cell trains again when its grid runs, and native tables leave it out). Version 3
    to 4: the metric protocol left the config hash (it is scoring, not training), so
    the hash is recomputed; the record keeps its protocol and metrics.
    """
    version = stored.get("schema_version")
    if version == 1:
        stored = {**stored, "schema_version": 2, "method_version": 1}
        stored.setdefault("codes", None)
        stored["config_hash"] = CellSpec.from_record(stored).config_hash  # type: ignore[arg-type]
        version = 2
    if version == 2:
        lacking = stored["method"] in NATIVE_BEFORE_SCHEMA_3
        stored = {**stored, "schema_version": 3, "native": None if lacking else {"kind": "suite"}}
        version = 3
    if version == 3:
        stored = {**stored, "schema_version": 4}
        stored["config_hash"] = CellSpec.from_record(stored).config_hash  # type: ignore[arg-type]
        version = 4
    if version != SCHEMA_VERSION:
        return None
    return stored  # type: ignore[return-value]


def canonical_hash(value: Any) -> str:
    """SHA-256 (hex) of ``value``'s canonical JSON (sorted keys, no spaces)."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), default=jsonable)
    return hashlib.sha256(canonical.encode()).hexdigest()


def jsonable(value: Any) -> Any:
    """JSON form of the non-JSON values records hold (numpy scalars, tuples, paths)."""
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, (tuple, set)):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {value!r}")
