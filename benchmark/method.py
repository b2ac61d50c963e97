"""The one interface every hashing method implements.

A method is a :class:`Method` subclass with

* ``info``: a :class:`MethodInfo` (paper, venue, official code, supervision);
* ``Params``: a dataclass of hyper-parameters whose defaults are declared with
  :func:`hyperparameter`, each naming where the default comes from;
* ``fit(data, *, device, seed, progress)`` on the training :class:`PairedSet`;
* ``encode(features, modality)`` returning int8 codes in {-1, +1}.

The harness computes every metric; methods only produce codes.
"""

from __future__ import annotations

import abc
import dataclasses
import types
import typing
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from cmhbench.data import MODALITIES, CrossModalData, Modality, PairedSet
from cmhbench.errors import CmhbenchError, UnknownNameError
from cmhbench.protocols import NativeKind

CODE_LENGTHS: tuple[int, ...] = (16, 32, 64, 128)  # the field's standard code lengths


@dataclass(frozen=True)
class MethodInfo:
    """What a method is and where it comes from.

    Attributes:
        title: the paper's title.
        authors: short author list.
        venue: venue and year, e.g. 'IEEE TPAMI 2023'.
        code: the official code repository, or '' when there is none.
        supervised: whether ``fit`` uses labels.
        short_name: the name papers print in tables and legends (e.g. 'UCCH'); ''
            means the registered name.
        version: the version of this implementation's numerics. Bump it whenever a
            change can change the codes (a fix, a new default): it is part of every
            cell's config hash, so the method's finished cells run again and no
            other method's do.
        native: how the authors' code makes the codes it scores, one of
            :data:`cmhbench.protocols.NATIVE_KINDS` ('suite' when as the suite does);
            ``--protocol native`` scores those codes.
    """

    title: str
    authors: str
    venue: str
    code: str = ""
    supervised: bool = False
    short_name: str = ""
    version: int = 1
    native: NativeKind = "suite"

    def citation(self) -> str:
        return f"{self.authors}. {self.title}. {self.venue}."


def hyperparameter(default: Any, source: str) -> Any:
    """Declare a hyper-parameter field with its default and where that default comes from."""
    if isinstance(default, (list, dict, set)):
        raise TypeError("use a tuple (immutable) for sequence defaults")
    return dataclasses.field(default=default, metadata={"source": source})


class Method(abc.ABC):
    """Base class of all hashing methods.

    Args:
        bits: code length L.
        **overrides: hyper-parameter values that replace the defaults in ``Params``.
    """

    name: ClassVar[str] = ""
    info: ClassVar[MethodInfo]
    Params: ClassVar[type]
    #: Hyper-parameters that the paper or official code sets per dataset, by dataset
    #: name; the runner applies them before the user's ``--set`` values.
    dataset_defaults: ClassVar[dict[str, dict[str, Any]]] = {}
    #: Small settings with which the method trains in seconds on the embedded
    #: ``synthetic`` data and still learns: for tests and smoke runs, never results.
    quick_settings: ClassVar[dict[str, Any]] = {}

    def __init__(self, bits: int, **overrides: Any):
        if not isinstance(bits, int) or not 1 <= bits <= 4096:
            raise CmhbenchError(f"bits must be an integer in [1, 4096], got {bits!r}")
        self.bits = bits
        self.params = make_params(self.Params, overrides, owner=self.name or type(self).__name__)

    @property
    def supervised(self) -> bool:
        return self.info.supervised

    @property
    def uses_labels(self) -> bool:
        """Whether ``fit`` receives training labels (supervised methods, or an
        unsupervised method told to select its model on labelled validation data)."""
        return self.info.supervised

    @abc.abstractmethod
    def fit(
        self, data: PairedSet, *, device: str = "cpu", seed: int = 0, progress: bool = False
    ) -> None:
        """Learn the hash functions from the training pairs."""

    @abc.abstractmethod
    def encode(self, features: np.ndarray, modality: Modality) -> np.ndarray:
        """Hash features of one modality to int8 codes in {-1, +1}, shape (n, bits)."""

    def encode_query(self, features: np.ndarray, modality: Modality) -> np.ndarray:
        """Hash query items of one modality. By default a query is hashed as a retrieval
        item is (``encode``); a method whose queries go into the other modality's code
        space (MTFH) overrides this."""
        return self.encode(features, modality)

    def training_history(self) -> list[float]:
        """The objective per epoch (or iteration) of the last ``fit``, which a method
        stores in ``self.history``; empty when it stores none (closed-form methods)."""
        return list(getattr(self, "history", []))

    @classmethod
    def defaults(cls) -> dict[str, dict[str, Any]]:
        """{field: {'default': value, 'source': where it comes from}} for listings."""
        return {
            f.name: {"default": f.default, "source": f.metadata.get("source", "")}
            for f in dataclasses.fields(cls.Params)
        }


def encode_parts(method: Method, data: CrossModalData) -> dict[str, np.ndarray]:
    """The codes of ``data``'s query and retrieval parts, keyed ``{modality}_{part}``:
    queries by ``encode_query``, retrieval items by ``encode``."""
    encoders = {"query": method.encode_query, "retrieval": method.encode}
    return {
        f"{modality}_{part}": encoders[part](data.part(part).features(modality), modality)
        for part in ("query", "retrieval")
        for modality in MODALITIES
    }


def make_params(params_cls: type, overrides: dict[str, Any], *, owner: str) -> Any:
    """Build a ``Params`` instance, coercing string values (from ``--set``) to field types."""
    fields = {f.name: f for f in dataclasses.fields(params_cls)}
    hints = typing.get_type_hints(params_cls)
    values = {}
    for key, value in overrides.items():
        if key not in fields:
            raise UnknownNameError(f"hyper-parameter of {owner}", key, fields)
        values[key] = coerce(value, hints[key], f"{owner}.{key}")
    return params_cls(**values)


def coerce(value: Any, hint: Any, what: str) -> Any:
    """Convert ``value`` (often a string from the command line) to the annotated type."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        is_none = value is None or (isinstance(value, str) and value.lower() == "none")
        if is_none and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return coerce(value, inner[0], what)
    if origin is typing.Literal:
        if value not in args:
            raise CmhbenchError(f"{what} must be one of {', '.join(map(str, args))}; got {value!r}")
        return value
    if origin is tuple:
        items = value.split(",") if isinstance(value, str) else list(value)
        items = [i for i in items if str(i).strip() != ""]
        return tuple(coerce(i, args[0], what) for i in items)
    try:
        if hint is bool:
            return _to_bool(value)
        if hint in (int, float, str):
            converted = hint(value)
            if hint is int and isinstance(value, float) and value != converted:
                raise ValueError
            return converted
    except (TypeError, ValueError):
        raise CmhbenchError(f"{what} must be of type {hint.__name__}, got {value!r}") from None
    return value


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(value)


def as_sign_codes(values: np.ndarray) -> np.ndarray:
    """Binarise real outputs to int8 {-1, +1}; exact zeros map to +1."""
    return np.where(np.asarray(values) >= 0, 1, -1).astype(np.int8)


def resolve_overrides(
    method_classes: dict[str, type[Method]], assignments: list[str]
) -> dict[str, dict[str, str]]:
    """Turn ``--set`` items into per-method overrides, checking every key.

    ``key=value`` applies to every selected method whose ``Params`` has ``key``;
    ``method.key=value`` applies to that method only.

    Raises:
        CmhbenchError: malformed item, a method that is not selected, or a key that
            no selected method has.
    """
    per_method: dict[str, dict[str, str]] = {name: {} for name in method_classes}
    for item in assignments:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise CmhbenchError(f"--set expects KEY=VALUE or METHOD.KEY=VALUE, got {item!r}")
        target, dot, field_name = key.rpartition(".")
        if dot:
            if target not in method_classes:
                raise UnknownNameError("method in --set (not selected)", target, method_classes)
            fields = {f.name for f in dataclasses.fields(method_classes[target].Params)}
            if field_name not in fields:
                raise UnknownNameError(f"hyper-parameter of {target}", field_name, fields)
            per_method[target][field_name] = value.strip()
            continue
        takers = [
            name
            for name, cls in method_classes.items()
            if key in {f.name for f in dataclasses.fields(cls.Params)}
        ]
        if not takers:
            known = {
                f.name for cls in method_classes.values() for f in dataclasses.fields(cls.Params)
            }
            raise UnknownNameError("hyper-parameter of the selected methods", key, known)
        for name in takers:
            per_method[name][key] = value.strip()
    return per_method
