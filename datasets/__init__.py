"""Built-in datasets, dataset options, and the loader for a user's own ``.npz`` file.

A ``--datasets`` item is a registered name, optionally with options
(``uci-mfeat:image=fac:text=kar``; the keys are the loader's constructor
arguments), or a path to a ``.npz`` file. Every registered dataset also takes one
of the split options of :mod:`cmhbench.datasets.splits` (``split=PATH``,
``train_size=N``, ``per_label=Q,T``).
"""

from __future__ import annotations

import inspect
import types
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cmhbench.datasets.npz import DATA_SUFFIXES
from cmhbench.errors import CmhbenchError, suggest

if TYPE_CHECKING:
    from cmhbench.data import CrossModalData
    from cmhbench.datasets.base import Dataset, DatasetLoader

BUILTIN: dict[str, str] = {
    "synthetic": "cmhbench.datasets.synthetic",
    "uci-mfeat": "cmhbench.datasets.uci_mfeat",
    "mirflickr25k": "cmhbench.datasets.mirflickr",
    "nus-wide-tc10": "cmhbench.datasets.nus_wide",
    "iapr-tc12": "cmhbench.datasets.iapr",
    "mscoco": "cmhbench.datasets.mscoco",
    "wiki": "cmhbench.datasets.wiki",
}
OPTION_TYPES = (bool, int, float, str)


def is_data_file(spec: str) -> bool:
    """Whether a ``--datasets`` item names a file rather than a registered dataset.

    Only the part before the first ':' counts, so option values may be paths; a
    Windows drive letter ('C:\\...') is a path.
    """
    head, _, tail = spec.partition(":")
    if len(head) == 1 and tail[:1] in ("/", "\\"):
        return True
    return head.endswith(DATA_SUFFIXES) or "/" in head or "\\" in head


def parse_dataset_spec(spec: str) -> tuple[str, dict[str, str]]:
    """'name:key=value:key=value' -> (name, {key: value})."""
    name, _, rest = spec.partition(":")
    options: dict[str, str] = {}
    for item in filter(None, rest.split(":")):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise CmhbenchError(f"dataset option {item!r} in {spec!r} must look like KEY=VALUE")
        options[key.strip()] = value.strip()
    return name.strip(), options


def dataset_key(spec: str) -> str:
    """The name that per-dataset method defaults are keyed by: the registered name
    without options, or a data file's stem."""
    return Path(spec).stem if is_data_file(spec) else parse_dataset_spec(spec)[0]


def dataset_folder(spec: str, data_seed: int = 0) -> str:
    """The results folder of a ``--datasets`` item: its loader's name, which spells out
    the options (``uci-mfeat:image=fac:text=kar`` -> ``uci-mfeat-fac-kar``), and the
    data seed where it is not 0 (:func:`seeded_name`); nothing is read."""
    return seeded_name(dataset_loader(spec).name, data_seed)


def seeded_name(name: str, data_seed: int) -> str:
    """The name records and results folders give data made with ``data_seed``: the
    data's name, with ``-dataseed<N>`` where N is not 0, so that runs on data of
    another seed never overwrite the default's records."""
    return name if data_seed == 0 else f"{name}-dataseed{data_seed}"


def dataset_options(loader_class: type[Dataset]) -> dict[str, Any]:
    """The options a dataset loader accepts: {name: type hint} of its plain arguments."""
    try:
        parameters = inspect.signature(loader_class, eval_str=True).parameters
    except (NameError, TypeError, ValueError):
        return {}
    accepted = {}
    for name, parameter in parameters.items():
        hint = parameter.annotation
        if typing.get_origin(hint) in (typing.Union, types.UnionType):  # X | None
            hint_inner = next(a for a in typing.get_args(hint) if a is not type(None))
        else:
            hint_inner = hint
        if hint_inner in OPTION_TYPES or typing.get_origin(hint_inner) is typing.Literal:
            accepted[name] = hint
    return accepted


def dataset_loader(spec: str, *, data_root: str | None = None) -> DatasetLoader:
    """The loader object for one ``--datasets`` item (nothing is read yet).

    ``data_root`` (``--data-root``) goes to every loader that takes a ``root`` option,
    unless the item sets its own.

    Raises:
        CmhbenchError: unknown dataset, unknown option (with the closest match), or a
            value of the wrong type.
    """
    if is_data_file(spec):
        from cmhbench.datasets.npz import NpzFile

        return NpzFile(Path(spec))
    from cmhbench.datasets.splits import OPTIONS as SPLIT_OPTIONS
    from cmhbench.datasets.splits import WithSplit
    from cmhbench.method import coerce
    from cmhbench.registry import get_dataset

    name, options = parse_dataset_spec(spec)
    split_options = {key: options.pop(key) for key in SPLIT_OPTIONS if key in options}
    if len(split_options) > 1:
        raise CmhbenchError(f"{spec!r}: give at most one of {', '.join(SPLIT_OPTIONS)}")
    loader_class = get_dataset(name)
    accepted = dataset_options(loader_class)
    if data_root is not None and "root" in accepted:
        options.setdefault("root", data_root)
    kwargs = {}
    for key, value in options.items():
        if key not in accepted:
            known = [*accepted, *SPLIT_OPTIONS]
            raise CmhbenchError(
                f"dataset {name!r} has no option {key!r}{suggest(key, known)} "
                f"(its options: {', '.join(known)})"
            )
        kwargs[key] = coerce(value, accepted[key], f"dataset option {name}:{key}")
    loader: DatasetLoader = loader_class(**kwargs)
    for option, value in split_options.items():
        loader = WithSplit(loader, option, value)
    return loader


def load_dataset(spec: str, *, seed: int = 0, data_root: str | None = None) -> CrossModalData:
    """Load a registered dataset (with its options) or a user's ``.npz`` file."""
    return dataset_loader(spec, data_root=data_root).load(seed=seed)
