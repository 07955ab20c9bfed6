"""Load a demo world's raw tables into a DuckDB warehouse the way ingest lays them out.

The dbt tests build on real data without depending on the dlt pipelines (owned and tested
elsewhere): iX-Haus tables are copied from the demo SQLite file into `raw_ixhaus` (no
`content` BLOBs), the DocuWare emulator state into `raw_docuware.documents` and
`raw_docuware.document_types` (ARCHITECTURE.md shapes). `raw_casavi` is left empty
(a portal nobody has published to yet) unless rows are given.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from portal_sync import ixhaus_schema

_TYPES = {
    "INTEGER": pa.int64(),
    "TEXT": pa.string(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
    "BOOLEAN": pa.bool_(),
}


def _ms(value: int | None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromtimestamp(value / 1000, UTC).replace(tzinfo=None)


def _convert(value: Any, type_name: str) -> Any:
    if value is None:
        return None
    if type_name == "DATE":
        return date.fromisoformat(str(value)[:10])
    if type_name == "TIMESTAMP":
        return datetime.fromisoformat(str(value))
    if type_name == "BOOLEAN":
        return bool(value)
    return value


def _create(con: duckdb.DuckDBPyConnection, schema: str, name: str, table: pa.Table) -> None:
    con.execute(f"create schema if not exists {schema}")
    con.register("_incoming", table)
    con.execute(f"create or replace table {schema}.{name} as select * from _incoming")
    con.unregister("_incoming")


def load_ixhaus(con: duckdb.DuckDBPyConnection, sqlite_path: Path) -> None:
    """Copy every contract table the sync reads into `raw_ixhaus` (BLOBs left out)."""
    source = sqlite3.connect(sqlite_path)
    try:
        for table in ixhaus_schema.metadata.sorted_tables:
            if table.name not in ixhaus_schema.READ_TABLES:
                continue
            columns = [
                c for c in table.columns if c.name != ixhaus_schema.BLOB_COLUMNS.get(table.name)
            ]
            names = [c.name for c in columns]
            rows = source.execute(f"select {', '.join(names)} from {table.name}").fetchall()
            arrays = {}
            for index, column in enumerate(columns):
                type_name = type(column.type).__name__.upper()
                values = [_convert(row[index], type_name) for row in rows]
                arrays[column.name] = pa.array(values, type=_TYPES[type_name])
            _create(con, "raw_ixhaus", table.name, pa.table(arrays))
    finally:
        source.close()


def load_docuware(con: duckdb.DuckDBPyConnection, state_path: Path) -> None:
    """Copy the DocuWare emulator's documents into `raw_docuware` (index fields only)."""
    source = sqlite3.connect(state_path)
    try:
        rows = source.execute(
            "select dwdocid, dwstoredatetime, dwmoddatetime, empfaengerid, empfaengertyp, dokumenttyp,"
            " dokumentname, dokumentdatum, objektnr, status, file_name, content_type, file_size"
            " from documents order by dwdocid"
        ).fetchall()
    finally:
        source.close()
    documents = pa.table(
        {
            "dwdocid": pa.array([r[0] for r in rows], pa.int64()),
            "dwstoredatetime": pa.array([_ms(r[1]) for r in rows], pa.timestamp("us")),
            "dwmoddatetime": pa.array([_ms(r[2]) for r in rows], pa.timestamp("us")),
            "empfaengerid": pa.array([r[3] for r in rows], pa.string()),
            "empfaengertyp": pa.array([r[4] for r in rows], pa.string()),
            "dokumenttyp": pa.array([r[5] for r in rows], pa.string()),
            "dokumentname": pa.array([r[6] for r in rows], pa.string()),
            "dokumentdatum": pa.array(
                [_ms(r[7]).date() if r[7] is not None else None for r in rows], pa.date32()
            ),
            "objektnr": pa.array([r[8] for r in rows], pa.string()),
            "status": pa.array([r[9] for r in rows], pa.string()),
            "title": pa.array([r[10] for r in rows], pa.string()),
            "content_type": pa.array([r[11] for r in rows], pa.string()),
            "file_size": pa.array([r[12] for r in rows], pa.int64()),
            "original_file_name": pa.array([r[10] for r in rows], pa.string()),
            "file_cabinet_id": pa.array(["Archiv"] * len(rows), pa.string()),
        }
    )
    _create(con, "raw_docuware", "documents", documents)
    con.execute(
        "create or replace table raw_docuware.document_types as"
        " select dokumenttyp as document_type, min(dwstoredatetime) as first_seen_at,"
        " max(dwmoddatetime) as last_seen_at from raw_docuware.documents"
        " where dokumenttyp is not null group by dokumenttyp"
    )


def load_casavi(
    con: duckdb.DuckDBPyConnection, collection: str, rows: Iterable[dict[str, Any]]
) -> None:
    """Put casavi state rows (dlt's snake_case columns; nested values as JSON text)."""
    items = list(rows)
    table = pa.Table.from_pylist(items)
    _create(con, "raw_casavi", collection.replace("-", "_"), table)


def load_world(warehouse: Path, ixhaus: Path, docuware_state: Path | None) -> None:
    """Fill a warehouse with a demo world's raw iX-Haus (and DocuWare) tables."""
    con = duckdb.connect(str(warehouse))
    try:
        load_ixhaus(con, ixhaus)
        if docuware_state is not None:
            load_docuware(con, docuware_state)
    finally:
        con.close()
