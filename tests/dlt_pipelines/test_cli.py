"""`portal-sync ingest` failures a user can cause: one line on stderr, exit code 1, nothing half-written."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb

from tests.dlt_pipelines import tiny_world
from tests.dlt_pipelines.conftest import query, settings_for, write_settings

CLI = str(Path(sys.executable).with_name("portal-sync"))


def _ingest(
    config: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CASAVI_", "DOCUWARE_", "PORTAL_SYNC"))
    }
    environ.update(
        {"COLUMNS": "200", "PORTAL_SYNC_SECRETS": str(config.parent / "none.toml"), **(env or {})}
    )
    return subprocess.run(
        [CLI, "ingest", "-c", str(config), *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
    )


def _one_line(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def test_an_unreachable_casavi_is_one_line_and_leaves_no_casavi_tables(tmp_path: Path) -> None:
    url = tiny_world.create(tmp_path / "ix.sqlite")
    config = write_settings(
        tmp_path, ixhaus_url=url, casavi_url="http://127.0.0.1:9", docuware_enabled=False
    )

    line = _one_line(_ingest(config), "casavi", "cannot connect")

    settings = settings_for(
        tmp_path, ixhaus_url=url, casavi_url="http://127.0.0.1:9", docuware_enabled=False
    )
    assert query(
        settings, "select count(*) from information_schema.tables where table_schema = 'raw_casavi'"
    ) == [(0,)]
    assert query(settings, "select status from portal_sync.casavi_snapshots") == [("failed",)]
    assert query(settings, "select status, error from portal_sync.runs") == [
        ("failed", line.split("error: ", 1)[1])
    ]


def test_wrong_casavi_credentials_are_one_line_without_the_secret(
    tmp_path: Path, casavi_emulator: Any
) -> None:
    config = write_settings(
        tmp_path,
        ixhaus_url=tiny_world.create(tmp_path / "ix.sqlite"),
        casavi_url=casavi_emulator.url,
        docuware_enabled=False,
    )

    result = _ingest(
        config, "--no-docuware", env={"CASAVI_KEY": "demo", "CASAVI_SECRET": "s3cr3t-wrong"}
    )

    _one_line(result, "authentication refused (401)", "CASAVI_KEY")
    assert "s3cr3t-wrong" not in result.stderr + result.stdout


def test_wrong_docuware_credentials_are_one_line(tmp_path: Path, docuware_emulator: Any) -> None:
    config = write_settings(
        tmp_path,
        ixhaus_url=tiny_world.create(tmp_path / "ix.sqlite"),
        docuware_url=docuware_emulator.url,
    )

    result = _ingest(
        config,
        "--docuware-only",
        env={"DOCUWARE_USERNAME": "demo", "DOCUWARE_PASSWORD": "pw-wrong"},
    )

    _one_line(result, "DocuWare", "login refused (401)")
    assert "pw-wrong" not in result.stderr + result.stdout


def test_a_locked_warehouse_is_one_line(tmp_path: Path) -> None:
    config = write_settings(tmp_path, ixhaus_url=tiny_world.create(tmp_path / "ix.sqlite"))
    warehouse = tmp_path / "warehouse" / "portal.duckdb"
    warehouse.parent.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(warehouse)!r}); print('ok', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        _one_line(_ingest(config), "is locked")
    finally:
        holder.kill()
        holder.wait()


def test_settings_errors_and_a_missing_ixhaus_database_are_one_line(tmp_path: Path) -> None:
    config = write_settings(
        tmp_path, ixhaus_url="sqlite:///missing.sqlite", extra="colour = 'blue'"
    )
    _one_line(_ingest(config), "docuware.colour", "unknown key")

    config = write_settings(tmp_path, ixhaus_url="sqlite:///missing.sqlite")
    _one_line(_ingest(config), "iX-Haus database", "missing.sqlite not found")
    assert not (tmp_path / "missing.sqlite").exists()  # not created by the attempt


def test_a_second_ingest_while_one_runs_is_refused(tmp_path: Path) -> None:
    config = write_settings(tmp_path, ixhaus_url=tiny_world.create(tmp_path / "ix.sqlite"))
    lock = tmp_path / "warehouse" / "portal.duckdb.lock"
    lock.parent.mkdir()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock.write_text(
            f'{{"pid": {sleeper.pid}, "host": "{os.uname().nodename}", "command": "sync", "since": "now"}}'
        )
        _one_line(_ingest(config), "another run holds", "`sync`")
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_successful_ingest_prints_the_report_and_records_rows_per_table(
    tmp_path: Path, casavi_emulator: Any
) -> None:
    url = tiny_world.create(tmp_path / "ix.sqlite")
    config = write_settings(tmp_path, ixhaus_url=url, casavi_url=casavi_emulator.url)
    started = time.time()

    result = _ingest(config, "--no-docuware")

    assert result.returncode == 0, result.stderr
    assert "persons" in result.stdout and "DocuWare skipped (--no-docuware)" in result.stdout
    assert result.stderr == ""  # no progress noise
    settings = settings_for(tmp_path, ixhaus_url=url, casavi_url=casavi_emulator.url)
    assert query(settings, "select command, options, status from portal_sync.runs") == [
        ("ingest", "--no-docuware", "success")
    ]
    assert query(
        settings,
        "select rows from portal_sync.ingest_tables where dataset = 'raw_ixhaus' and table_name = 'persons'",
    ) == [(3,)]
    assert query(
        settings, "select count(*) from portal_sync.ingest_tables where dataset = 'raw_casavi'"
    ) == [(10,)]
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    assert con.execute(
        "select count(*) from portal_sync.runs where started_at >= to_timestamp(?)::timestamp - interval 1 hour",
        [started],
    ).fetchone() == (1,)
    con.close()
