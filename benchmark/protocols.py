"""Retrieval protocols: which codes a cell's queries and retrieval items are scored with.

* ``suite`` (the default everywhere): every query and every retrieval item is hashed
  by its own modality's hash function (``Method.encode_query`` and ``Method.encode``).
* ``native``: the method's authors' protocol, which each method declares as
  :attr:`MethodInfo.native <cmhbench.method.MethodInfo>`, one of :data:`NATIVE_KINDS`:

  - ``suite``: the authors' code scores as the suite does;
  - ``training-codes``: a retrieval item the method trained on takes its learnt
    training code (``method.training_codes[modality]``, one row per training pair),
    as DLFH's and MTFH's demos do where the database is the training set; the other
    retrieval items are encoded, and the record counts them;
  - ``unified-database``: each retrieval pair takes one code made from both of its
    modalities (``method.unified_codes(images, texts)``), in both directions, as
    LSSH's ``LSSHcoding.m``; queries are encoded;
  - ``fused``: queries and retrieval items each take one code fused from both
    modalities (``method.fused_codes(images, texts)``), as FOMH's ``queryFOMH.m``; both
    directions then compare the same codes (multi-modal, not cross-modal, retrieval).

A cell whose method's native protocol is not the suite's stores both sets of codes
(the native ones under :func:`native_key`), so either protocol is a re-score.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

import numpy as np

from cmhbench.data import MODALITIES, CrossModalData
from cmhbench.errors import CmhbenchError
from cmhbench.health import CODE_SETS

if TYPE_CHECKING:
    from cmhbench.method import Method

Protocol = Literal["suite", "native"]
PROTOCOLS: tuple[Protocol, ...] = ("suite", "native")
NativeKind = Literal["suite", "training-codes", "unified-database", "fused"]
NATIVE_KINDS: dict[str, str] = {
    "suite": "scored as the suite scores it",
    "training-codes": "database items seen in training take their learnt training codes, "
    "the others are encoded",
    "unified-database": "each database pair takes one code made from both modalities",
    "fused": "queries and database items take one code fused from both modalities, "
    "so both directions compare the same codes",
}


def native_key(key: str) -> str:
    """The codes-file key of a code set under the native protocol."""
    return f"native_{key}"


def protocol_keys(protocol: Protocol) -> dict[str, str]:
    """{code set: codes-file key} of a protocol's four code sets."""
    return {key: native_key(key) if protocol == "native" else key for key in CODE_SETS}


def native_codes(
    method: Method, data: CrossModalData, suite: dict[str, np.ndarray]
) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """The four code sets of ``method``'s native protocol, keyed as ``suite`` (the
    suite's codes of ``data``'s query and retrieval parts), and {modality: retrieval
    items encoded because the method did not train on them} (``training-codes`` only).

    Raises:
        CmhbenchError: the method's native kind is unknown, or it lacks the hook the
            kind needs (``training_codes``, ``unified_codes`` or ``fused_codes``).
    """
    kind = method.info.native
    if kind == "suite":
        return dict(suite), {}
    if kind == "training-codes":
        return _training_codes(method, data, suite)
    parts = {part: data.part(part) for part in ("query", "retrieval")}
    if kind == "unified-database":
        unified = _hook(method, "unified_codes")(parts["retrieval"].image, parts["retrieval"].text)
        return {**suite, "image_retrieval": unified, "text_retrieval": unified}, {}
    if kind == "fused":
        fuse = _hook(method, "fused_codes")
        codes = {part: fuse(items.image, items.text) for part, items in parts.items()}
        return {f"{m}_{part}": codes[part] for part in parts for m in MODALITIES}, {}
    raise CmhbenchError(
        f"{method.name}: unknown native protocol {kind!r}; expected one of "
        + ", ".join(NATIVE_KINDS)
    )


def _training_codes(
    method: Method, data: CrossModalData, suite: dict[str, np.ndarray]
) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """The suite's codes with each retrieval item that is a training item replaced by
    its learnt training code."""
    learnt = getattr(method, "training_codes", None)
    if not isinstance(learnt, dict) or set(learnt) != set(MODALITIES):
        raise CmhbenchError(
            f"{method.name}: native protocol 'training-codes' needs training_codes, "
            "{'image': codes, 'text': codes} of its training pairs, after fit()"
        )
    position = {int(row): i for i, row in enumerate(data.train_idx)}
    found = np.array([position.get(int(row), -1) for row in data.retrieval_idx])
    trained = found >= 0
    codes = dict(suite)
    for modality in MODALITIES:
        key = f"{modality}_retrieval"
        if learnt[modality].shape != (data.train_idx.size, suite[key].shape[1]):
            raise CmhbenchError(
                f"{method.name}: training_codes[{modality!r}] has shape "
                f"{learnt[modality].shape}; expected ({data.train_idx.size}, {suite[key].shape[1]})"
            )
        merged = suite[key].copy()
        merged[trained] = learnt[modality][found[trained]]
        codes[key] = merged
    encoded = int((~trained).sum())
    return codes, {modality: encoded for modality in MODALITIES}


def _hook(method: Method, name: str) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """The method's ``name(images, texts)`` code maker, or one error line."""
    hook = getattr(method, name, None)
    if not callable(hook):
        raise CmhbenchError(
            f"{method.name}: native protocol {method.info.native!r} needs a {name}"
            "(images, texts) method"
        )
    return hook
