"""Per-item publisher outcomes in `portal_sync.publish_items` (A6; a dbt source).

One row per (collection, resource_id) the publisher ever tried. `confirmed` only when
casavi answered 2xx (or 404 for a delete); a failure increments `consecutive_failures`,
and from `portal.stuck_after_failures` on the item is `stuck`. A stuck item keeps being
retried, with backoff (A6): the pause after its last attempt doubles with every further
failure — 1, 2, 4, … schedule intervals (`schedule.every_seconds`), at most `MAX_PAUSE`.
`attempts` counts the runs that tried the item.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import duckdb
import pyarrow as pa

from portal_sync.protocol import SCHEMA, now
from publishers.casavi.apply import Outcome

DDL = f"""
create schema if not exists {SCHEMA};
create table if not exists {SCHEMA}.publish_items (
    collection text not null,
    resource_id text not null,
    action text not null,               -- create, update, delete (last tried)
    payload_hash text,                  -- last tried
    status text not null,               -- confirmed, failed, stuck
    attempts integer not null,          -- runs that tried this item
    consecutive_failures integer not null,
    last_error text,                    -- one line, never a secret
    last_attempt_at timestamp not null, -- UTC
    confirmed_at timestamp,             -- UTC, last confirmation by casavi
    last_run_id bigint,
    primary key (collection, resource_id)
);
"""


#: The longest pause between two retries of a stuck item.
MAX_PAUSE = timedelta(hours=24)


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)


def retry_pause(failures: int, stuck_after: int, every_seconds: int) -> timedelta:
    """The pause after the last attempt of a stuck item with `failures` failures in a row.

    One schedule interval when it just became stuck, doubling with every further failure,
    at most `MAX_PAUSE`.
    """
    doublings = min(max(failures - stuck_after, 0), 20)
    return min(timedelta(seconds=every_seconds * 2**doublings), MAX_PAUSE)


def next_retry(
    last_attempt: datetime, failures: int, stuck_after: int, every_seconds: int
) -> datetime:
    """When a stuck item is due again: its pause after the last attempt, less half an
    interval (so a run that starts a little early on schedule does not skip it)."""
    pause = retry_pause(failures, stuck_after, every_seconds)
    return last_attempt + pause - timedelta(seconds=every_seconds / 2)


def waiting(
    con: duckdb.DuckDBPyConnection,
    stuck_after: int,
    every_seconds: int,
    at: datetime | None = None,
) -> dict[tuple[str, str], datetime]:
    """Stuck items not due for a retry at `at` (default now): (collection, id) → next retry."""
    ensure(con)
    moment = at or now()
    found: dict[tuple[str, str], datetime] = {}
    for collection, resource_id, failures, last_attempt in con.execute(
        f"select collection, resource_id, consecutive_failures, last_attempt_at "
        f"from {SCHEMA}.publish_items where status = 'stuck'"
    ).fetchall():
        due = next_retry(last_attempt, int(failures), stuck_after, every_seconds)
        if due > moment:
            found[(str(collection), str(resource_id))] = due
    return found


def record(
    con: duckdb.DuckDBPyConnection, run_id: int, outcomes: Iterable[Outcome], stuck_after: int
) -> None:
    """Merge this run's outcomes into `publish_items` (one statement)."""
    ensure(con)
    rows = list(outcomes)
    if not rows:
        return
    at: datetime = now()
    batch = pa.table(
        {
            "collection": [o.change.collection for o in rows],
            "resource_id": [o.change.resource_id for o in rows],
            "action": [o.change.action for o in rows],
            "payload_hash": [o.change.payload_hash for o in rows],
            "ok": [o.ok for o in rows],
            "last_error": [None if o.ok else (o.error or "failed") for o in rows],
        }
    )
    con.register("publish_batch", batch)
    try:
        con.execute(
            f"""
            insert into {SCHEMA}.publish_items
            select
                b.collection, b.resource_id, b.action, b.payload_hash,
                case
                    when b.ok then 'confirmed'
                    when coalesce(p.consecutive_failures, 0) + 1 >= $stuck then 'stuck'
                    else 'failed'
                end,
                coalesce(p.attempts, 0) + 1,
                case when b.ok then 0 else coalesce(p.consecutive_failures, 0) + 1 end,
                b.last_error,
                $at,
                case when b.ok then $at else p.confirmed_at end,
                $run
            from publish_batch as b
            left join {SCHEMA}.publish_items as p
                on p.collection = b.collection and p.resource_id = b.resource_id
            on conflict (collection, resource_id) do update set
                action = excluded.action,
                payload_hash = excluded.payload_hash,
                status = excluded.status,
                attempts = excluded.attempts,
                consecutive_failures = excluded.consecutive_failures,
                last_error = excluded.last_error,
                last_attempt_at = excluded.last_attempt_at,
                confirmed_at = excluded.confirmed_at,
                last_run_id = excluded.last_run_id
            """,
            {"stuck": stuck_after, "at": at, "run": run_id},
        )
    finally:
        con.unregister("publish_batch")


def settle_absent(
    con: duckdb.DuckDBPyConnection,
    run_id: int,
    planned: set[tuple[str, str]],
    collections: set[str],
    prefix_filter: str | None,
) -> int:
    """Failed/stuck items that no longer appear in the plan are in sync now: mark them confirmed.

    The plan is the diff against a fresh casavi snapshot, so an item missing from it holds
    the desired state (or is rightly absent). Only `collections` (those this run published)
    are settled; `prefix_filter` = 'DW-' / '!DW-' for `--docuware-only` / `--no-docuware`.
    """
    ensure(con)
    rows = con.execute(
        f"select collection, resource_id from {SCHEMA}.publish_items where status in ('failed', 'stuck')"
    ).fetchall()
    settled = []
    for collection, resource_id in rows:
        if collection not in collections or (collection, resource_id) in planned:
            continue
        if prefix_filter == "DW-" and not resource_id.startswith("DW-"):
            continue
        if prefix_filter == "!DW-" and resource_id.startswith("DW-"):
            continue
        settled.append((collection, resource_id))
    for collection, resource_id in settled:
        con.execute(
            f"update {SCHEMA}.publish_items set status = 'confirmed', consecutive_failures = 0, "
            "last_error = null, last_run_id = ? where collection = ? and resource_id = ?",
            [run_id, collection, resource_id],
        )
    return len(settled)
