"""Claim files: one grid run works on a cell at a time, whoever else shares the folder.

Before a cell is trained, its runner creates ``<record>.claim`` with ``O_CREAT |
O_EXCL`` (atomic on local and NFSv3+ file systems) holding its host, pid and
start time, and removes it once the record is written. Another ``cmhbench run``
on the same folder skips a claimed cell. A claim whose process no longer runs on
this host (a run killed with SIGKILL) is stale and taken over.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any


def claim_path(record_path: Path) -> Path:
    return record_path.with_name(record_path.name + ".claim")


def try_claim(record_path: Path) -> bool:
    """Claim a cell; False when a live run holds it. Stale claims are taken over."""
    path = claim_path(record_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(2):
        try:
            descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            if not _is_stale(path, _read(path)):
                return False
            path.unlink(missing_ok=True)
            continue
        owner = {"host": socket.gethostname(), "pid": os.getpid(), "since": time.time()}
        with os.fdopen(descriptor, "w") as handle:
            json.dump(owner, handle)
        return True
    return False


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


def _is_stale(path: Path, held: dict[str, Any] | None) -> bool:
    """Whether a claim (``held``, as read from ``path``) belongs to a process of this
    host that no longer runs."""
    if held is None:
        # Unreadable: a claim being written right now, or left half-written by a kill.
        return time.time() - _mtime(path) > 60
    if held["host"] != socket.gethostname():
        return False
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
