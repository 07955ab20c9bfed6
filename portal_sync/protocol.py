"""The run protocol (A5) in the warehouse schema `portal_sync`.

Every stage opens a run, adds counts and errors, and closes it. A run whose `finished_at`
is empty is still running or crashed. Readers (`status`) open the warehouse read-only.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import duckdb

SCHEMA = "portal_sync"

DDL = f"""
create schema if not exists {SCHEMA};
create sequence if not exists {SCHEMA}.run_ids;
create table if not exists {SCHEMA}.runs (
    run_id bigint primary key default nextval('{SCHEMA}.run_ids'),
    command text not null,          -- sync, ingest, publish, writeback, ...
    options text,                   -- e.g. '--no-docuware --full'
    started_at timestamp not null,  -- UTC
    finished_at timestamp,          -- empty while running or after a crash
    status text not null,           -- running, success, failed, refused, inactive
    counts json,                    -- JSON object: "<stage>.<entity>.<action>" -> n
    error text                      -- first line of the error, never a secret
);
create table if not exists {SCHEMA}.run_errors (
    run_id bigint not null,
    stage text not null,            -- ingest, publish, writeback
    item text,                      -- e.g. 'contacts/P-4711'
    message text not null,
    occurred_at timestamp not null
);
"""


def now() -> datetime:
    """UTC now without tzinfo (DuckDB `timestamp`)."""
    return datetime.now(UTC).replace(tzinfo=None)


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)


def start_run(con: duckdb.DuckDBPyConnection, command: str, options: str = "") -> int:
    ensure(con)
    row = con.execute(
        f"insert into {SCHEMA}.runs (command, options, started_at, status) "
        "values (?, ?, ?, 'running') returning run_id",
        [command, options, now()],
    ).fetchone()
    assert row is not None
    return int(row[0])


def finish_run(
    con: duckdb.DuckDBPyConnection,
    run_id: int,
    status: str,
    counts: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    con.execute(
        f"update {SCHEMA}.runs set finished_at = ?, status = ?, counts = ?, error = ? where run_id = ?",
        [now(), status, json.dumps(counts or {}, sort_keys=True), error, run_id],
    )


def record_error(
    con: duckdb.DuckDBPyConnection, run_id: int, stage: str, item: str | None, message: str
) -> None:
    con.execute(
        f"insert into {SCHEMA}.run_errors values (?, ?, ?, ?, ?)",
        [run_id, stage, item, message, now()],
    )
