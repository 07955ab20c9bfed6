"""The small paths of the commands: option conflicts, status, A1 errors, the loop, demo env."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from rich.console import Console

from portal_sync import ixhaus_schema as ix
from portal_sync import protocol
from portal_sync.errors import UserError
from portal_sync.runlock import lock_path
from portal_sync.settings import Settings
from portal_sync.warehouse import connect
from tests.scenarios.conftest import CLI


def settings_for(tmp_path: Path, active: str | None = "1", **casavi: object) -> Settings:
    database = tmp_path / "ixhaus.sqlite"
    engine = sa.create_engine(f"sqlite:///{database}")
    if active is not None:
        ix.metadata.create_all(engine)
        with engine.begin() as connection:
            connection.execute(
                sa.insert(ix.system_settings).values(
                    setting_key="Schnittstelle/Mieterportal/Aktiv", setting_value=active
                )
            )
    engine.dispose()
    return Settings.model_validate(
        {
            "warehouse": {"path": str(tmp_path / "wh" / "portal.duckdb")},
            "ixhaus": {"url": f"sqlite:///{database}"},
            "casavi": {"url": "http://127.0.0.1:9", **casavi},
            "docuware": {"enabled": False},
        }
    )


def run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_SYNC")}
    return subprocess.run(
        [CLI, *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_docuware_only_and_no_docuware_exclude_each_other(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "sync", "--docuware-only", "--no-docuware")
    assert result.returncode == 1
    assert "exclude each other" in result.stderr and "Traceback" not in result.stderr


def test_status_without_a_warehouse_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "portal-sync.toml").write_text(
        '[warehouse]\npath = "nowhere/portal.duckdb"\n', encoding="utf-8"
    )
    result = run_cli(tmp_path, "status")
    assert result.returncode == 1
    assert "does not exist yet" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_status_says_sync_not_running_when_the_last_success_is_old(tmp_path: Path) -> None:
    from portal_sync.sync import status

    settings = settings_for(tmp_path)
    with connect(settings.warehouse_path) as con:
        run_id = protocol.start_run(con, "sync")
        protocol.finish_run(con, run_id, "success", {"publish.units.create": 3})
        old = protocol.now() - timedelta(seconds=3 * settings.schedule.every_seconds)
        con.execute("update portal_sync.runs set started_at = ? where run_id = ?", [old, run_id])
    console = Console(record=True, width=200)
    assert status(settings, console) == 0
    text = console.export_text()
    assert "sync not running" in text and "no stuck items" in text
    with connect(settings.warehouse_path) as con:
        run_id = protocol.start_run(con, "sync")
        protocol.finish_run(con, run_id, "partial")
    console = Console(record=True, width=200)
    status(settings, console)
    assert "sync running: last successful sync" in console.export_text()


def test_unreadable_ixhaus_is_a_user_error(tmp_path: Path) -> None:
    from portal_sync.sync import interface_active

    with pytest.raises(UserError, match=r"iX-Haus database .* cannot be read: no such table"):
        interface_active(settings_for(tmp_path, active=None))


def test_run_loop_reports_inactive_and_a_held_lock(tmp_path: Path) -> None:
    from portal_sync.sync import SyncOptions, run_loop

    console = Console(record=True, width=200)
    inactive = (
        settings_for(tmp_path / "a", active="0") if (tmp_path / "a").mkdir() is None else None
    )
    assert inactive is not None
    assert run_loop(inactive, SyncOptions(), console, 10, max_runs=1) == 0
    assert "interface inactive" in console.export_text()
    active = settings_for(tmp_path / "b") if (tmp_path / "b").mkdir() is None else None
    assert active is not None
    lock = lock_path(active.warehouse_path)
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text(
        json.dumps(
            {"pid": os.getpid(), "host": socket.gethostname(), "command": "portal-sync sync"}
        )
    )
    run_loop(active, SyncOptions(), console, 10, max_runs=1)
    assert f"skipped: another run holds {lock}" in console.export_text()


def test_unreachable_casavi_fails_the_run_with_one_line(tmp_path: Path) -> None:
    """Nothing listens on port 9: ingest of the casavi state fails; the run is recorded."""
    settings = settings_for(tmp_path)
    (tmp_path / "portal-sync.toml").write_text(
        f'[warehouse]\npath = "{settings.warehouse.path}"\n[ixhaus]\nurl = "{settings.ixhaus.url}"\n'
        '[casavi]\nurl = "http://127.0.0.1:9"\n[docuware]\nenabled = false\n',
        encoding="utf-8",
    )
    result = run_cli(tmp_path, "sync")
    assert result.returncode == 1
    assert "casavi" in result.stderr.lower() and "Traceback" not in result.stderr
    with connect(settings.warehouse_path, read_only=True) as con:
        assert con.execute("select status from portal_sync.runs").fetchall() == [("failed",)]


def test_an_emulator_that_cannot_start_is_a_user_error(tmp_path: Path) -> None:
    from portal_sync import demo_env

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    state = tmp_path / "casavi.sqlite"
    state.mkdir()  # a folder where the SQLite state file should be: the emulator exits
    with pytest.raises(UserError, match="did not start"):
        demo_env._start("casavi", "127.0.0.1", port, state, Console())
