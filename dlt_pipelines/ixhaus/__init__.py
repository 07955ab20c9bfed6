"""iX-Haus → `raw_ixhaus`: every contract table through SQLAlchemy (dlt `sql_database`).

- pyarrow backend (batches of arrow tables, not row-by-row JSON);
- only the contract's columns are selected, never the BLOBs (`ixhaus_schema.BLOB_COLUMNS`):
  they are removed from the reflected table, so they are not part of the SELECT;
- incremental on `updated_at` with merge on the primary key; `system_settings` (no
  `updated_at`, tiny) is replaced on every run;
- full reconciliation (`full=True`): every table is re-read and replaced through a staging
  table and swapped in one transaction, which removes rows deleted in iX-Haus;
- an incremental run first asks iX-Haus which tables changed (`changed_tables`, one count
  per table on the `updated_at` index) and loads only those; when none changed, dlt does not
  run at all;
- column types come from the contract (`ixhaus_schema`), whatever the driver returns:
  Oracle NUMBER as float/Decimal → bigint, DATE as datetime → date, NUMBER(1) → bool.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from portal_sync import ixhaus_schema
from portal_sync.errors import UserError

DATASET = "raw_ixhaus"
PIPELINE = "ixhaus"
CURSOR = "updated_at"
CHUNK_SIZE = 50_000

#: Contract column type → dlt data type (checked in this order: BOOLEAN before INTEGER).
_DLT_TYPES: list[tuple[type[sa.types.TypeEngine[Any]], str]] = [
    (sa.Boolean, "bool"),
    (sa.Integer, "bigint"),
    (sa.DateTime, "timestamp"),
    (sa.Date, "date"),
    (sa.LargeBinary, "binary"),
    (sa.String, "text"),
]


def dlt_type(column: sa.Column[Any]) -> str:
    """The dlt data type of a contract column."""
    for sa_type, name in _DLT_TYPES:
        if isinstance(column.type, sa_type):
            return name
    raise TypeError(f"no dlt type for {column.table.name}.{column.name} ({column.type!r})")


def contract_columns(table_name: str) -> list[sa.Column[Any]]:
    """The contract columns of a table that are copied into DuckDB (no BLOBs)."""
    blob = ixhaus_schema.BLOB_COLUMNS.get(table_name)
    return [col for col in ixhaus_schema.metadata.tables[table_name].columns if col.name != blob]


def column_hints(table_name: str) -> Any:  # dlt TTableSchemaColumns
    """dlt column hints of a raw table, derived from the contract types (the one place).

    Timestamps are naive UTC (`timestamp` without time zone), as in iX-Haus.
    """
    hints: dict[str, dict[str, Any]] = {}
    for col in contract_columns(table_name):
        hint: dict[str, Any] = {
            "name": col.name,
            "data_type": dlt_type(col),
            "nullable": not col.primary_key,
        }
        if hint["data_type"] == "timestamp":
            hint["timezone"] = False
        hints[col.name] = hint
    return hints


def primary_key(table_name: str) -> list[str]:
    return [col.name for col in ixhaus_schema.metadata.tables[table_name].primary_key.columns]


def has_cursor(table_name: str) -> bool:
    return CURSOR in ixhaus_schema.metadata.tables[table_name].c


def _keep_contract_columns(table: sa.Table) -> sa.Table:
    """Table adapter: select exactly the contract columns, never a BLOB or an extra column."""
    wanted = {col.name for col in contract_columns(table.name)}
    for col in list(table._columns):
        if col.name not in wanted:
            table._columns.remove(col)
    return table


def safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "<unparsable URL>"


def open_engine(url: str) -> Engine:
    """An engine for the iX-Haus database; a missing file or refused connection is a UserError."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        raise UserError("setting ixhaus.url: not a valid SQLAlchemy URL") from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if not database or database == ":memory:" or not Path(database).exists():
            raise UserError(
                f"iX-Haus database {database or '(none)'} not found (setting ixhaus.url): "
                "create the demo with `portal-sync demo` or point ixhaus.url at iX-Haus"
            )
    try:
        engine = sa.create_engine(parsed)
    except Exception as exc:  # unknown dialect, driver not installed, ...
        raise UserError(f"iX-Haus database {safe_url(url)}: {_message(exc)}") from None
    try:
        with engine.connect():
            pass
    except sa.exc.DBAPIError as exc:
        engine.dispose()
        raise UserError(
            f"iX-Haus database {safe_url(url)}: cannot connect: {_message(exc.orig or exc)}"
        ) from None
    return engine


def _message(exc: BaseException) -> str:
    for line in str(exc).splitlines():
        if line.strip():
            return line.strip()
    return type(exc).__name__


def check_contract(engine: Engine, url: str) -> None:
    """Every contract table (or view) and column must exist; else one line naming the first gap."""
    inspector = sa.inspect(engine)
    for name in ixhaus_schema.READ_TABLES:
        if not inspector.has_table(name):
            raise UserError(f"iX-Haus database {safe_url(url)}: table or view {name} is missing")
        present = {col["name"].lower() for col in inspector.get_columns(name)}
        for col in contract_columns(name):
            if col.name not in present:
                raise UserError(
                    f"iX-Haus database {safe_url(url)}: column {name}.{col.name} is missing"
                )


def changed_tables(engine: Engine, con: Any) -> list[str]:
    """The contract tables an incremental load would find changes in (`con`: the warehouse).

    A table with `updated_at` changed when iX-Haus has another number of rows at or after
    the newest `updated_at` in the warehouse than the warehouse has: a new or updated row
    carries a later stamp, a deleted one at the edge changes the count (the incremental
    read is `updated_at >= cursor`, so this sees what it would read). A table without
    `updated_at` (`system_settings`, a few rows) changed when its rows differ. A table not
    in the warehouse yet changed when iX-Haus has rows in it.
    """
    present = {
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables where table_schema = ?", [DATASET]
        ).fetchall()
    }
    changed: list[str] = []
    with engine.connect() as conn:
        for name in ixhaus_schema.READ_TABLES:
            table = ixhaus_schema.metadata.tables[name]
            if name not in present:
                if conn.execute(sa.select(sa.func.count()).select_from(table)).scalar():
                    changed.append(name)
            elif has_cursor(name):
                if _count_since(conn, table, con) is not None:
                    changed.append(name)
            elif _rows(conn.execute(sa.select(*contract_columns(name)))) != _rows(
                con.execute(
                    f"select {', '.join(_quoted(c.name) for c in contract_columns(name))} "
                    f"from {DATASET}.{_quoted(name)}"
                ).fetchall()
            ):
                changed.append(name)
    return changed


def _count_since(conn: Any, table: sa.Table, con: Any) -> tuple[int, int] | None:
    """(iX-Haus, warehouse) row counts at or after the warehouse's newest `updated_at` when
    they differ, else None."""
    raw = f"{DATASET}.{_quoted(table.name)}"
    newest = con.execute(f"select max({_quoted(CURSOR)}) from {raw}").fetchone()[0]
    query = sa.select(sa.func.count()).select_from(table)
    if newest is None:
        here, there = 0, conn.execute(query).scalar()
    else:
        here = con.execute(
            f"select count(*) from {raw} where {_quoted(CURSOR)} >= ?", [newest]
        ).fetchone()[0]
        there = conn.execute(query.where(table.c[CURSOR] >= newest)).scalar()
    return None if here == there else (int(there or 0), int(here))


def _rows(rows: Any) -> list[tuple[str | None, ...]]:
    texts = [tuple(None if v is None else str(v) for v in row) for row in rows]
    return sorted(texts, key=lambda row: [(v is None, v or "") for v in row])


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def ixhaus_source(engine: Engine, *, full: bool) -> Any:
    """The dlt source over every contract table (`READ_TABLES`).

    Args:
        engine: the iX-Haus engine (`open_engine`).
        full: re-read and replace every table (removes rows deleted in iX-Haus).
    """
    import dlt
    from dlt.sources.sql_database import sql_table

    @dlt.source(name=PIPELINE, max_table_nesting=0)
    def ixhaus() -> Iterator[Any]:
        metadata = sa.MetaData()
        for name in ixhaus_schema.READ_TABLES:
            incremental: Any = None
            disposition: Any = "replace"
            if has_cursor(name):
                # the contract has `updated_at` NOT NULL; "raise" keeps the query a plain
                # `updated_at >= :cursor` (index range scan) instead of adding
                # `OR updated_at IS NULL`, which makes SQLite and Oracle scan the whole table
                incremental = dlt.sources.incremental(CURSOR, on_cursor_value_missing="raise")
                disposition = "replace" if full else "merge"
            resource = sql_table(
                credentials=engine,
                table=name,
                metadata=metadata,
                incremental=incremental,
                chunk_size=CHUNK_SIZE,
                backend="pyarrow",
                reflection_level="minimal",
                table_adapter_callback=_keep_contract_columns,
                primary_key=primary_key(name),
                write_disposition=disposition,
            )
            resource.apply_hints(columns=column_hints(name))
            yield resource

    return ixhaus()


def docuware_credentials(engine: Engine, user_id: str) -> tuple[str, str] | None:
    """The technical user's own DocuWare login from iX-Haus (A8), or None when not set."""
    users = ixhaus_schema.users
    query = sa.select(users.c.docuware_username, users.c.docuware_password).where(
        users.c.user_id == user_id
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None or not row[0] or not row[1]:
        return None
    return str(row[0]), str(row[1])
