"""The demo iX-Haus world: contract schema, determinism, rule coverage, CLI (issue 2)."""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from portal_sync import ixhaus_schema
from portal_sync.clock import TODAY_ENV
from portal_sync.clock import today as demo_today
from portal_sync.demo.world import generate, previous_business_year_start
from portal_sync.errors import UserError
from portal_sync.settings import load_settings
from tests.fixtures.world import DemoWorld

REPO = Path(__file__).resolve().parents[1]
TODAY = date(2026, 6, 15)

# The contract (spec/ixhaus-contract.md), stated independently of portal_sync.ixhaus_schema:
# table -> [(column, type)], in the contract's order; primary keys marked with "*".
CONTRACT: dict[str, list[tuple[str, str]]] = {
    "system_settings": [("setting_key*", "TEXT"), ("setting_value", "TEXT")],
    "users": [
        ("user_id*", "TEXT"), ("display_name", "TEXT"), ("docuware_username", "TEXT"),
        ("docuware_password", "TEXT"), ("updated_at", "TIMESTAMP"),
    ],
    "objects": [
        ("object_id*", "INTEGER"), ("object_number", "TEXT"), ("name", "TEXT"), ("street", "TEXT"),
        ("postal_code", "TEXT"), ("city", "TEXT"), ("country", "TEXT"),
        ("management_end_date", "DATE"), ("updated_at", "TIMESTAMP"),
    ],
    "units": [
        ("unit_id*", "INTEGER"), ("object_id", "INTEGER"), ("unit_number", "TEXT"),
        ("description", "TEXT"), ("floor", "TEXT"), ("updated_at", "TIMESTAMP"),
    ],
    "persons": [
        ("person_id*", "INTEGER"), ("person_type", "TEXT"), ("partner_id", "INTEGER"),
        ("salutation", "TEXT"), ("title", "TEXT"), ("first_name", "TEXT"), ("last_name", "TEXT"),
        ("company_name", "TEXT"), ("email", "TEXT"), ("phone", "TEXT"), ("mobile", "TEXT"),
        ("street", "TEXT"), ("postal_code", "TEXT"), ("city", "TEXT"), ("country", "TEXT"),
        ("contact_preference", "TEXT"), ("updated_at", "TIMESTAMP"),
    ],
    "tenancies": [
        ("tenancy_id*", "INTEGER"), ("unit_id", "INTEGER"), ("person_id", "INTEGER"),
        ("move_in_date", "DATE"), ("move_out_date", "DATE"), ("updated_at", "TIMESTAMP"),
    ],
    "ownerships": [
        ("ownership_id*", "INTEGER"), ("object_id", "INTEGER"), ("unit_id", "INTEGER"),
        ("person_id", "INTEGER"), ("start_date", "DATE"), ("end_date", "DATE"),
        ("updated_at", "TIMESTAMP"),
    ],
    "caretakers": [
        ("caretaker_id*", "INTEGER"), ("object_id", "INTEGER"), ("person_id", "INTEGER"),
        ("start_date", "DATE"), ("end_date", "DATE"), ("updated_at", "TIMESTAMP"),
    ],
    "document_types": [("document_type*", "TEXT"), ("name", "TEXT"), ("updated_at", "TIMESTAMP")],
    "documents": [
        ("document_id*", "INTEGER"), ("document_type", "TEXT"), ("title", "TEXT"),
        ("file_name", "TEXT"), ("mime_type", "TEXT"), ("size_bytes", "INTEGER"), ("content", "BLOB"),
        ("document_date", "DATE"), ("object_id", "INTEGER"), ("unit_id", "INTEGER"),
        ("person_id", "INTEGER"), ("updated_at", "TIMESTAMP"),
    ],
    "templates": [
        ("template_id*", "INTEGER"), ("name", "TEXT"), ("document_type", "TEXT"),
        ("portal_excluded", "BOOLEAN"), ("updated_at", "TIMESTAMP"),
    ],
    "serial_letters": [
        ("letter_id*", "INTEGER"), ("template_id", "INTEGER"), ("person_id", "INTEGER"),
        ("document_id", "INTEGER"), ("created_at", "TIMESTAMP"), ("delivery_route", "TEXT"),
        ("updated_at", "TIMESTAMP"),
    ],
    "ticket_types": [
        ("ticket_type_id*", "INTEGER"), ("name", "TEXT"), ("category", "TEXT"),
        ("description", "TEXT"), ("portal_locked", "BOOLEAN"), ("portal_bulletin", "BOOLEAN"),
        ("portal_object_ticket", "BOOLEAN"), ("notify_unregistered", "BOOLEAN"),
        ("note_on_commission", "BOOLEAN"), ("release_tenant", "BOOLEAN"),
        ("release_caretaker", "BOOLEAN"), ("release_owner", "BOOLEAN"), ("updated_at", "TIMESTAMP"),
    ],
    "ticket_priorities": [
        ("priority_id*", "INTEGER"), ("name", "TEXT"), ("is_standard", "BOOLEAN"),
        ("portal_released", "BOOLEAN"), ("updated_at", "TIMESTAMP"),
    ],
    "ticket_statuses": [
        ("status_id*", "INTEGER"), ("name", "TEXT"), ("is_standard", "BOOLEAN"),
        ("portal_released", "BOOLEAN"), ("is_closed", "BOOLEAN"), ("is_cancelled", "BOOLEAN"),
        ("updated_at", "TIMESTAMP"),
    ],
    "trades": [
        ("trade_id*", "INTEGER"), ("name", "TEXT"), ("release_tenant", "BOOLEAN"),
        ("release_caretaker", "BOOLEAN"), ("release_owner", "BOOLEAN"), ("updated_at", "TIMESTAMP"),
    ],
    "tickets": [
        ("ticket_id*", "INTEGER"), ("ticket_type_id", "INTEGER"), ("object_id", "INTEGER"),
        ("unit_id", "INTEGER"), ("reporter_person_id", "INTEGER"), ("priority_id", "INTEGER"),
        ("status_id", "INTEGER"), ("trade_id", "INTEGER"), ("title", "TEXT"),
        ("description", "TEXT"), ("created_by", "TEXT"), ("created_at", "TIMESTAMP"),
        ("updated_at", "TIMESTAMP"), ("portal_ticket_id", "TEXT"),
    ],
    "ticket_notes": [
        ("note_id*", "INTEGER"), ("ticket_id", "INTEGER"), ("text", "TEXT"), ("is_public", "BOOLEAN"),
        ("created_by", "TEXT"), ("created_at", "TIMESTAMP"), ("updated_at", "TIMESTAMP"),
        ("portal_message_id", "TEXT"),
    ],
    "ticket_orders": [
        ("order_id*", "INTEGER"), ("ticket_id", "INTEGER"), ("contractor_name", "TEXT"),
        ("trade_id", "INTEGER"), ("created_at", "TIMESTAMP"), ("updated_at", "TIMESTAMP"),
    ],
    "ticket_media": [
        ("media_id*", "INTEGER"), ("ticket_id", "INTEGER"), ("file_name", "TEXT"),
        ("mime_type", "TEXT"), ("size_bytes", "INTEGER"), ("content", "BLOB"),
        ("is_public", "BOOLEAN"), ("created_by", "TEXT"), ("created_at", "TIMESTAMP"),
        ("updated_at", "TIMESTAMP"), ("portal_attachment_id", "TEXT"),
    ],
    "ticket_portal_state": [
        ("ticket_id*", "INTEGER"), ("portal_status", "TEXT"), ("portal_state_label", "TEXT"),
        ("reason_code", "TEXT"), ("reason_text", "TEXT"), ("last_portal_change_at", "TIMESTAMP"),
        ("last_portal_change_kind", "TEXT"), ("updated_at", "TIMESTAMP"),
    ],
}  # fmt: skip


def _sqlite_columns(connection: sqlite3.Connection, table: str) -> list[tuple[str, str]]:
    rows = connection.execute(f"PRAGMA table_info({table})").fetchall()
    return [(name + ("*" if pk else ""), kind) for _, name, kind, _, _, pk in rows]


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def _table_digests(path: Path) -> dict[str, str]:
    with _connect(path) as connection:
        tables = [
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        digests = {}
        for table in sorted(tables):
            digest = hashlib.sha256()
            for row in connection.execute(f"SELECT * FROM {table} ORDER BY 1"):
                digest.update(repr(row).encode())
            digests[table] = digest.hexdigest()
    return digests


# -- the schema is the contract --------------------------------------------------------------


def test_schema_module_states_exactly_the_contract() -> None:
    actual = {
        table.name: [
            (column.name + ("*" if column.primary_key else ""), str(column.type))
            for column in table.columns
        ]
        for table in ixhaus_schema.metadata.sorted_tables
    }
    assert actual == CONTRACT


def test_generated_database_has_exactly_the_contract_tables_and_columns(
    small_world: DemoWorld,
) -> None:
    with _connect(small_world.ixhaus) as connection:
        tables = {
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        }
        assert tables == set(CONTRACT)
        for table in CONTRACT:
            assert _sqlite_columns(connection, table) == CONTRACT[table], table


def test_incremental_reads_on_updated_at_are_index_range_scans(small_world: DemoWorld) -> None:
    with _connect(small_world.ixhaus) as connection:
        with_cursor = [
            table
            for table, columns in CONTRACT.items()
            if any(c[0] == "updated_at" for c in columns)
        ]
        assert with_cursor
        for table in with_cursor:
            plan = " ".join(
                str(row[-1])
                for row in connection.execute(
                    f"EXPLAIN QUERY PLAN SELECT * FROM {table} WHERE updated_at >= ?",
                    ["2026-06-01 00:00:00"],
                )
            )
            assert f"ix_{table}_updated_at (updated_at>?)" in plan, (table, plan)


def test_dates_timestamps_and_booleans_are_stored_as_sqlalchemy_reads_them(
    small_world: DemoWorld,
) -> None:
    date_re = re.compile(r"^\d{4}-\d{2}-\d{2}$")
    stamp_re = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$")
    with _connect(small_world.ixhaus) as connection:
        for table, columns in CONTRACT.items():
            for column, kind in columns:
                column = column.rstrip("*")
                values = [
                    row[0]
                    for row in connection.execute(
                        f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL"
                    )
                ]
                if kind == "DATE":
                    assert all(isinstance(v, str) and date_re.match(v) for v in values), (
                        table,
                        column,
                    )
                elif kind == "TIMESTAMP":
                    assert all(isinstance(v, str) and stamp_re.match(v) for v in values), (
                        table,
                        column,
                    )
                elif kind == "BOOLEAN":
                    assert set(values) <= {0, 1}, (table, column)
    engine = create_engine(small_world.ixhaus_url)
    try:
        with engine.connect() as connection:
            tenancy = connection.execute(select(ixhaus_schema.tenancies).limit(1)).one()
            ticket = connection.execute(select(ixhaus_schema.tickets).limit(1)).one()
            ticket_type = connection.execute(select(ixhaus_schema.ticket_types).limit(1)).one()
    finally:
        engine.dispose()
    assert isinstance(tenancy.move_in_date, date)
    assert ticket.created_at.year > 2000 and ticket.updated_at >= ticket.created_at
    assert isinstance(ticket_type.portal_locked, bool)


def test_every_reference_points_to_an_existing_row(small_world: DemoWorld) -> None:
    with _connect(small_world.ixhaus) as connection:
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        orphans = connection.execute(
            """
            SELECT count(*) FROM tickets t
            LEFT JOIN units u ON u.unit_id = t.unit_id
            LEFT JOIN persons p ON p.person_id = t.reporter_person_id
            LEFT JOIN trades tr ON tr.trade_id = t.trade_id
            WHERE (t.unit_id IS NOT NULL AND (u.unit_id IS NULL OR u.object_id != t.object_id))
               OR (t.reporter_person_id IS NOT NULL AND p.person_id IS NULL)
               OR (t.trade_id IS NOT NULL AND tr.trade_id IS NULL)
            """
        ).fetchone()[0]
        assert orphans == 0
        bad_templates = connection.execute(
            "SELECT count(*) FROM templates WHERE document_type NOT IN (SELECT document_type FROM document_types)"
        ).fetchone()[0]
        assert bad_templates == 0


# -- determinism ----------------------------------------------------------------------------------


def test_same_seed_and_today_give_the_same_world_and_another_seed_another(tmp_path: Path) -> None:
    first = tmp_path / "a" / "ixhaus.sqlite"
    again = tmp_path / "b" / "ixhaus.sqlite"
    other = tmp_path / "c" / "ixhaus.sqlite"
    generate("small", 7, first, first.with_name("docuware.sqlite"), today=TODAY)
    generate("small", 7, again, again.with_name("docuware.sqlite"), today=TODAY)
    generate("small", 8, other, other.with_name("docuware.sqlite"), today=TODAY)
    assert _table_digests(first) == _table_digests(again)
    different = {
        table
        for table, digest in _table_digests(first).items()
        if _table_digests(other)[table] != digest
    }
    assert {"objects", "persons", "tickets", "documents"} <= different
    if _docuware_available():
        assert _table_digests(first.with_name("docuware.sqlite")) == _table_digests(
            again.with_name("docuware.sqlite")
        )


def test_dates_follow_portal_sync_today(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TODAY_ENV, "2031-02-28")
    out = tmp_path / "ixhaus.sqlite"
    summary = generate("small", 1, out, None)
    assert "today 2031-02-28" in summary
    with _connect(out) as connection:
        ended = connection.execute(
            "SELECT management_end_date FROM objects WHERE object_number = '1002'"
        ).fetchone()[0]
        latest_update = connection.execute("SELECT max(updated_at) FROM persons").fetchone()[0]
    assert ended == "2031-02-27"
    assert latest_update < "2031-02-28"


def test_demo_today_defaults_to_berlin_and_rejects_a_bad_date() -> None:
    assert demo_today({TODAY_ENV: "2026-01-31"}) == date(2026, 1, 31)
    assert abs((demo_today({}) - date.today()).days) <= 1
    with pytest.raises(UserError, match=TODAY_ENV):
        demo_today({TODAY_ENV: "31.01.2026"})


def test_unknown_scale_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="huge"):
        generate("huge", 1, tmp_path / "x.sqlite", None, today=TODAY)
    assert not (tmp_path / "x.sqlite").exists()


def test_an_existing_file_is_replaced_without_leftovers(tmp_path: Path) -> None:
    out = tmp_path / "ixhaus.sqlite"
    out.write_bytes(b"not a database")
    generate("small", 3, out, None, today=TODAY)
    with _connect(out) as connection:
        assert connection.execute("SELECT count(*) FROM objects").fetchone()[0] == 20
    assert sorted(path.name for path in tmp_path.iterdir()) == ["ixhaus.sqlite"]


# -- the small world covers every rule -------------------------------------------------------


@dataclass
class WorldDB:
    connection: sqlite3.Connection
    params: dict[str, object]


@pytest.fixture(scope="module")
def world_db(small_world: DemoWorld) -> Iterator[WorldDB]:
    """The small world, read-only, with the reference settings as helper views."""
    settings = load_settings(REPO / "portal-sync.toml", environ={})
    portal = settings.portal
    ranges = portal.object_ranges
    today = small_world.today
    connection = _connect(small_world.ixhaus)
    connection.create_function(
        "in_range",
        1,
        lambda number: int(not ranges or any(low <= int(number) <= high for low, high in ranges)),
        deterministic=True,
    )

    def day(offset: int) -> str:
        return (today + timedelta(days=offset)).isoformat()

    boundary = previous_business_year_start(today, portal.business_year_start_month).isoformat()
    params = {
        "today": today.isoformat(),
        "yesterday": day(-1),
        "tomorrow": day(1),
        "before": day(portal.days_before_move_in),
        "before_plus_1": day(portal.days_before_move_in + 1),
        "after": day(-portal.days_after_move_out),
        "after_plus_1": day(-portal.days_after_move_out - 1),
        "boundary": boundary,
        "boundary_minus_1": (date.fromisoformat(boundary) - timedelta(days=1)).isoformat(),
        "max_bytes": int(portal.max_file_size_mb * 1024 * 1024),
    }
    released_people = ", ".join(f"'{t}'" for t in portal.person_types)
    released_docs = ", ".join(f"'{t}'" for t in portal.document_types)
    untimed_docs = ", ".join(f"'{t}'" for t in portal.document_types_without_time_filter)
    views = f"""
    CREATE TEMP VIEW synced_objects AS SELECT * FROM objects
      WHERE in_range(object_number) AND (management_end_date IS NULL OR management_end_date > '{params["today"]}');
    CREATE TEMP VIEW unsynced_objects AS SELECT * FROM objects
      WHERE object_id NOT IN (SELECT object_id FROM synced_objects);
    CREATE TEMP VIEW roles AS
      SELECT t.person_id, u.object_id, 'tenant' AS role, t.move_in_date AS start_date, t.move_out_date AS end_date
        FROM tenancies t JOIN units u USING (unit_id)
      UNION ALL SELECT person_id, object_id, 'owner', start_date, end_date FROM ownerships
      UNION ALL SELECT person_id, object_id, 'caretaker', start_date, end_date FROM caretakers;
    CREATE TEMP VIEW released_persons AS SELECT * FROM persons WHERE person_type IN ({released_people});
    CREATE TEMP VIEW released_document_types AS SELECT * FROM document_types WHERE document_type IN ({released_docs});
    CREATE TEMP VIEW untimed_document_types AS SELECT * FROM document_types WHERE document_type IN ({untimed_docs});
    CREATE TEMP VIEW reporter_roles AS
      SELECT t.*, CASE
          WHEN t.reporter_person_id IS NULL THEN 'none'
          WHEN p.person_type NOT IN ({released_people}) THEN 'unreleased'
          WHEN p.person_type = 'MIETER' THEN 'tenant'
          WHEN p.person_type = 'EIGENTUEMER' THEN 'owner'
          ELSE 'caretaker' END AS reporter_role
      FROM tickets t LEFT JOIN persons p ON p.person_id = t.reporter_person_id;
    """
    for statement in views.split(";"):
        if statement.strip():
            connection.execute(statement)
    yield WorldDB(connection, params)
    connection.close()


# (what a user would say, SQL counting the rows that show it, at least this many rows)
RULES: list[tuple[str, str, int]] = [
    # A
    ("the interface is switched on (Schnittstelle/Mieterportal/Aktiv = 1)",
     "SELECT count(*) FROM system_settings WHERE setting_key = 'Schnittstelle/Mieterportal/Aktiv' AND setting_value = '1'", 1),
    ("the technical user PORTAL has DocuWare credentials demo/demo",
     "SELECT count(*) FROM users WHERE user_id = 'PORTAL' AND display_name = 'Serviceportal (technisch)' AND docuware_username = 'demo' AND docuware_password = 'demo'", 1),
    ("there are staff users without DocuWare credentials",
     "SELECT count(*) FROM users WHERE user_id != 'PORTAL' AND docuware_username IS NULL", 2),
    # B1, B2
    ("there are objects inside the object range",
     "SELECT count(*) FROM objects WHERE in_range(object_number)", 10),
    ("object 2500 (the single number of the range) exists",
     "SELECT count(*) FROM synced_objects WHERE object_number = '2500'", 1),
    ("there are objects outside the object range",
     "SELECT count(*) FROM objects WHERE NOT in_range(object_number)", 3),
    ("there is an object whose management ended yesterday",
     "SELECT count(*) FROM objects WHERE management_end_date = :yesterday", 1),
    ("there is an object whose management ends today",
     "SELECT count(*) FROM objects WHERE management_end_date = :today", 1),
    ("there is an object whose management ends tomorrow",
     "SELECT count(*) FROM objects WHERE management_end_date = :tomorrow", 1),
    ("there is an object whose management ends in the far future",
     "SELECT count(*) FROM objects WHERE management_end_date > date(:today, '+5 years')", 1),
    ("there are objects without a management end date",
     "SELECT count(*) FROM objects WHERE management_end_date IS NULL", 5),
    ("there are units of objects outside the range",
     "SELECT count(*) FROM units WHERE object_id IN (SELECT object_id FROM objects WHERE NOT in_range(object_number))", 2),
    ("there are units of objects whose management ended",
     "SELECT count(*) FROM units WHERE object_id IN (SELECT object_id FROM objects WHERE management_end_date <= :today)", 2),
    # B3, B4: tenants
    ("there are current tenants in synced objects",
     "SELECT count(*) FROM roles WHERE role = 'tenant' AND start_date <= :today AND (end_date IS NULL OR end_date >= :today) AND object_id IN (SELECT object_id FROM synced_objects)", 20),
    ("there is a tenant who moves in within days_before_move_in days",
     "SELECT count(*) FROM roles WHERE role = 'tenant' AND start_date > :today AND start_date < :before AND object_id IN (SELECT object_id FROM synced_objects)", 2),
    ("there is a tenant who moves in exactly days_before_move_in days from today",
     "SELECT count(*) FROM roles WHERE role = 'tenant' AND start_date = :before AND object_id IN (SELECT object_id FROM synced_objects)", 2),
    ("there is a tenant who moves in one day after the window opens (days_before_move_in + 1)",
     "SELECT count(*) FROM roles WHERE role = 'tenant' AND start_date = :before_plus_1 AND object_id IN (SELECT object_id FROM synced_objects)", 2),
    ("there is a tenant who moves in far beyond the window",
     "SELECT count(*) FROM roles WHERE role = 'tenant' AND start_date > date(:before, '+30 days') AND object_id IN (SELECT object_id FROM synced_objects)", 2),
    ("there is a tenant who moves in today",
     "SELECT count(*) FROM roles WHERE role = 'tenant' AND start_date = :today AND object_id IN (SELECT object_id FROM synced_objects)", 2),
    ("there is a tenant who moves out in the future",
     "SELECT count(*) FROM roles WHERE role = 'tenant' AND end_date > :today AND object_id IN (SELECT object_id FROM synced_objects)", 2),
    ("there is a tenant who left fewer than days_after_move_out days ago",
     "SELECT count(*) FROM roles WHERE role = 'tenant' AND end_date < :today AND end_date > :after AND object_id IN (SELECT object_id FROM synced_objects)", 2),
    ("there is a tenant who left exactly days_after_move_out days ago",
     "SELECT count(*) FROM roles WHERE role = 'tenant' AND end_date = :after AND object_id IN (SELECT object_id FROM synced_objects)", 2),
    ("there is a tenant who left days_after_move_out + 1 days ago",
     "SELECT count(*) FROM roles WHERE role = 'tenant' AND end_date = :after_plus_1 AND object_id IN (SELECT object_id FROM synced_objects)", 2),
    ("there is a tenant who left more than days_after_move_out days ago",
     "SELECT count(*) FROM roles WHERE role = 'tenant' AND end_date < :after_plus_1 AND object_id IN (SELECT object_id FROM synced_objects)", 2),
    ("there is a tenant who left 200 days ago",
     "SELECT count(*) FROM roles WHERE role = 'tenant' AND end_date = date(:today, '-200 days')", 2),
    ("there is a tenant who left 400 days ago",
     "SELECT count(*) FROM roles WHERE role = 'tenant' AND end_date = date(:today, '-400 days')", 2),
    # B3, B4: owners and caretakers
    ("there are current owners of units",
     "SELECT count(*) FROM ownerships WHERE unit_id IS NOT NULL AND start_date <= :today AND end_date IS NULL", 5),
    ("there are current owners of whole objects",
     "SELECT count(*) FROM ownerships WHERE unit_id IS NULL AND start_date <= :today AND end_date IS NULL", 2),
    ("there is an owner whose ownership starts within days_before_move_in days",
     "SELECT count(*) FROM roles WHERE role = 'owner' AND start_date > :today AND start_date <= :before", 2),
    ("there is an owner whose ownership starts after the window",
     "SELECT count(*) FROM roles WHERE role = 'owner' AND start_date > :before", 2),
    ("there is an owner whose ownership ended less than days_after_move_out days ago",
     "SELECT count(*) FROM roles WHERE role = 'owner' AND end_date < :today AND end_date > :after", 2),
    ("there is an owner whose ownership ended more than days_after_move_out days ago",
     "SELECT count(*) FROM roles WHERE role = 'owner' AND end_date < :after", 2),
    ("there are current caretakers of synced objects",
     "SELECT count(*) FROM roles WHERE role = 'caretaker' AND start_date <= :today AND end_date IS NULL AND object_id IN (SELECT object_id FROM synced_objects)", 2),
    ("there is a caretaker who starts within days_before_move_in days",
     "SELECT count(*) FROM roles WHERE role = 'caretaker' AND start_date > :today AND start_date <= :before", 2),
    ("there is a caretaker who starts after the window",
     "SELECT count(*) FROM roles WHERE role = 'caretaker' AND start_date > :before", 2),
    ("there is a caretaker who stopped less than days_after_move_out days ago",
     "SELECT count(*) FROM roles WHERE role = 'caretaker' AND end_date < :today AND end_date > :after", 2),
    ("there is a caretaker who stopped more than days_after_move_out days ago",
     "SELECT count(*) FROM roles WHERE role = 'caretaker' AND end_date < :after", 2),
    # B3: person types, roles, partner ids, contact data
    ("there is a DIENSTLEISTER (unreleased type) with a role in a synced object",
     "SELECT count(DISTINCT p.person_id) FROM persons p JOIN roles r USING (person_id) WHERE p.person_type = 'DIENSTLEISTER' AND r.object_id IN (SELECT object_id FROM synced_objects)", 2),
    ("there is an INTERESSENT (unreleased type) with a role in a synced object",
     "SELECT count(DISTINCT p.person_id) FROM persons p JOIN roles r USING (person_id) WHERE p.person_type = 'INTERESSENT' AND r.object_id IN (SELECT object_id FROM synced_objects)", 2),
    ("there are persons of unreleased types without any role",
     "SELECT count(*) FROM persons WHERE person_type IN ('DIENSTLEISTER', 'INTERESSENT') AND person_id NOT IN (SELECT person_id FROM roles)", 5),
    ("there are persons of released types without any role",
     "SELECT count(*) FROM released_persons WHERE person_id NOT IN (SELECT person_id FROM roles)", 2),
    ("there are persons whose only roles are in objects that are not synced",
     "SELECT count(DISTINCT person_id) FROM roles WHERE object_id IN (SELECT object_id FROM unsynced_objects) AND person_id NOT IN (SELECT person_id FROM roles WHERE object_id IN (SELECT object_id FROM synced_objects))", 10),
    ("there is a person with roles in a synced and in an unsynced object",
     "SELECT count(DISTINCT a.person_id) FROM roles a JOIN roles b USING (person_id) WHERE a.object_id IN (SELECT object_id FROM synced_objects) AND b.object_id IN (SELECT object_id FROM unsynced_objects)", 1),
    ("there are persons migrated to partner management (partner_id set)",
     "SELECT count(*) FROM persons WHERE partner_id IS NOT NULL", 20),
    ("there are synced tenants without an e-mail address",
     "SELECT count(*) FROM released_persons WHERE email IS NULL AND person_id IN (SELECT person_id FROM roles WHERE role = 'tenant' AND end_date IS NULL)", 2),
    ("there are persons whose contact preference is ONLINE",
     "SELECT count(*) FROM persons WHERE contact_preference = 'ONLINE'", 5),
    ("there are persons whose contact preference is POSTAL",
     "SELECT count(*) FROM persons WHERE contact_preference = 'POSTAL'", 5),
    ("there are persons without a contact preference",
     "SELECT count(*) FROM persons WHERE contact_preference IS NULL", 5),
    ("there are tenants without any name (invalid data)",
     "SELECT count(*) FROM persons WHERE first_name IS NULL AND last_name IS NULL AND company_name IS NULL", 2),
    ("there are tenants with an invalid e-mail address",
     "SELECT count(*) FROM persons WHERE email IS NOT NULL AND email NOT LIKE '%_@_%._%'", 2),
    # realistic German data
    ("salutations are Herr, Frau and Firma",
     "SELECT count(DISTINCT salutation) FROM persons WHERE salutation IN ('Herr', 'Frau', 'Firma')", 3),
    ("there are persons with the title Dr.",
     "SELECT count(*) FROM persons WHERE title LIKE '%Dr.%'", 2),
    ("there are companies (GmbH)",
     "SELECT count(*) FROM persons WHERE company_name LIKE '%GmbH%'", 2),
    ("there are names with umlauts",
     "SELECT count(*) FROM persons WHERE last_name GLOB '*[äöüÄÖÜ]*' OR first_name GLOB '*[äöüÄÖÜ]*'", 5),
    ("there are names with ß",
     "SELECT count(*) FROM persons WHERE last_name LIKE '%ß%'", 2),
    ("e-mail addresses transliterate umlauts (ü→ue)",
     "SELECT count(*) FROM persons WHERE last_name LIKE '%ü%' AND email LIKE '%ue%@%'", 2),
    ("every e-mail address is plain ASCII",
     "SELECT (SELECT count(*) FROM persons WHERE email IS NOT NULL) - count(*) FROM persons WHERE email IS NOT NULL AND email NOT GLOB '*[^ -~]*'", 0),
    ("postal codes have five digits (with leading zeros kept)",
     "SELECT count(*) FROM persons WHERE postal_code GLOB '0[0-9][0-9][0-9][0-9]'", 2),
    # B8, B9: ticket types
    ("there is a ticket type locked for the portal (Serviceportal-Sperre)",
     "SELECT count(*) FROM ticket_types WHERE portal_locked = 1", 1),
    ("there are bulletin ticket types (Hausmitteilung)",
     "SELECT count(*) FROM ticket_types WHERE portal_bulletin = 1", 2),
    ("there are object ticket types (Objektmeldung)",
     "SELECT count(*) FROM ticket_types WHERE portal_object_ticket = 1", 2),
    ("there are ticket types that notify unregistered persons",
     "SELECT count(*) FROM ticket_types WHERE notify_unregistered = 1", 2),
    ("there are ticket types with and without a note on commissioning",
     "SELECT count(DISTINCT note_on_commission) FROM ticket_types", 2),
    ("there is a ticket type released for nobody",
     "SELECT count(*) FROM ticket_types WHERE portal_locked = 0 AND release_tenant = 0 AND release_caretaker = 0 AND release_owner = 0", 1),
    ("ticket types have several different audience combinations",
     "SELECT count(DISTINCT release_tenant || release_caretaker || release_owner) FROM ticket_types", 6),
    # B11: priorities and statuses
    ("exactly one priority is the standard one, and it is released",
     "SELECT count(*) FROM ticket_priorities WHERE is_standard = 1 AND portal_released = 1 AND (SELECT count(*) FROM ticket_priorities WHERE is_standard = 1) = 1", 1),
    ("there is a priority not released for the portal",
     "SELECT count(*) FROM ticket_priorities WHERE portal_released = 0", 1),
    ("exactly one status is the standard one, and it is released",
     "SELECT count(*) FROM ticket_statuses WHERE is_standard = 1 AND portal_released = 1 AND (SELECT count(*) FROM ticket_statuses WHERE is_standard = 1) = 1", 1),
    ("there is a status not released for the portal",
     "SELECT count(*) FROM ticket_statuses WHERE portal_released = 0", 1),
    ("there are closed and cancelled statuses",
     "SELECT count(*) FROM ticket_statuses WHERE is_closed = 1 OR is_cancelled = 1", 2),
    ("there are tickets in synced objects with an unreleased priority",
     "SELECT count(*) FROM tickets WHERE priority_id IN (SELECT priority_id FROM ticket_priorities WHERE portal_released = 0) AND object_id IN (SELECT object_id FROM synced_objects)", 2),
    ("there are tickets in synced objects with an unreleased status",
     "SELECT count(*) FROM tickets WHERE status_id IN (SELECT status_id FROM ticket_statuses WHERE portal_released = 0) AND object_id IN (SELECT object_id FROM synced_objects)", 2),
    # B12: trades
    ("there is a trade released for tenants only",
     "SELECT count(*) FROM trades WHERE release_tenant = 1 AND release_caretaker = 0 AND release_owner = 0", 1),
    ("there is a trade released for nobody",
     "SELECT count(*) FROM trades WHERE release_tenant = 0 AND release_caretaker = 0 AND release_owner = 0", 1),
    ("trades have several different audience combinations",
     "SELECT count(DISTINCT release_tenant || release_caretaker || release_owner) FROM trades", 5),
    # B9, B10: tickets
    ("every ticket type has tickets in synced objects",
     "SELECT count(DISTINCT ticket_type_id) - (SELECT count(*) FROM ticket_types) FROM tickets WHERE object_id IN (SELECT object_id FROM synced_objects)", 0),
    ("every non-bulletin ticket type has tickets reported by a tenant, an owner, a caretaker, a person of an unreleased type and nobody",
     "SELECT count(DISTINCT ticket_type_id || reporter_role) FROM reporter_roles WHERE object_id IN (SELECT object_id FROM synced_objects) AND ticket_type_id IN (SELECT ticket_type_id FROM ticket_types WHERE portal_bulletin = 0)", 50),
    ("there are tickets on objects outside the range",
     "SELECT count(*) FROM tickets WHERE object_id IN (SELECT object_id FROM objects WHERE NOT in_range(object_number))", 5),
    ("there are tickets on objects whose management ended",
     "SELECT count(*) FROM tickets WHERE object_id IN (SELECT object_id FROM objects WHERE management_end_date <= :today)", 5),
    ("there is an open bulletin ticket in a synced object",
     "SELECT count(*) FROM tickets t JOIN ticket_types USING (ticket_type_id) JOIN ticket_statuses s USING (status_id) WHERE portal_bulletin = 1 AND s.is_closed = 0 AND s.is_cancelled = 0 AND t.object_id IN (SELECT object_id FROM synced_objects)", 2),
    ("there is a bulletin ticket whose status is closed",
     "SELECT count(*) FROM tickets t JOIN ticket_types USING (ticket_type_id) JOIN ticket_statuses s USING (status_id) WHERE portal_bulletin = 1 AND s.is_closed = 1 AND t.object_id IN (SELECT object_id FROM synced_objects)", 2),
    ("there is a bulletin ticket whose status is cancelled",
     "SELECT count(*) FROM tickets t JOIN ticket_types USING (ticket_type_id) JOIN ticket_statuses s USING (status_id) WHERE portal_bulletin = 1 AND s.is_cancelled = 1 AND t.object_id IN (SELECT object_id FROM synced_objects)", 2),
    ("no ticket came from the portal yet (portal ids are empty)",
     "SELECT (SELECT count(*) FROM tickets WHERE portal_ticket_id IS NULL) + (SELECT count(*) FROM ticket_notes WHERE portal_message_id IS NULL) + (SELECT count(*) FROM ticket_media WHERE portal_attachment_id IS NULL) - (SELECT count(*) FROM tickets) - (SELECT count(*) FROM ticket_notes) - (SELECT count(*) FROM ticket_media) - (SELECT count(*) FROM ticket_portal_state)", 0),
    # B13, B14: notes, commissioning, media
    ("there are public notes on tickets in synced objects",
     "SELECT count(*) FROM ticket_notes WHERE is_public = 1 AND ticket_id IN (SELECT ticket_id FROM tickets WHERE object_id IN (SELECT object_id FROM synced_objects))", 10),
    ("there are internal notes on tickets in synced objects",
     "SELECT count(*) FROM ticket_notes WHERE is_public = 0 AND ticket_id IN (SELECT ticket_id FROM tickets WHERE object_id IN (SELECT object_id FROM synced_objects))", 10),
    ("there are commissioned tickets whose type has note_on_commission",
     "SELECT count(*) FROM ticket_orders o JOIN tickets t USING (ticket_id) JOIN ticket_types tt USING (ticket_type_id) WHERE tt.note_on_commission = 1", 2),
    ("there are commissioned tickets whose type has no note_on_commission",
     "SELECT count(*) FROM ticket_orders o JOIN tickets t USING (ticket_id) JOIN ticket_types tt USING (ticket_type_id) WHERE tt.note_on_commission = 0", 2),
    ("there are public media files",
     "SELECT count(*) FROM ticket_media WHERE is_public = 1", 5),
    ("there are internal media files",
     "SELECT count(*) FROM ticket_media WHERE is_public = 0", 5),
    ("media files are PNG, JPEG and PDF",
     "SELECT count(DISTINCT mime_type) FROM ticket_media WHERE mime_type IN ('image/png', 'image/jpeg', 'application/pdf')", 3),
    ("every media file's size is its content's length",
     "SELECT count(*) FROM ticket_media WHERE size_bytes != length(content)", 0),
    # B5, B7: iX-Haus documents
    ("there are documents of released types dated well before the previous business year",
     "SELECT count(*) FROM documents WHERE document_type IN (SELECT document_type FROM released_document_types) AND document_date < date(:boundary, '-1 year')", 5),
    ("there are documents dated exactly on the last day before the previous business year (31 Dec)",
     "SELECT count(*) FROM documents WHERE document_date = :boundary_minus_1 AND document_type IN (SELECT document_type FROM released_document_types)", 2),
    ("there are documents dated exactly on the first day of the previous business year (1 Jan)",
     "SELECT count(*) FROM documents WHERE document_date = :boundary AND document_type IN (SELECT document_type FROM released_document_types)", 2),
    ("there are recent documents of released types",
     "SELECT count(*) FROM documents WHERE document_type IN (SELECT document_type FROM released_document_types) AND document_date > date(:today, '-30 days')", 5),
    ("there are documents of unreleased types",
     "SELECT count(*) FROM documents WHERE document_type NOT IN (SELECT document_type FROM released_document_types)", 5),
    ("there are old documents of untimed types (no time filter)",
     "SELECT count(*) FROM documents WHERE document_type IN (SELECT document_type FROM untimed_document_types) AND document_date < :boundary", 5),
    ("there are documents addressed to a person",
     "SELECT count(*) FROM documents WHERE person_id IS NOT NULL", 10),
    ("there are documents addressed to a unit (no person)",
     "SELECT count(*) FROM documents WHERE person_id IS NULL AND unit_id IS NOT NULL", 10),
    ("there are documents addressed to an object (no unit, no person)",
     "SELECT count(*) FROM documents WHERE person_id IS NULL AND unit_id IS NULL AND object_id IS NOT NULL", 10),
    ("there are documents addressed to an unknown person",
     "SELECT count(*) FROM documents WHERE person_id IS NOT NULL AND person_id NOT IN (SELECT person_id FROM persons)", 2),
    ("there are documents without any recipient",
     "SELECT count(*) FROM documents WHERE person_id IS NULL AND unit_id IS NULL AND object_id IS NULL", 2),
    ("there are documents addressed to persons who left more than days_after_move_out days ago",
     "SELECT count(*) FROM documents WHERE person_id IN (SELECT person_id FROM roles WHERE role = 'tenant' AND end_date < :after_plus_1)", 2),
    ("there are empty files (size 0)",
     "SELECT count(*) FROM documents WHERE size_bytes = 0 AND length(content) = 0", 2),
    ("there are oversized files (size above max_file_size_mb; content a small stand-in)",
     "SELECT count(*) FROM documents WHERE size_bytes > :max_bytes AND length(content) < 10000", 2),
    ("there are documents without a title (the file name is used)",
     "SELECT count(*) FROM documents WHERE title IS NULL", 2),
    ("there are image documents besides PDFs",
     "SELECT count(DISTINCT mime_type) FROM documents", 3),
    ("every other document's size is its content's length",
     "SELECT count(*) FROM documents WHERE size_bytes != length(content) AND size_bytes <= :max_bytes", 0),
    # E1, E2: templates and serial letters
    ("there are templates excluded from the portal",
     "SELECT count(*) FROM templates WHERE portal_excluded = 1", 2),
    ("there are templates whose document type is not released",
     "SELECT count(*) FROM templates WHERE document_type NOT IN (SELECT document_type FROM released_document_types)", 2),
    ("there are templates that may go to the portal",
     "SELECT count(*) FROM templates WHERE portal_excluded = 0 AND document_type IN (SELECT document_type FROM released_document_types)", 2),
    ("there are serial letters to persons with an e-mail address",
     "SELECT count(*) FROM serial_letters WHERE person_id IN (SELECT person_id FROM persons WHERE email IS NOT NULL)", 10),
    ("there are serial letters to persons without an e-mail address",
     "SELECT count(*) FROM serial_letters WHERE person_id IN (SELECT person_id FROM persons WHERE email IS NULL)", 5),
    ("there are serial letters to persons who prefer letters (POSTAL)",
     "SELECT count(*) FROM serial_letters WHERE person_id IN (SELECT person_id FROM persons WHERE contact_preference = 'POSTAL')", 5),
    ("there are serial letters to persons who are not synced (unreleased type or gone)",
     "SELECT count(*) FROM serial_letters WHERE person_id IN (SELECT person_id FROM persons WHERE person_type NOT IN ('MIETER', 'EIGENTUEMER', 'HAUSMEISTER')) OR person_id IN (SELECT person_id FROM roles WHERE role = 'tenant' AND end_date < :after_plus_1)", 4),
    ("there are serial letters with excluded templates",
     "SELECT count(*) FROM serial_letters WHERE template_id IN (SELECT template_id FROM templates WHERE portal_excluded = 1)", 5),
    ("there are serial letters with a generated document and without",
     "SELECT count(DISTINCT document_id IS NULL) FROM serial_letters", 2),
    ("there are serial letters without a delivery route yet",
     "SELECT count(*) FROM serial_letters WHERE delivery_route IS NULL", 10),
]  # fmt: skip


def _count(world: WorldDB, sql: str) -> int:
    names = set(re.findall(r":(\w+)", sql))
    return world.connection.execute(sql, {name: world.params[name] for name in names}).fetchone()[0]


@pytest.mark.parametrize(("rule", "sql", "at_least"), RULES, ids=[rule for rule, _, _ in RULES])
def test_small_world_covers(world_db: WorldDB, rule: str, sql: str, at_least: int) -> None:
    count = _count(world_db, sql)
    if at_least == 0:
        assert count == 0, f"{rule}: {count} rows break it"
    else:
        assert count >= at_least, f"{rule}: only {count} rows (want at least {at_least})"


def test_file_contents_match_their_types(small_world: DemoWorld) -> None:
    magic = {"application/pdf": b"%PDF-", "image/png": b"\x89PNG", "image/jpeg": b"\xff\xd8\xff"}
    with _connect(small_world.ixhaus) as connection:
        for table in ("documents", "ticket_media"):
            rows = connection.execute(
                f"SELECT mime_type, content FROM {table} WHERE length(content) > 0"
            ).fetchall()
            assert rows
            for mime_type, content in rows:
                assert content.startswith(magic[mime_type]), (table, mime_type)


# -- DocuWare ---------------------------------------------------------------------------------


def _docuware_available() -> bool:
    try:
        import emulators.docuware.store  # noqa: F401
    except ModuleNotFoundError:
        return False
    return True


DOCUWARE_RULES: list[tuple[str, str, int]] = [
    ("there is a DocuWare document addressed to a person (P)",
     "SELECT count(*) FROM dw WHERE empfaengertyp = 'P' AND CAST(empfaengerid AS INTEGER) IN (SELECT person_id FROM ix.persons)", 2),
    ("there is a DocuWare document addressed via Partner",
     "SELECT count(*) FROM dw WHERE empfaengertyp = 'Partner' AND CAST(empfaengerid AS INTEGER) IN (SELECT partner_id FROM ix.persons)", 2),
    ("there is a DocuWare document addressed to an object (Objekt)",
     "SELECT count(*) FROM dw WHERE empfaengertyp = 'Objekt' AND empfaengerid IN (SELECT object_number FROM ix.objects)", 2),
    ("there is a DocuWare document addressed to the owners of an object (O)",
     "SELECT count(*) FROM dw WHERE empfaengertyp = 'O' AND empfaengerid IN (SELECT object_number FROM ix.objects)", 2),
    ("there are DocuWare documents addressed to unknown persons or partners",
     "SELECT count(*) FROM dw WHERE (empfaengertyp = 'P' AND CAST(empfaengerid AS INTEGER) NOT IN (SELECT person_id FROM ix.persons)) OR (empfaengertyp = 'Partner' AND CAST(empfaengerid AS INTEGER) NOT IN (SELECT partner_id FROM ix.persons WHERE partner_id IS NOT NULL))", 2),
    ("there is a DocuWare document addressed to an unknown object",
     "SELECT count(*) FROM dw WHERE empfaengertyp = 'Objekt' AND empfaengerid NOT IN (SELECT object_number FROM ix.objects)", 1),
    ("there are DocuWare documents with an unknown EMPFAENGERTYP",
     "SELECT count(*) FROM dw WHERE empfaengertyp IS NULL OR empfaengertyp NOT IN ('P', 'Partner', 'Objekt', 'O')", 2),
    ("there are DocuWare documents of released and unreleased types",
     "SELECT count(DISTINCT dokumenttyp IN ('Nebenkostenabrechnung', 'Mietvertrag', 'Mahnung')) FROM dw", 2),
    ("there are DocuWare drafts (STATUS = ENTWURF)",
     "SELECT count(*) FROM dw WHERE status = 'ENTWURF'", 2),
    ("there are DocuWare documents without a name",
     "SELECT count(*) FROM dw WHERE dokumentname IS NULL", 2),
    ("there are DocuWare documents without a document date",
     "SELECT count(*) FROM dw WHERE dokumentdatum IS NULL", 2),
    ("there are DocuWare documents dated before the previous business year",
     "SELECT count(*) FROM dw WHERE dokumentdatum < :boundary_ms", 2),
    ("there is a DocuWare document dated exactly on the first day of the previous business year",
     "SELECT count(*) FROM dw WHERE dokumentdatum = :boundary_ms", 1),
    ("there is a DocuWare document dated exactly on the day before the previous business year",
     "SELECT count(*) FROM dw WHERE dokumentdatum = :boundary_ms - 86400000", 1),
    ("there are recent DocuWare documents",
     "SELECT count(*) FROM dw WHERE dokumentdatum >= :boundary_ms", 5),
    ("there are DocuWare PDFs, PNG and JPEG images and plain-text files",
     "SELECT count(DISTINCT content_type) FROM dw WHERE content_type IN ('application/pdf', 'image/png', 'image/jpeg', 'text/plain')", 4),
    ("there are DocuWare documents for persons in objects outside the range",
     "SELECT count(*) FROM dw WHERE empfaengertyp = 'P' AND objektnr IN ('3001', '1002')", 2),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rule", "sql", "at_least"), DOCUWARE_RULES, ids=[rule for rule, _, _ in DOCUWARE_RULES]
)
def test_small_world_docuware_covers(
    small_world: DemoWorld, rule: str, sql: str, at_least: int
) -> None:
    if not _docuware_available():
        pytest.skip(
            "emulators.docuware.store is not available: the DocuWare documents were not generated"
        )
    boundary = previous_business_year_start(small_world.today)
    boundary_ms = (boundary - date(1970, 1, 1)).days * 86_400_000
    connection = _connect(small_world.docuware_state)
    try:
        connection.execute(f"ATTACH DATABASE 'file:{small_world.ixhaus}?mode=ro' AS ix")
        connection.execute("CREATE TEMP VIEW dw AS SELECT * FROM main.documents")
        params = {"boundary_ms": boundary_ms} if ":boundary_ms" in sql else {}
        count = connection.execute(sql, params).fetchone()[0]
    finally:
        connection.close()
    assert count >= at_least, f"{rule}: only {count} rows (want at least {at_least})"


def test_small_world_has_about_sixty_docuware_documents(small_world: DemoWorld) -> None:
    if not _docuware_available():
        pytest.skip(
            "emulators.docuware.store is not available: the DocuWare documents were not generated"
        )
    with _connect(small_world.docuware_state) as connection:
        count, first, last = connection.execute(
            "SELECT count(*), min(dwdocid), max(dwdocid) FROM documents"
        ).fetchone()
    assert (count, first, last) == (60, 1, 60)


# -- the command line and the other scales -----------------------------------------------------


def test_cli_demo_builds_the_small_world_and_prints_a_summary(tmp_path: Path) -> None:
    env = {**os.environ, TODAY_ENV: "2026-06-15"}
    out = tmp_path / "demo" / "ixhaus.sqlite"
    result = subprocess.run(
        [str(Path(sys.executable).with_name("portal-sync")), "demo", "--scale", "small", "--seed", "5", "--out", str(out)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "20 objects" in result.stdout and "today 2026-06-15" in result.stdout
    assert out.exists()
    if _docuware_available():
        assert (tmp_path / "demo" / "docuware.sqlite").exists()
        assert "DocuWare: 60 documents" in result.stdout


def test_cli_demo_with_a_bad_today_fails_with_one_line(tmp_path: Path) -> None:
    env = {**os.environ, TODAY_ENV: "15.06.2026"}
    result = subprocess.run(
        [str(Path(sys.executable).with_name("portal-sync")), "demo", "--out", str(tmp_path / "x.sqlite")],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert TODAY_ENV in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def _counts(path: Path) -> dict[str, int]:
    with _connect(path) as connection:
        return {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("objects", "units", "persons", "documents", "tickets", "ticket_notes")
        }


def test_medium_world_has_the_medium_size(tmp_path: Path) -> None:
    out = tmp_path / "ixhaus.sqlite"
    generate("medium", 42, out, None, today=TODAY)
    counts = _counts(out)
    assert counts["objects"] == 500
    assert 9_000 <= counts["units"] <= 11_500
    assert 20_000 <= counts["persons"] <= 30_000
    assert 80_000 <= counts["documents"] <= 120_000
    assert 16_000 <= counts["tickets"] <= 24_000
    assert 48_000 <= counts["ticket_notes"] <= 72_000


@pytest.mark.slow
def test_large_world_has_the_large_size(tmp_path: Path) -> None:
    out = tmp_path / "ixhaus.sqlite"
    state = tmp_path / "docuware.sqlite"
    generate("large", 42, out, state, today=TODAY)
    counts = _counts(out)
    assert counts["objects"] == 5_000
    assert 90_000 <= counts["units"] <= 115_000
    assert 220_000 <= counts["persons"] <= 290_000
    assert 850_000 <= counts["documents"] <= 1_200_000
    assert 170_000 <= counts["tickets"] <= 230_000
    assert 520_000 <= counts["ticket_notes"] <= 690_000
    if _docuware_available():
        with _connect(state) as connection:
            assert connection.execute("SELECT count(*) FROM documents").fetchone()[0] == 200_000
