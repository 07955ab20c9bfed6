"""The shared DuckDB file: one read-write process at a time, readers open it read-only."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from portal_sync.errors import UserError


class WarehouseLockedError(UserError):
    """Another process holds the DuckDB file for writing."""


def _translate(exc: duckdb.Error, path: Path) -> UserError:
    text = str(exc)
    if "lock" in text.lower():
        holder = ""
        marker = "(PID "
        if marker in text:
            holder = " by process " + text.split(marker, 1)[1].split(")", 1)[0]
        return WarehouseLockedError(
            f"warehouse {path} is locked{holder}: another portal-sync stage is running; "
            "wait for it or stop it"
        )
    return UserError(f"warehouse {path}: {text.splitlines()[0]}")


@contextmanager
def connect(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse; a lock held by another process becomes one readable line."""
    if read_only and not path.exists():
        raise UserError(f"warehouse {path} does not exist yet: run `portal-sync sync` first")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        raise _translate(exc, path) from None
    try:
        yield con
    finally:
        con.close()
