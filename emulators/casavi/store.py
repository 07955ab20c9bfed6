"""The casavi emulator's state: resources (with tombstones), files and the outbox in SQLite.

Resources are stored as their JSON body, so list pages are assembled without a parse/dump
round trip. Deleted resources keep a row whose body is the tombstone.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from emulators.common import Clock, iso_ms, open_state

SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (
    collection TEXT NOT NULL,
    id TEXT NOT NULL,
    internal_id INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    body TEXT NOT NULL,
    PRIMARY KEY (collection, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS resources_order ON resources (collection, modified_ms, internal_id);
CREATE TABLE IF NOT EXISTS files (
    collection TEXT NOT NULL,
    id TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content BLOB NOT NULL,
    PRIMARY KEY (collection, id)
);
CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL);
"""


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Store:
    """Data access of the casavi emulator (one connection, used from the event loop)."""

    def __init__(self, state: Path) -> None:
        self.conn: sqlite3.Connection = open_state(state, SCHEMA)
        self.clock = Clock(self.conn)
        self._next_internal = self.conn.execute(
            "SELECT coalesce(max(internal_id), 0) + 1 FROM resources"
        ).fetchone()[0]

    def next_internal_id(self) -> int:
        value = self._next_internal
        self._next_internal += 1
        return int(value)

    def reset(self) -> None:
        self.conn.execute("BEGIN")
        self.conn.execute("DELETE FROM resources")
        self.conn.execute("DELETE FROM files")
        self.conn.execute("DELETE FROM outbox")
        self.conn.execute("DELETE FROM sqlite_sequence WHERE name = 'outbox'")
        self.conn.execute("COMMIT")
        self._next_internal = 1

    # --- resources ------------------------------------------------------------------------

    def get(self, collection: str, resource_id: str) -> dict[str, Any] | None:
        """The live resource, or None when missing or deleted."""
        row = self.conn.execute(
            "SELECT body FROM resources WHERE collection = ? AND id = ? AND deleted = 0",
            (collection, resource_id),
        ).fetchone()
        return None if row is None else json.loads(row[0])

    def get_text(self, collection: str, resource_id: str) -> str | None:
        row = self.conn.execute(
            "SELECT body FROM resources WHERE collection = ? AND id = ? AND deleted = 0",
            (collection, resource_id),
        ).fetchone()
        return None if row is None else str(row[0])

    def exists(self, collection: str, resource_id: str) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM resources WHERE collection = ? AND id = ? AND deleted = 0",
            (collection, resource_id),
        ).fetchone()
        return row is not None

    def save(self, collection: str, resource: dict[str, Any], modified_ms: int) -> str:
        """Insert or replace `resource` (ordered by `modified_ms`); returns its JSON text."""
        text = dumps(resource)
        self.conn.execute(
            "INSERT OR REPLACE INTO resources (collection, id, internal_id, modified_ms, deleted, body)"
            " VALUES (?, ?, ?, ?, 0, ?)",
            (collection, resource["id"], resource["internalId"], modified_ms, text),
        )
        return text

    def delete(self, collection: str, resource_id: str) -> bool:
        """Replace the resource by its tombstone; False when it is missing or deleted."""
        row = self.conn.execute(
            "SELECT internal_id FROM resources WHERE collection = ? AND id = ? AND deleted = 0",
            (collection, resource_id),
        ).fetchone()
        if row is None:
            return False
        now = self.clock.tick_ms()
        tombstone = {
            "id": resource_id,
            "internalId": row[0],
            "deleted": True,
            "modifiedAt": iso_ms(now),
        }
        self.conn.execute(
            "UPDATE resources SET deleted = 1, modified_ms = ?, body = ? WHERE collection = ? AND id = ?",
            (now, dumps(tombstone), collection, resource_id),
        )
        self.conn.execute(
            "DELETE FROM files WHERE collection = ? AND id = ?", (collection, resource_id)
        )
        return True

    def page(
        self,
        collection: str,
        modified_after_ms: int | None,
        include_deleted: bool,
        offset: int,
        limit: int,
    ) -> list[str]:
        """JSON texts of one page, ordered by modifiedAt then internalId."""
        sql = "SELECT body FROM resources WHERE collection = ?"
        params: list[Any] = [collection]
        if modified_after_ms is not None:
            sql += " AND modified_ms > ?"
            params.append(modified_after_ms)
        if not include_deleted:
            sql += " AND deleted = 0"
        sql += " ORDER BY modified_ms, internal_id LIMIT ? OFFSET ?"
        params += [limit, offset]
        return [row[0] for row in self.conn.execute(sql, params)]

    def live(self, collection: str, contains: str | None = None) -> Iterator[dict[str, Any]]:
        """All live resources of a collection (optionally only bodies containing a text)."""
        sql = "SELECT body FROM resources WHERE collection = ? AND deleted = 0"
        params: list[Any] = [collection]
        if contains is not None:
            sql += " AND instr(body, ?) > 0"
            params.append(contains)
        sql += " ORDER BY modified_ms, internal_id"
        for (body,) in self.conn.execute(sql, params).fetchall():
            yield json.loads(body)

    # --- files ----------------------------------------------------------------------------

    def save_file(
        self, collection: str, resource_id: str, file_name: str, content_type: str, content: bytes
    ) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO files (collection, id, file_name, content_type, content) VALUES (?, ?, ?, ?, ?)",
            (collection, resource_id, file_name, content_type, content),
        )

    def file(self, collection: str, resource_id: str) -> tuple[str, str, bytes] | None:
        row = self.conn.execute(
            "SELECT file_name, content_type, content FROM files WHERE collection = ? AND id = ?",
            (collection, resource_id),
        ).fetchone()
        return None if row is None else (row[0], row[1], bytes(row[2]))

    # --- outbox ---------------------------------------------------------------------------

    def send_mail(self, kind: str, contact: dict[str, Any], subject: str, resource: str) -> None:
        """Record an e-mail (invitation or notification) in the outbox."""
        message = {
            "kind": kind,
            "to": contact.get("email"),
            "contactId": contact["id"],
            "subject": subject,
            "resource": resource,
            "at": iso_ms(self.clock.now_ms()),
        }
        self.conn.execute("INSERT INTO outbox (body) VALUES (?)", (dumps(message),))

    def outbox(self) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT seq, body FROM outbox ORDER BY seq").fetchall()
        return [{"seq": seq, **json.loads(body)} for seq, body in rows]
