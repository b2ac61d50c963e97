"""What every dataset loader provides: :class:`DatasetLoader`, and the base class
:class:`Dataset` that gives a loader all of it but ``load``.

A loader is built from the options of a ``--datasets`` item and reads nothing until
``load``; ``files`` names what it would read (raising one clear error, with where
it looked, when a file is missing), so a grid can check its data before training.
"""

from __future__ import annotations

import abc
from pathlib import Path
from typing import ClassVar, Protocol

from cmhbench.data import CrossModalData


class DatasetLoader(Protocol):
    """The interface the runner, the CLI and the tables use."""

    @property
    def name(self) -> str:
        """The registered name, or one that spells out the options (results folder)."""
        ...

    @property
    def short_name(self) -> str:
        """The name papers print ('MIRFlickr-25K'); '' prints :attr:`name`."""
        ...

    @property
    def description(self) -> str:
        """One line for ``cmhbench list``."""
        ...

    @property
    def supervised_train_size(self) -> int | None:
        """Supervised methods train on a seeded sample of this many retrieval pairs
        (None: on the data's own training part)."""
        ...

    def files(self) -> list[Path]:
        """The files ``load`` reads (empty for generated or shipped data)."""
        ...

    def load(self, *, seed: int = 0) -> CrossModalData:
        """Read (or generate) the data with its split; ``seed`` seeds drawn splits."""
        ...


class Dataset(abc.ABC):
    """Base class of dataset loaders: subclasses set the class attributes and write
    ``load`` (and ``files`` when they read files). :func:`cmhbench.register_dataset`
    sets ``registered_as``, the default :attr:`name`."""

    registered_as: ClassVar[str] = ""
    short_name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    supervised_train_size: int | None = None  # a class default; a loader may set its own
    #: Whether ``load`` standardises each feature column with its retrieval rows'
    #: statistics, so a split option standardises again with its own retrieval rows.
    standardised_on_retrieval: bool = False

    @property
    def name(self) -> str:
        return self.registered_as or type(self).__name__

    def files(self) -> list[Path]:
        return []

    @abc.abstractmethod
    def load(self, *, seed: int = 0) -> CrossModalData:
        """Read (or generate) the data with its split; ``seed`` seeds drawn splits."""
