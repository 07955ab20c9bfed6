"""The write-back's own bookkeeping in DuckDB: `portal_sync.writeback_items`.

One row per (kind, key) the write-back ever tried. iX-Haus itself (its UNIQUE
`portal_*_id` columns) is the truth about what exists; this table records what happened:
`pending` (an attempt started and has not been confirmed — after a crash it stays so),
`written` (confirmed committed in iX-Haus, or found already there), `failed` (last error
kept, retried on every later run).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from portal_sync.protocol import SCHEMA, now

TABLE = f"{SCHEMA}.writeback_items"

DDL = f"""
create schema if not exists {SCHEMA};
create table if not exists {TABLE} (
    kind text not null,             -- ticket, note, media, contact_preference, ticket_portal_state, delivery_route
    key text not null,              -- portal id (C-…), person_id, ticket_id or letter_id
    action text,                    -- created, exists, updated, inserted, deleted
    status text not null,           -- pending, written, failed
    attempts integer not null,      -- attempts so far, including ones a crash ended
    last_error text,                -- no secrets
    written_at timestamp,           -- UTC, when iX-Haus confirmed the write
    last_attempt_at timestamp,      -- UTC
    run_id bigint,                  -- run of the last attempt
    ixhaus_id bigint,               -- ticket_id / note_id / media_id the item has in iX-Haus
    primary key (kind, key)
);
"""

PENDING = "pending"
WRITTEN = "written"
FAILED = "failed"


@dataclass
class Bookkeeping:
    """Reads the table once, then writes one autocommitted row change per event."""

    con: duckdb.DuckDBPyConnection
    run_id: int
    _status: dict[tuple[str, str], str] = field(default_factory=dict)

    def load(self) -> None:
        self.con.execute(DDL)
        rows = self.con.execute(f"select kind, key, status from {TABLE}").fetchall()
        self._status = {(kind, key): status for kind, key, status in rows}

    def status(self, kind: str, key: str) -> str | None:
        return self._status.get((kind, key))

    def _upsert(
        self,
        kind: str,
        key: str,
        status: str,
        *,
        action: str | None = None,
        error: str | None = None,
        attempt: bool = False,
        ixhaus_id: int | None = None,
    ) -> None:
        stamp = now()
        written_at = stamp if status == WRITTEN else None
        self.con.execute(
            f"""
            insert into {TABLE}
                (kind, key, action, status, attempts, last_error, written_at, last_attempt_at, run_id, ixhaus_id)
            values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            on conflict (kind, key) do update set
                action = coalesce(excluded.action, {TABLE}.action),
                status = excluded.status,
                attempts = {TABLE}.attempts + ?,
                last_error = excluded.last_error,
                written_at = coalesce(excluded.written_at, {TABLE}.written_at),
                last_attempt_at = excluded.last_attempt_at,
                run_id = excluded.run_id,
                ixhaus_id = coalesce(excluded.ixhaus_id, {TABLE}.ixhaus_id)
            """,
            [
                kind,
                key,
                action,
                status,
                1 if attempt else 0,
                error,
                written_at,
                stamp,
                self.run_id,
                ixhaus_id,
                1 if attempt else 0,
            ],
        )
        self._status[(kind, key)] = status

    def started(self, kind: str, key: str) -> None:
        """An attempt begins; a crash from here on leaves the row `pending`."""
        self._upsert(kind, key, PENDING, attempt=True)

    def written(
        self,
        kind: str,
        key: str,
        action: str,
        ixhaus_id: int | None = None,
        *,
        attempt: bool = False,
    ) -> None:
        self._upsert(kind, key, WRITTEN, action=action, attempt=attempt, ixhaus_id=ixhaus_id)

    def written_many(self, kind: str, done: list[tuple[str, str]]) -> None:
        """Record a batch of confirmed "set to this value" writes in one statement."""
        latest = dict(done)  # one row per key (a key listed twice: the last action)
        if not latest:
            return
        stamp = now()
        values = ", ".join(["(?, ?, ?, ?, 1, null, ?, ?, ?, null)"] * len(latest))
        parameters: list[object] = []
        for key, action in latest.items():
            parameters += [kind, key, action, WRITTEN, stamp, stamp, self.run_id]
        self.con.execute(
            f"""
            insert into {TABLE}
                (kind, key, action, status, attempts, last_error, written_at, last_attempt_at, run_id, ixhaus_id)
            values {values}
            on conflict (kind, key) do update set
                action = excluded.action,
                status = excluded.status,
                attempts = {TABLE}.attempts + 1,
                last_error = null,
                written_at = excluded.written_at,
                last_attempt_at = excluded.last_attempt_at,
                run_id = excluded.run_id
            """,
            parameters,
        )
        for key in latest:
            self._status[(kind, key)] = WRITTEN

    def failed(self, kind: str, key: str, error: str, *, attempt: bool = False) -> None:
        self._upsert(kind, key, FAILED, error=error, attempt=attempt)
