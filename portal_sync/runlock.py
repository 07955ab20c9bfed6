"""A lock file beside the warehouse, so two runs never overlap (A4).

The lock records who holds it (pid, host, command, since); a second run reads it and
says so. A lock left by a dead process on this host is taken over.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from portal_sync.errors import UserError


class RunLockedError(UserError):
    """Another portal-sync run holds the lock."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".lock")


@contextmanager
def run_lock(warehouse: Path, command: str) -> Iterator[None]:
    """Hold the run lock for `command`; raise RunLockedError naming the holder."""
    path = lock_path(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    me = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "command": command,
        "since": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                holder = json.loads(path.read_text(encoding="utf-8") or "{}")
            except (OSError, json.JSONDecodeError):
                holder = {}
            if (
                holder.get("host") == me["host"]
                and isinstance(holder.get("pid"), int)
                and not _alive(holder["pid"])
            ):
                path.unlink(missing_ok=True)  # left by a crashed run on this host
                continue
            raise RunLockedError(
                f"another run holds {path}: `{holder.get('command', '?')}` "
                f"(pid {holder.get('pid', '?')} on {holder.get('host', '?')}, since {holder.get('since', '?')})"
            ) from None
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(me, handle)
        break
    try:
        yield
    finally:
        path.unlink(missing_ok=True)
