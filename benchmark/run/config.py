"""A grid run's configuration: :class:`GridSpec`, the one list of run options.

Each field of :class:`GridSpec` is one option, declared once with its default, its
help and its kind (how a command-line text or an experiment-file value becomes the
field's value). The Python API builds a GridSpec directly; ``cmhbench run`` builds
its options from these fields; an experiment file (:mod:`cmhbench.run.experiment`)
may set every field marked ``in_file``. :func:`merged` applies the defaults, then
the file, then the options given on the command line.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cmhbench.errors import CmhbenchError
from cmhbench.health import DEGENERATE_POLICIES, DegeneratePolicy
from cmhbench.method import CODE_LENGTHS
from cmhbench.metrics import DEFAULT_MAP_K, DEFAULT_TOPK, ZeroRelevantPolicy
from cmhbench.protocols import PROTOCOLS, Protocol
from cmhbench.values import check_range, parse_ints, split_names

Kind = Literal["names", "ints", "integer", "seconds", "text", "choice", "path", "flag", "set"]
MAX_BITS = 4096
MAX_SEED = 2**31 - 1


class OptionError(CmhbenchError):
    """A run option's value is malformed; ``option`` names it as the command line does."""

    def __init__(self, option: Option, message: str):
        self.option = option
        super().__init__(message)


@dataclass(frozen=True)
class Option:
    """How one GridSpec field is given on the command line and in an experiment file.

    Attributes:
        name: the field's name (the experiment-file key, but ``set`` for assignments).
        kind: how a value is read: comma-separated ``names`` or ``ints``, one
            ``integer`` (each in [low, high]), a positive number of ``seconds``,
            ``text``, a ``choice``, a ``path``, a ``flag``, or ``set`` items (KEY=VALUE).
        help: the command line's help text.
        in_file: whether an experiment file may set it.
    """

    name: str
    kind: Kind
    help: str
    in_file: bool = True
    low: int = 0
    high: int = MAX_SEED
    choices: tuple[str, ...] = ()
    metavar: str | None = None

    @property
    def flag(self) -> str:
        return "--set" if self.kind == "set" else "--" + self.name.replace("_", "-")

    @property
    def file_key(self) -> str:
        return "set" if self.kind == "set" else self.name

    def from_text(self, text: str) -> Any:
        """The value of a command-line text (flags and ``set`` items are given as is)."""
        if self.kind == "names":
            return split_names(text)
        if self.kind == "ints":
            return self.checked_ints(_ints(text, self))
        if self.kind == "path":
            return Path(text)
        if self.kind in ("integer", "seconds"):
            return self.checked_number(_number(text, self))
        return self.checked_text(text)

    def from_file(self, value: Any, folder: Path) -> Any:
        """The value of an experiment-file entry; relative paths start at ``folder``."""
        wrong = f"{self.file_key} must be {_FILE_FORMS[self.kind]}, got {value!r}"
        if self.kind == "names":
            items = [value] if isinstance(value, str) else value
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise OptionError(self, wrong)
            return items
        if self.kind == "ints":
            items = [value] if isinstance(value, int) and not isinstance(value, bool) else value
            if not isinstance(items, list) or not all(_is_int(i) for i in items):
                raise OptionError(self, wrong)
            return self.checked_ints(items)
        if self.kind in ("text", "choice"):
            if not isinstance(value, str):
                raise OptionError(self, wrong)
            return self.checked_text(value)
        if self.kind == "path":
            if not isinstance(value, str) or not value:
                raise OptionError(self, wrong)
            return (folder / value).resolve()
        if self.kind in ("integer", "seconds"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise OptionError(self, wrong)
            return self.checked_number(value)
        if self.kind == "set":
            return set_items(self, value)
        raise OptionError(self, f"{self.file_key} cannot be set in an experiment file")

    def checked_ints(self, values: list[int]) -> list[int]:
        try:
            check_range(values, self.low, self.high)
        except CmhbenchError as exc:
            raise OptionError(self, str(exc)) from None
        if not values:
            raise OptionError(self, "needs at least one value")
        return values

    def checked_number(self, value: float) -> Any:
        if self.kind == "integer" and (not _is_int(value) or not self.low <= value <= self.high):
            raise OptionError(
                self,
                f"{self.file_key} must be an integer in [{self.low}, {self.high}], got {value!r}",
            )
        if self.kind == "seconds" and not (math.isfinite(value) and value > 0):
            raise OptionError(
                self, f"{self.file_key} must be a finite positive number, got {value!r}"
            )
        return value

    def checked_text(self, value: str) -> str:
        if self.choices and value not in self.choices:
            listed = " or ".join(self.choices)
            raise OptionError(self, f"{self.file_key} must be {listed}, got {value!r}")
        return value


_FILE_FORMS: dict[Kind, str] = {
    "names": "a list of names",
    "ints": "a list of integers",
    "text": "a string",
    "choice": "a string",
    "path": "a path string",
    "integer": "an integer",
    "seconds": "a finite positive number",
    "flag": "given on the command line",
    "set": "a table of hyper-parameters",
}


def option(
    kind: Kind,
    help: str,
    *,
    default: Any = dataclasses.MISSING,
    default_factory: Callable[[], Any] | Any = dataclasses.MISSING,
    **details: Any,
) -> Any:
    """Declare a GridSpec field as a run option (the field's name is filled in later)."""
    spec = {"kind": kind, "help": help, **details}
    return field(default=default, default_factory=default_factory, metadata={"option": spec})


@dataclass
class GridSpec:
    """Everything a grid run needs; every field is a run option (see the module docstring).

    Attributes:
        methods: registered method names.
        datasets: registered dataset names (with options) or paths to data files.
        bits, seeds: code lengths and training seeds (the data's seed is ``data_seed``).
        out: results folder.
        assignments: ``--set`` items (``key=value`` or ``method.key=value``).
        device: 'auto', 'cpu', 'cuda', 'cuda:N', or a comma list of CUDA devices.
        jobs: cells trained at once (joblib worker processes when above 1).
        cell_timeout: seconds a cell's training may take (None: no limit).
        cluster: a dask scheduler address, or 'local:N' (None: this machine).
        force, retry_failed: redo finished cells, or failed ones.
        progress: show progress (bars on a terminal, a line per cell in a log).
        degenerate: 'flag' or 'fail': how cells with degenerate codes count.
        zero_relevant, map_k, topk: the metric protocol.
        protocol: the retrieval protocol of the table the run prints (every cell
            stores the codes of both; see :mod:`cmhbench.protocols`).
        data_seed: seed of dataset generation and of drawn splits.
        data_root: folder of the field's data files (None: $CMHBENCH_DATA_ROOT or ./data).
    """

    methods: list[str] = option(
        "names",
        "Comma-separated method names, e.g. ucch,triplet (required without --config).",
    )
    datasets: list[str] = option(
        "names",
        "Comma-separated dataset names (with options: uci-mfeat:image=fac:text=kar) "
        "or paths to .npz / .h5 files.",
        default_factory=lambda: ["synthetic"],
    )
    bits: list[int] = option(
        "ints", "Code lengths.", default_factory=lambda: list(CODE_LENGTHS), low=1, high=MAX_BITS
    )
    seeds: list[int] = option("ints", "Training seeds.", default_factory=lambda: [0])
    out: Path = option("path", "Results folder.", default=Path("results/runs"))
    assignments: list[str] = option(
        "set",
        "Hyper-parameter for every selected method that has it (epochs=5), or for one "
        "(triplet.margin=0.3). Repeatable.",
        default_factory=list,
        metavar="KEY=VALUE",
    )
    device: str = option(
        "text",
        "auto (CUDA when available), cpu, cuda, cuda:N, or cuda:0,cuda:1 to spread cells.",
        default="auto",
    )
    jobs: int = option(
        "integer", "Cells trained at once, in joblib worker processes.", default=1, low=1
    )
    cell_timeout: float | None = option(
        "seconds",
        "Stop a cell's training after this long and record it as 'timeout'.",
        default=None,
        metavar="SECONDS",
    )
    cluster: str | None = option(
        "text",
        "Run the cells on a dask.distributed scheduler (tcp://host:8786), "
        "or on local:N, a cluster of N worker processes on this machine.",
        default=None,
        metavar="ADDRESS",
    )
    force: bool = option("flag", "Redo cells that are already done.", default=False, in_file=False)
    retry_failed: bool = option(
        "flag", "Redo cells recorded as failed.", default=False, in_file=False
    )
    progress: bool = option(
        "flag",
        "Progress on stderr: bars on a terminal, else a line per finished cell.",
        default=True,
        in_file=False,
    )
    degenerate: DegeneratePolicy = option(
        "choice",
        "Cells whose codes collapsed (see README): marked in the table, or counted as "
        "failed (exit status 1); their records say ok either way.",
        default="flag",
        choices=DEGENERATE_POLICIES,
    )
    zero_relevant: ZeroRelevantPolicy = option(
        "choice",
        "Queries with no relevant item: AP 0, or left out.",
        default="count",
        choices=("count", "exclude"),
    )
    protocol: Protocol = option(
        "choice",
        "Retrieval protocol of the printed table: suite (every item hashed by its own "
        "modality's hash function) or native (each method's authors' protocol). Cells "
        "store the codes of both.",
        default="suite",
        choices=PROTOCOLS,
    )
    map_k: list[int] = option(
        "ints", "K of mAP@K.", default_factory=lambda: list(DEFAULT_MAP_K), low=1, high=10**9
    )
    topk: list[int] = option(
        "ints", "K of precision@K.", default_factory=lambda: list(DEFAULT_TOPK), low=1, high=10**9
    )
    data_seed: int = option("integer", "Seed of dataset generation and of drawn splits.", default=0)
    data_root: Path | None = option(
        "path",
        "Folder of the field's data files (default: $CMHBENCH_DATA_ROOT, else ./data).",
        default=None,
    )


def run_options() -> list[Option]:
    """Every run option, in GridSpec's field order."""
    return [
        Option(name=item.name, **item.metadata["option"]) for item in dataclasses.fields(GridSpec)
    ]


def defaults() -> dict[str, Any]:
    """{field: default} of every option that has one (all but ``methods``)."""
    values = {}
    for item in dataclasses.fields(GridSpec):
        if item.default is not dataclasses.MISSING:
            values[item.name] = item.default
        elif item.default_factory is not dataclasses.MISSING:
            values[item.name] = item.default_factory()
    return values


def merged(from_file: Mapping[str, Any], given: Mapping[str, Any]) -> GridSpec:
    """The grid of the defaults, updated by an experiment file's values, then by the
    options given on the command line (both keyed by field name). ``set`` items add
    up: the file's first, then the command line's.

    Raises:
        CmhbenchError: no methods anywhere.
    """
    values = {**defaults(), **from_file, **given}
    values["assignments"] = [*from_file.get("assignments", []), *given.get("assignments", [])]
    if not values.get("methods"):
        raise CmhbenchError("name at least one method with --methods (or in a --config file)")
    return GridSpec(**values)


def set_items(opt: Option, table: Any, prefix: str = "") -> list[str]:
    """An experiment file's ``[set]`` (with optional ``[set.METHOD]`` sub-tables) as
    ``KEY=VALUE`` items."""
    if not isinstance(table, dict):
        raise OptionError(opt, f"set must be a table of hyper-parameters, got {table!r}")
    items = []
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            if prefix:
                raise OptionError(opt, f"set.{name} nests too deep (use [set.METHOD])")
            items += set_items(opt, value, prefix=f"{key}.")
        elif isinstance(value, list):
            items.append(f"{name}={','.join(map(_scalar, value))}")
        else:
            items.append(f"{name}={_scalar(value)}")
    return items


def _ints(text: str | None, opt: Option) -> list[int]:
    try:
        return parse_ints(text, opt.low, opt.high)
    except CmhbenchError as exc:
        raise OptionError(opt, str(exc)) from None


def _number(text: str, opt: Option) -> float:
    try:
        return int(text) if opt.kind == "integer" else float(text)
    except ValueError:
        raise OptionError(opt, f"expected a number, got {text!r}") from None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
