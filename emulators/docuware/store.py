"""The DocuWare emulator's state: one SQLite file with the documents of the cabinet "Archiv".

Index fields are real columns (fast range queries on 200,000 documents); dates are stored
as milliseconds since the epoch (Date fields: midnight UTC). `seed_documents` is the bulk
entry point used by the demo generator.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from emulators.common import dt_to_ms, open_state

_DW_DATE = re.compile(r"^/Date\((-?\d+)(?:[+-]\d{4})?\)/$")

ARCHIVE_ID = "4e1d1d51-7c3b-4b8e-9b46-a2c1e0d0a001"
ARCHIVE_NAME = "Archiv"
BASKET_ID = "b_5f2a9c1e-3d4b-4c6a-8e7f-0a1b2c3d4e5f"
BASKET_NAME = "Briefkorb"
SEARCH_DIALOG_ID = "8c0f2b7e-91a4-4f1e-b5d2-3e6a7c9d0b11"

# (DBName, ItemElementName, SystemField) of the cabinet "Archiv", in display order.
INDEX_FIELDS: tuple[tuple[str, str, bool], ...] = (
    ("DWDOCID", "Int", True),
    ("DWSTOREDATETIME", "DateTime", True),
    ("DWMODDATETIME", "DateTime", True),
    ("EMPFAENGERID", "String", False),
    ("EMPFAENGERTYP", "String", False),
    ("DOKUMENTTYP", "String", False),
    ("DOKUMENTNAME", "String", False),
    ("DOKUMENTDATUM", "Date", False),
    ("OBJEKTNR", "String", False),
    ("STATUS", "String", False),
)
FIELD_TYPES = {name: kind for name, kind, _ in INDEX_FIELDS}
COLUMNS = tuple(name.lower() for name, _, _ in INDEX_FIELDS)

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    dwdocid INTEGER PRIMARY KEY,
    dwstoredatetime INTEGER NOT NULL,
    dwmoddatetime INTEGER NOT NULL,
    empfaengerid TEXT, empfaengertyp TEXT, dokumenttyp TEXT, dokumentname TEXT,
    dokumentdatum INTEGER, objektnr TEXT, status TEXT,
    extra TEXT,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    file_size INTEGER NOT NULL,
    content BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_mod ON documents (dwmoddatetime, dwdocid);
"""
INSERT = (
    f"INSERT OR REPLACE INTO documents ({', '.join(COLUMNS)}, extra, file_name, content_type,"
    f" file_size, content) VALUES ({', '.join('?' * (len(COLUMNS) + 5))})"
)


@dataclass
class NewDocument:
    """A document to store: index fields, the original file name, type and bytes."""

    fields: dict[str, Any]  # index field name -> value (int/str/date/datetime/None);
    # includes DWDOCID, DWSTOREDATETIME, DWMODDATETIME
    file_name: str
    content_type: str
    content: bytes


def open_store(state: Path) -> sqlite3.Connection:
    """Open (create when new) the DocuWare state file."""
    return open_state(state, SCHEMA)


def field_to_db(name: str, value: Any) -> Any:
    """An index field value as stored (Int → int, Date/DateTime → ms, String → str).

    Raises:
        ValueError: the value does not fit the field's type.
    """
    if value is None:
        return None
    kind = FIELD_TYPES.get(name, "String")
    if kind == "Int":
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(f"{name}: expected an integer, got {value!r}")
        return int(value)
    if kind in ("Date", "DateTime"):
        if isinstance(value, datetime | date):
            return dt_to_ms(
                value if kind == "DateTime" or not isinstance(value, datetime) else value.date()
            )
        if isinstance(value, str):
            try:
                return parse_dw_date(value, date_only=kind == "Date")
            except ValueError:
                raise ValueError(f"{name}: not a date: {value!r}") from None
        raise ValueError(f"{name}: expected a date, got {value!r}")
    return str(value)


def parse_dw_date(text: str, *, date_only: bool = False) -> int:
    """`/Date(ms)/`, an ISO date or an ISO timestamp → ms since the epoch (ValueError if bad)."""
    text = text.strip()
    match = _DW_DATE.match(text)
    if match:
        return int(match.group(1))
    if len(text) == 10:
        return dt_to_ms(date.fromisoformat(text))
    value = datetime.fromisoformat(text.replace("z", "Z"))
    return dt_to_ms(value.date()) if date_only else dt_to_ms(value)


def document_row(doc: NewDocument, default_id: int | None = None) -> tuple[Any, ...]:
    """The `documents` row of a new document (DWMODDATETIME defaults to DWSTOREDATETIME)."""
    fields = {key.upper(): value for key, value in doc.fields.items()}
    values = [field_to_db(name, fields.get(name)) for name, _, _ in INDEX_FIELDS]
    if values[0] is None:
        if default_id is None:
            raise ValueError("DWDOCID is missing")
        values[0] = default_id
    if values[1] is None:
        raise ValueError(f"document {values[0]}: DWSTOREDATETIME is missing")
    if values[2] is None:
        values[2] = values[1]
    extra = {
        key: (None if value is None else str(value))
        for key, value in fields.items()
        if key not in FIELD_TYPES
    }
    content = bytes(doc.content)
    return (
        *values,
        json.dumps(extra) if extra else None,
        doc.file_name,
        doc.content_type,
        len(content),
        content,
    )


def insert_document(conn: sqlite3.Connection, doc: NewDocument) -> int:
    """Store one document (a missing DWDOCID gets the next free number); returns its id."""
    next_id = conn.execute("SELECT coalesce(max(dwdocid), 0) + 1 FROM documents").fetchone()[0]
    row = document_row(doc, default_id=next_id)
    conn.execute(INSERT, row)
    return int(row[0])


def seed_documents(state: Path, documents: Iterable[NewDocument]) -> int:
    """Create/open the state file and bulk-insert; returns the count.

    Streams the iterable in chunks (never materialised); 200,000 tiny documents take a few
    seconds. Documents with an existing DWDOCID are replaced.
    """
    conn = open_store(state)
    count = 0
    try:
        conn.execute("PRAGMA synchronous=OFF")
        iterator: Iterator[NewDocument] = iter(documents)
        while True:
            chunk = [document_row(doc) for doc in islice(iterator, 5000)]
            if not chunk:
                break
            conn.execute("BEGIN")
            conn.executemany(INSERT, chunk)
            conn.execute("COMMIT")
            count += len(chunk)
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return count
