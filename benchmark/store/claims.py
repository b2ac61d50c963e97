"""Claim files: one grid run works on a cell at a time, whoever else shares the folder.

Before a cell is trained, its runner creates ``<record>.claim`` holding its host, pid
and start time, and removes it once the record is written. Another ``cmhbench run``
on the same folder skips a claimed cell. A claim is stale, and taken over, when its
process no longer runs on this host (a run killed with SIGKILL), or, for a claim of
another host, when it has not been renewed for :data:`EXPIRY_S` seconds: a runner
renews its claims every :data:`HEARTBEAT_S` seconds (:class:`Heartbeat`), so a claim
left by a host that died expires for the others (hosts must agree on the time to
within a minute or two).

Creating a claim uses ``O_CREAT | O_EXCL`` (atomic on local and NFSv3+ file
systems). Taking a stale claim over happens under a lock of the cell's folder
(:mod:`filelock`), and only after reading the claim again inside it, so two runners
that find the same stale claim never both take it.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from filelock import FileLock

HEARTBEAT_S = 60.0
EXPIRY_S = 5 * HEARTBEAT_S
LOCK_NAME = ".claims.lock"


def claim_path(record_path: Path) -> Path:
    return record_path.with_name(record_path.name + ".claim")


def try_claim(record_path: Path) -> bool:
    """Claim a cell; False when a live run holds it. Stale claims are taken over."""
    path = claim_path(record_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if _create(path):
        return True
    with FileLock(path.parent / LOCK_NAME):
        held = _read(path)
        if path.exists() and not _is_stale(path, held):
            return False
        path.unlink(missing_ok=True)
        return _create(path)


def release(record_path: Path) -> None:
    """Remove this run's claim on a cell (no error when it is gone)."""
    claim_path(record_path).unlink(missing_ok=True)


def owner(record_path: Path) -> str | None:
    """'host pid N since HH:MM' of a live claim on the cell, or None."""
    path = claim_path(record_path)
    if not path.exists():
        return None
    held = _read(path)
    if _is_stale(path, held):
        return None
    if held is None:
        return "claim being written"
    since = time.strftime("%H:%M", time.localtime(held["since"]))
    return f"{held['host']} pid {held['pid']} since {since}"


class Heartbeat:
    """While open, renews (touches) the claims of ``held`` record paths every
    :data:`HEARTBEAT_S` seconds from a daemon thread, so other hosts never take them
    over as expired."""

    def __init__(self, held: Iterable[Path], interval_s: float = HEARTBEAT_S):
        self.held, self.interval_s = held, interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="cmhbench-claims", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self.interval_s):
            for record_path in list(self.held):
                with contextlib.suppress(OSError):  # released meanwhile
                    os.utime(claim_path(record_path))


def _create(path: Path) -> bool:
    """Create the claim file with this process as its owner; False when it exists."""
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    owner = {"host": socket.gethostname(), "pid": os.getpid(), "since": time.time()}
    with os.fdopen(descriptor, "w") as handle:
        json.dump(owner, handle)
    return True


def _is_stale(path: Path, held: dict[str, Any] | None) -> bool:
    """Whether a claim (``held``, as read from ``path``) belongs to a process of this
    host that no longer runs, or was last renewed over :data:`EXPIRY_S` ago."""
    age = time.time() - _mtime(path)
    if held is None:
        # Unreadable: a claim being written right now, or left half-written by a kill.
        return age > 60
    if held["host"] != socket.gethostname():
        return age > EXPIRY_S
    return not _alive(held["pid"])


def _read(path: Path) -> dict[str, Any] | None:
    """The claim's {host, pid, since}, or None when it cannot be read."""
    try:
        held = json.loads(path.read_text())
        return {"host": str(held["host"]), "pid": int(held["pid"]), "since": float(held["since"])}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
