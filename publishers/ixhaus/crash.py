"""Crash injection for the exactly-once tests (C5).

`crash_point(name)` is a no-op unless the environment variable `PORTAL_SYNC_CRASH_AT`
names that point; then the process kills itself with SIGKILL, exactly as a power cut or
an OOM kill would end it: no `finally`, no rollback, no flush. `name:N` crashes at the
N-th time the point is reached (1-based), so a test can kill a run in the middle.
"""

from __future__ import annotations

import os
import signal

CRASH_ENV = "PORTAL_SYNC_CRASH_AT"

_hits: dict[str, int] = {}


def crash_point(name: str) -> None:
    """Kill this process with SIGKILL when `PORTAL_SYNC_CRASH_AT` names this point."""
    wanted = os.environ.get(CRASH_ENV)
    if not wanted:
        return
    point, _, nth = wanted.partition(":")
    if point != name:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
