"""The run lock and the DuckDB file lock end in one readable line naming the holder."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from portal_sync.runlock import RunLockedError, lock_path, run_lock
from portal_sync.warehouse import WarehouseLockedError, connect


def test_a_second_run_is_refused_and_told_who_holds_the_lock(tmp_path: Path) -> None:
    warehouse = tmp_path / "portal.duckdb"
    with run_lock(warehouse, "sync --no-docuware"):
        with pytest.raises(RunLockedError, match=r"`sync --no-docuware` \(pid \d+"):
            with run_lock(warehouse, "sync"):
                pass
    assert not lock_path(warehouse).exists()


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    warehouse = tmp_path / "portal.duckdb"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    import socket

    lock_path(warehouse).write_text(
        json.dumps(
            {"pid": int(dead.stdout), "host": socket.gethostname(), "command": "sync", "since": "x"}
        )
    )
    with run_lock(warehouse, "sync"):
        assert json.loads(lock_path(warehouse).read_text())["command"] == "sync"


def test_a_locked_warehouse_is_one_readable_line(tmp_path: Path) -> None:
    warehouse = tmp_path / "portal.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); time.sleep(60)",
            str(warehouse),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(WarehouseLockedError, match=r"is locked by process \d+") as error:
            with connect(warehouse):
                pass
        assert "\n" not in str(error.value)
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.1)
    with connect(warehouse) as con:
        assert con.execute("select 1").fetchone() == (1,)


def test_reading_a_missing_warehouse_says_what_to_do(tmp_path: Path) -> None:
    from portal_sync.errors import UserError

    with pytest.raises(UserError, match="run `portal-sync sync` first"):
        with connect(tmp_path / "nope.duckdb", read_only=True):
            pass
