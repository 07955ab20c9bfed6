"""Write portal data back to iX-Haus: C1, C2, C4, D1, D2, E3 — exactly once (C5).

Reads the `marts.writeback_*` models (what dbt decided must go back) and writes them
through SQLAlchemy Core into the tables of `spec/ixhaus-contract.md`.

Exactly once: every item is written in its own iX-Haus transaction. Inserts are keyed by
the `portal_*_id` columns: inside the transaction the key is looked up first and the row
inserted only if absent; the UNIQUE constraint is the last line of defence, and an
IntegrityError is answered by looking again ("already there"). New ids are `max + 1`
inside the transaction, retried when a concurrent writer took the same id — portable to
SQLite, PostgreSQL and Oracle. The outcome is then recorded in DuckDB
(`portal_sync.writeback_items`). A crash before the iX-Haus commit leaves nothing behind
in iX-Haus; a crash after it is found by the lookup on the next run. Updates (contact
preference, delivery route, portal state) are "set to this value" and change only rows
that differ, so repeating them is harmless and a second run writes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy import (
    Connection,
    Engine,
    Table,
    bindparam,
    create_engine,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from portal_sync import ixhaus_schema as ix
from portal_sync import protocol
from portal_sync.errors import UserError
from portal_sync.settings import Settings
from portal_sync.warehouse import connect
from publishers.ixhaus.attachments import AttachmentError, AttachmentSource
from publishers.ixhaus.bookkeeping import WRITTEN, Bookkeeping
from publishers.ixhaus.crash import crash_point

MODELS_SCHEMA = "marts"
#: kind -> (dbt model, name used in the counts)
KINDS: dict[str, tuple[str, str]] = {
    "ticket": ("writeback_portal_tickets", "tickets"),
    "note": ("writeback_ticket_notes", "notes"),
    "media": ("writeback_ticket_media", "media"),
    "contact_preference": ("writeback_contact_preferences", "contact_preferences"),
    "ticket_portal_state": ("writeback_ticket_portal_state", "ticket_portal_state"),
    "delivery_route": ("writeback_delivery_routes", "delivery_routes"),
}
STAGE = "writeback"
#: rows per transaction for the idempotent "set to this value" writes
BATCH_SIZE = 500
#: how often a new id is tried when a concurrent writer took the same one
ID_ATTEMPTS = 5
PORTAL_STATE_COLUMNS = [c.name for c in ix.ticket_portal_state.columns if c.name != "updated_at"]


class ItemError(Exception):
    """One item could not be written now; it is recorded and retried on the next run."""


def _utc_naive(value: Any) -> Any:
    """Timestamps as naive UTC (the contract's TIMESTAMP); other values unchanged."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return value


def _first_line(exc: BaseException) -> str:
    """A short message: the driver's first line, never the SQL parameters (file content)."""
    inner = getattr(exc, "orig", None) or exc
    text = str(inner).strip().splitlines()
    return f"{type(inner).__name__}: {text[0] if text else ''}".rstrip(": ")


def _read_model(con: duckdb.DuckDBPyConnection, model: str) -> list[dict[str, Any]]:
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [MODELS_SCHEMA, model],
    ).fetchone()
    if not exists or not exists[0]:
        raise UserError(
            f"write-back model {MODELS_SCHEMA}.{model} is missing in the warehouse: "
            "run `dbt build -s tag:writeback` (part of `portal-sync sync`) first"
        )
    cursor = con.execute(f'select * from {MODELS_SCHEMA}."{model}"')
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@dataclass
class _Run:
    engine: Engine
    con: duckdb.DuckDBPyConnection
    run_id: int
    user: str
    book: Bookkeeping
    attachments: Callable[[], AttachmentSource]
    counts: Counter[str]
    now: datetime

    def count(self, kind: str, action: str) -> None:
        self.counts[f"{KINDS[kind][1]}.{action}"] += 1

    def fail(self, kind: str, key: str, message: str) -> None:
        self.book.failed(kind, key, message)
        self.count(kind, "failed")
        protocol.record_error(self.con, self.run_id, STAGE, f"{kind}/{key}", message)


# ---------------------------------------------------------------- inserts (C1, C2)


def _insert_once(
    run: _Run,
    kind: str,
    table: Table,
    key_column: str,
    id_column: str,
    key: str,
    values: Callable[[Connection], dict[str, Any]],
) -> tuple[str, int]:
    """Insert the row for portal id `key` unless it is there; returns (action, iX-Haus id)."""
    tried_id: int | None = None
    last_error = ""
    for _ in range(ID_ATTEMPTS):
        try:
            with run.engine.begin() as conn:
                existing = conn.execute(
                    select(table.c[id_column]).where(table.c[key_column] == key)
                ).first()
                if existing is not None:
                    return "exists", int(existing[0])
                new_id = int(
                    conn.execute(
                        select(func.coalesce(func.max(table.c[id_column]), 0) + 1)
                    ).scalar_one()
                )
                row = values(conn)
                conn.execute(insert(table).values({**row, id_column: new_id, key_column: key}))
                crash_point(f"{kind}.inserted")  # inserted, not yet committed
        except IntegrityError as exc:
            # someone inserted this portal id (the next lookup finds it) or took the id
            last_error = _first_line(exc)
            if tried_id == new_id:
                break  # the same id failed twice: not an id race (e.g. a foreign key)
            tried_id = new_id
            continue
        crash_point(f"{kind}.committed")  # committed in iX-Haus, not yet in the bookkeeping
        return "created", new_id
    raise ItemError(f"insert into {table.name} failed: {last_error}")


def _ticket_id_of(conn: Connection, row: dict[str, Any]) -> int:
    if row.get("ticket_id") is not None:
        return int(row["ticket_id"])
    found = conn.execute(
        select(ix.tickets.c.ticket_id).where(
            ix.tickets.c.portal_ticket_id == row["portal_ticket_id"]
        )
    ).first()
    if found is None:
        raise ItemError(f"its ticket {row['portal_ticket_id']} is not in iX-Haus yet")
    return int(found[0])


def _exists(run: _Run, table: Table, key_column: str, key: str) -> bool:
    with run.engine.connect() as conn:
        return (
            conn.execute(select(table.c[key_column]).where(table.c[key_column] == key)).first()
            is not None
        )


def _write_insert_kind(
    run: _Run,
    kind: str,
    rows: list[dict[str, Any]],
    table: Table,
    key_column: str,
    id_column: str,
    build: Callable[[dict[str, Any]], Callable[[Connection], dict[str, Any]]],
) -> None:
    for row in rows:
        key = str(row[key_column])
        if run.book.status(kind, key) == WRITTEN:
            # confirmed earlier; still listed because iX-Haus was not re-read since
            if _exists(run, table, key_column, key):
                run.count(kind, "exists")
            else:  # a user deleted it in iX-Haus after the import: do not bring it back
                run.count(kind, "deleted_in_ixhaus")
            continue
        run.book.started(kind, key)
        try:
            values = build(row)
            action, ixhaus_id = _insert_once(run, kind, table, key_column, id_column, key, values)
        except (ItemError, AttachmentError) as exc:
            run.fail(kind, key, f"{kind} {key}: {exc}")
            continue
        except SQLAlchemyError as exc:
            run.fail(kind, key, f"{kind} {key}: {_first_line(exc)}")
            continue
        run.book.written(kind, key, action, ixhaus_id)
        run.count(kind, action)
        crash_point(f"{kind}.booked")


def _ticket_values(run: _Run) -> Callable[[dict[str, Any]], Callable[[Connection], dict[str, Any]]]:
    def build(row: dict[str, Any]) -> Callable[[Connection], dict[str, Any]]:
        def values(_conn: Connection) -> dict[str, Any]:
            return {
                "ticket_type_id": row["ticket_type_id"],
                "object_id": row["object_id"],
                "unit_id": row["unit_id"],
                "reporter_person_id": row["reporter_person_id"],
                "priority_id": row["priority_id"],
                "status_id": row["status_id"],
                "trade_id": row["trade_id"],
                "title": row["title"],
                "description": row["description"],
                "created_by": run.user,
                "created_at": _utc_naive(row["created_at"]),
                "updated_at": run.now,
            }

        return values

    return build


def _note_values(run: _Run) -> Callable[[dict[str, Any]], Callable[[Connection], dict[str, Any]]]:
    def build(row: dict[str, Any]) -> Callable[[Connection], dict[str, Any]]:
        def values(conn: Connection) -> dict[str, Any]:
            return {
                "ticket_id": _ticket_id_of(conn, row),
                "text": row["text"],
                "is_public": True,
                "created_by": run.user,
                "created_at": _utc_naive(row["created_at"]),
                "updated_at": run.now,
            }

        return values

    return build


def _media_values(run: _Run) -> Callable[[dict[str, Any]], Callable[[Connection], dict[str, Any]]]:
    def build(row: dict[str, Any]) -> Callable[[Connection], dict[str, Any]]:
        key = str(row["portal_attachment_id"])
        # the content is fetched before the transaction; a crash here leaves nothing behind
        content = run.attachments().fetch(key)
        expected = row.get("size_bytes")
        if expected is not None and int(expected) != len(content):
            raise AttachmentError(
                f"content has {len(content)} bytes, casavi announced {int(expected)}"
            )

        def values(conn: Connection) -> dict[str, Any]:
            return {
                "ticket_id": _ticket_id_of(conn, row),
                "file_name": row["file_name"],
                "mime_type": row["mime_type"],
                "size_bytes": len(content),
                "content": content,
                "is_public": True,
                "created_by": run.user,
                "created_at": _utc_naive(row["created_at"]),
                "updated_at": run.now,
            }

        return values

    return build


def _write_media(run: _Run, rows: list[dict[str, Any]]) -> None:
    # skip the download for attachments already in iX-Haus (found again on a re-run)
    todo: list[dict[str, Any]] = []
    for row in rows:
        key = str(row["portal_attachment_id"])
        if run.book.status("media", key) != WRITTEN and _exists(
            run, ix.ticket_media, "portal_attachment_id", key
        ):
            run.book.written("media", key, "exists")
            run.count("media", "exists")
            continue
        todo.append(row)
    _write_insert_kind(
        run, "media", todo, ix.ticket_media, "portal_attachment_id", "media_id", _media_values(run)
    )


# ---------------------------------------------------------------- "set to this value" (C4, E3, D1, D2)

#: a statement per row: (the item's key, the statement) -> the action taken, or None if unchanged
RowWrite = Callable[[Connection], str | None]


def _write_batched(run: _Run, kind: str, items: list[tuple[str, RowWrite]]) -> None:
    """Apply idempotent "set to this value" writes, `BATCH_SIZE` rows per transaction.

    Repeating such a write is harmless (it only changes rows that differ), so a crash in
    the middle loses nothing: the next run's models list what is still different. A batch
    the database refuses is redone row by row, so one bad row fails alone.
    """
    for start in range(0, len(items), BATCH_SIZE):
        chunk = items[start : start + BATCH_SIZE]
        done: list[tuple[str, str]] = []
        try:
            with run.engine.begin() as conn:
                for key, write in chunk:
                    action = write(conn)
                    if action:
                        done.append((key, action))
        except SQLAlchemyError:
            done = []
            for key, write in chunk:
                try:
                    with run.engine.begin() as conn:
                        action = write(conn)
                except SQLAlchemyError as exc:
                    run.fail(kind, key, f"{kind} {key}: {_first_line(exc)}")
                    continue
                if action:
                    done.append((key, action))
        crash_point(f"{kind}.committed")  # committed in iX-Haus, not yet in the bookkeeping
        run.book.written_many(kind, done)
        for _, action in done:
            run.count(kind, action)


def _set_column_statements(table: Table, id_column: str, value_column: str) -> dict[bool, Any]:
    """UPDATE … only where the value differs; built once, executed per row (cached compile)."""
    column = table.c[value_column]
    new_value: dict[str, Any] = {value_column: bindparam("_value"), "updated_at": bindparam("_now")}
    key = table.c[id_column] == bindparam("_key")
    return {
        True: update(table).where(key, column.is_not(None)).values(new_value),  # set to null
        False: update(table)
        .where(key, or_(column.is_(None), column != bindparam("_value")))
        .values(new_value),
    }


def _write_setting(
    run: _Run,
    kind: str,
    rows: list[dict[str, Any]],
    table: Table,
    id_column: str,
    value_column: str,
) -> None:
    """Set one column per row, only where it differs (so a repeat changes nothing)."""
    statements = _set_column_statements(table, id_column, value_column)

    def item(key: Any, value: Any) -> tuple[str, RowWrite]:
        parameters = {"_key": key, "_value": value, "_now": run.now}

        def write(conn: Connection) -> str | None:
            result = conn.execute(statements[value is None], parameters)
            return "updated" if result.rowcount else None

        return str(key), write

    _write_batched(run, kind, [item(row[id_column], row[value_column]) for row in rows])


def _state_tuple(row: Any) -> tuple[Any, ...]:
    return tuple(_utc_naive(row[name]) for name in PORTAL_STATE_COLUMNS)


_STATE = ix.ticket_portal_state
_STATE_UPDATE = (
    update(_STATE)
    .where(_STATE.c.ticket_id == bindparam("_ticket_id"))
    .values({name: bindparam(f"_{name}") for name in [*PORTAL_STATE_COLUMNS, "updated_at"]})
)
_STATE_DELETE = delete(_STATE).where(
    _STATE.c.ticket_id == bindparam("_ticket_id"),
    ~select(ix.tickets.c.ticket_id)
    .where(ix.tickets.c.ticket_id == bindparam("_ticket_id"))
    .exists(),
)


def _upsert_state(run: _Run, ticket_id: int, desired: tuple[Any, ...]) -> RowWrite:
    values = {**dict(zip(PORTAL_STATE_COLUMNS, desired, strict=True)), "updated_at": run.now}
    parameters = {f"_{name}": value for name, value in values.items()} | {"_ticket_id": ticket_id}

    def write(conn: Connection) -> str | None:
        if conn.execute(_STATE_UPDATE, parameters).rowcount:
            return "updated"
        conn.execute(insert(_STATE), values)
        return "inserted"

    return write


def _delete_state(ticket_id: int) -> RowWrite:
    def write(conn: Connection) -> str | None:
        return (
            "deleted" if conn.execute(_STATE_DELETE, {"_ticket_id": ticket_id}).rowcount else None
        )

    return write


def _write_portal_state(run: _Run, rows: list[dict[str, Any]]) -> None:
    """D1, D2: upsert the rows that differ; drop the state of tickets deleted in iX-Haus."""
    table = ix.ticket_portal_state
    with run.engine.connect() as conn:
        current = {
            int(row.ticket_id): _state_tuple(row._mapping)
            for row in conn.execute(select(*[table.c[name] for name in PORTAL_STATE_COLUMNS]))
        }
        tickets = {int(row[0]) for row in conn.execute(select(ix.tickets.c.ticket_id))}
    items: list[tuple[str, RowWrite]] = []
    wanted: set[int] = set()
    for row in rows:
        ticket_id = int(row["ticket_id"])
        wanted.add(ticket_id)
        desired = _state_tuple(row)
        if current.get(ticket_id) != desired:
            items.append((str(ticket_id), _upsert_state(run, ticket_id, desired)))
    for ticket_id in sorted(set(current) - wanted - tickets):
        items.append((str(ticket_id), _delete_state(ticket_id)))
    _write_batched(run, "ticket_portal_state", items)


# ---------------------------------------------------------------- entry point


def _engine(settings: Settings) -> Engine:
    url = settings.ixhaus_url
    try:
        engine = create_engine(url)
        with engine.connect() as conn:
            conn.execute(select(1))
    except (SQLAlchemyError, ValueError, ImportError) as exc:
        safe = (
            make_url(url).render_as_string(hide_password=True)
            if "://" in url
            else "(unparsable URL)"
        )
        raise UserError(f"iX-Haus database {safe}: cannot connect: {_first_line(exc)}") from None
    return engine


def _check_technical_user(engine: Engine, user: str) -> None:
    with engine.connect() as conn:
        found = conn.execute(select(ix.users.c.user_id).where(ix.users.c.user_id == user)).first()
    if found is None:
        raise UserError(
            f"technical user {user!r} ([ixhaus] technical_user) is not an iX-Haus user (users.user_id): "
            "portal tickets, notes and media need it as their creator"
        )


def _attachment_factory(
    settings: Settings, casavi_client: Any, opened: list[Any]
) -> Callable[[], AttachmentSource]:
    """The attachment source, made on first use (no casavi connection when there are no media)."""
    source: AttachmentSource | None = None

    def get() -> AttachmentSource:
        nonlocal source
        if source is None:
            client = casavi_client
            if client is None:
                from publishers.casavi.api import CasaviClient

                client = CasaviClient.from_settings(settings)
                opened.append(client)
            source = AttachmentSource(client.ticket_attachment_content)
        return source

    return get


def _run(
    settings: Settings, con: duckdb.DuckDBPyConnection, run_id: int, casavi_client: Any
) -> dict[str, int]:
    models = {kind: _read_model(con, model) for kind, (model, _) in KINDS.items()}
    protocol.ensure(con)
    book = Bookkeeping(con, run_id)
    book.load()
    engine = _engine(settings)
    opened: list[Any] = []
    try:
        if models["ticket"] or models["note"] or models["media"]:
            _check_technical_user(engine, settings.ixhaus.technical_user)
        now = protocol.now()
        run = _Run(
            engine=engine,
            con=con,
            run_id=run_id,
            user=settings.ixhaus.technical_user,
            book=book,
            attachments=_attachment_factory(settings, casavi_client, opened),
            counts=Counter(),
            now=now,
        )
        _write_insert_kind(
            run,
            "ticket",
            models["ticket"],
            ix.tickets,
            "portal_ticket_id",
            "ticket_id",
            _ticket_values(run),
        )
        _write_insert_kind(
            run,
            "note",
            models["note"],
            ix.ticket_notes,
            "portal_message_id",
            "note_id",
            _note_values(run),
        )
        _write_media(run, models["media"])
        _write_setting(
            run,
            "contact_preference",
            models["contact_preference"],
            ix.persons,
            "person_id",
            "contact_preference",
        )
        _write_setting(
            run,
            "delivery_route",
            models["delivery_route"],
            ix.serial_letters,
            "letter_id",
            "delivery_route",
        )
        _write_portal_state(run, models["ticket_portal_state"])
        failed = sum(value for key, value in run.counts.items() if key.endswith(".failed"))
        if failed:
            run.counts["failed"] = failed
        return dict(sorted(run.counts.items()))
    finally:
        for client in opened:
            client.close()
        engine.dispose()


def writeback(
    settings: Settings,
    con_or_path: duckdb.DuckDBPyConnection | str | Path,
    run_id: int,
    casavi_client: Any = None,
) -> dict[str, int]:
    """Write what the `marts.writeback_*` models list into iX-Haus, each item once.

    Args:
        settings: the loaded settings (`[ixhaus] url`, `technical_user`, `[casavi]`).
        con_or_path: an open read-write DuckDB connection, or the warehouse path.
        run_id: the run (`portal_sync.runs`) this write-back belongs to.
        casavi_client: the casavi publisher's `CasaviClient` (for attachment content);
            when None, one is made from the settings if an attachment is to be fetched.

    Returns:
        Counts `"<kind>.<action>" -> n`, e.g. `tickets.created`, `notes.exists`,
        `contact_preferences.updated`, `ticket_portal_state.inserted`, `media.failed`.
        Failed items are recorded (bookkeeping, run errors) and retried on the next run;
        `failed` is their total (only present when some failed).

    Raises:
        UserError: a missing model, an unreachable iX-Haus database, an unknown technical user.
    """
    if isinstance(con_or_path, str | Path):
        with connect(Path(con_or_path)) as con:
            return _run(settings, con, run_id, casavi_client)
    return _run(settings, con_or_path, run_id, casavi_client)
