"""Lazy registries of methods and datasets.

Three sources feed a registry, all resolved only when a name is used:

* built-ins, listed by name and module (``cmhbench.methods.BUILTIN`` and
  ``cmhbench.datasets.BUILTIN``); importing the module runs its decorator;
* the entry-point groups ``cmhbench.methods`` and ``cmhbench.datasets``, so a package
  outside this repository adds a method by declaring, in its own setup.py,
  ``entry_points={"cmhbench.methods": ["myhash = mypkg.mod:MyHash"]}``;
* classes decorated with :func:`register_method` (or :func:`register_dataset`) in
  the user's own script.

Listing names (``--help``, name validation, suggestions) imports nothing.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from typing import Any, TypeVar

from cmhbench.errors import CmhbenchError, UnknownNameError

T = TypeVar("T")


class Registry:
    """Names mapped to objects that are imported on first use.

    Args:
        kind: 'method' or 'dataset', used in messages.
        group: the entry-point group scanned for third-party plugins.
        builtins: a callable returning {name: module} for the built-ins; importing the
            module must register the name.
        check: called as ``check(name, obj)`` before an object is registered; raises
            TypeError for objects of the wrong kind.
    """

    def __init__(
        self,
        kind: str,
        group: str,
        builtins: Callable[[], dict[str, str]],
        check: Callable[[str, Any], None],
    ):
        self.kind = kind
        self.group = group
        self._builtins = builtins
        self._check = check
        self._loaded: dict[str, Any] = {}
        self._sources: dict[str, str | EntryPoint] | None = None

    def _lazy_sources(self) -> dict[str, str | EntryPoint]:
        if self._sources is None:
            sources: dict[str, str | EntryPoint] = dict(self._builtins())
            for ep in entry_points(group=self.group):
                if ep.name in sources:
                    first = sources[ep.name]
                    origin = "cmhbench" if isinstance(first, str) else first.value
                    raise CmhbenchError(
                        f"{self.kind} {ep.name!r} is registered twice: by {origin} and by "
                        f"{ep.value} (distribution {_dist_name(ep)})"
                    )
                sources[ep.name] = ep
            self._sources = sources
        return self._sources

    def names(self) -> list[str]:
        """Every registered name, sorted; imports nothing."""
        return sorted(set(self._lazy_sources()) | set(self._loaded))

    def origin(self, name: str) -> str:
        """Where a name comes from: 'built-in', a distribution, or 'script'."""
        source = self._lazy_sources().get(name)
        if source is None:
            return "script"
        return "built-in" if isinstance(source, str) else f"plugin ({_dist_name(source)})"

    def add(self, name: str, obj: T) -> T:
        """Register ``obj`` under ``name`` (what the decorators call)."""
        self._check(name, obj)
        existing = self._loaded.get(name)
        if existing is not None and existing is not obj:
            raise CmhbenchError(f"{self.kind} {name!r} is already registered by {existing!r}")
        self._loaded[name] = obj
        return obj

    def get(self, name: str) -> Any:
        """The object registered as ``name``, importing it if needed.

        Raises:
            UnknownNameError: the name is not registered (with the closest match).
            CmhbenchError: the plugin failed to import.
        """
        if name in self._loaded:
            return self._loaded[name]
        source = self._lazy_sources().get(name)
        if source is None:
            raise UnknownNameError(self.kind, name, self.names())
        try:
            if isinstance(source, str):
                importlib.import_module(source)
            else:  # an entry point (stdlib's, or importlib_metadata's once that is imported)
                obj = source.load()
                if name not in self._loaded:
                    self.add(name, obj)
        except CmhbenchError:
            raise
        except Exception as exc:  # a broken plugin must not crash the CLI
            raise CmhbenchError(
                f"{self.kind} {name!r} could not be loaded: {type(exc).__name__}: {exc}"
            ) from exc
        if name not in self._loaded:
            raise CmhbenchError(f"importing {source} did not register {self.kind} {name!r}")
        return self._loaded[name]

    def reset_discovery(self) -> None:
        """Forget scanned entry points (after installing a plugin in the same process)."""
        self._sources = None


def _dist_name(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return dist.name if dist is not None else "unknown"


def _builtin_methods() -> dict[str, str]:
    from cmhbench.methods import BUILTIN

    return BUILTIN


def _builtin_datasets() -> dict[str, str]:
    from cmhbench.datasets import BUILTIN

    return BUILTIN


def _check_method(name: str, obj: Any) -> None:
    from cmhbench.method import Method

    if not (isinstance(obj, type) and issubclass(obj, Method)):
        raise TypeError(f"method {name!r} must be a cmhbench.Method subclass, got {obj!r}")
    obj.name = name


def _check_dataset(name: str, obj: Any) -> None:
    from cmhbench.datasets.base import Dataset

    if not (isinstance(obj, type) and issubclass(obj, Dataset)):
        raise TypeError(f"dataset {name!r} must be a cmhbench.Dataset subclass, got {obj!r}")
    obj.registered_as = name


METHODS = Registry("method", "cmhbench.methods", _builtin_methods, _check_method)
DATASETS = Registry("dataset", "cmhbench.datasets", _builtin_datasets, _check_dataset)


def register_method(name: str) -> Callable[[type[T]], type[T]]:
    """Class decorator that registers a :class:`cmhbench.Method` subclass as ``name``."""

    def decorate(cls: type[T]) -> type[T]:
        return METHODS.add(name, cls)

    return decorate


def register_dataset(name: str) -> Callable[[T], T]:
    """Class decorator that registers a dataset loader (a :class:`cmhbench.Dataset`
    subclass) as ``name``."""

    def decorate(loader: T) -> T:
        return DATASETS.add(name, loader)

    return decorate


def get_method(name: str) -> Any:
    """The Method class registered as ``name``."""
    return METHODS.get(name)


def get_dataset(name: str) -> Any:
    """The dataset loader registered as ``name``."""
    return DATASETS.get(name)
