"""Building blocks for the write-back tests: an iX-Haus database, model tables, settings."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy import BLOB, LargeBinary, MetaData, UniqueConstraint, create_engine, insert, select

from portal_sync import ixhaus_schema as ix
from portal_sync.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
T0 = datetime(2025, 3, 1, 8, 0, 0)
PHOTO = bytes(range(256)) * 40  # 10 KiB "photo"
PDF = b"%PDF-1.4\n" + b"x" * 3000

#: the write-back model columns of ARCHITECTURE.md ("dbt → write-back")
MODEL_DDL = {
    "writeback_portal_tickets": "portal_ticket_id text, ticket_type_id bigint, object_id bigint, unit_id bigint, "
    "reporter_person_id bigint, priority_id bigint, status_id bigint, trade_id bigint, title text, "
    "description text, created_at timestamp",
    "writeback_ticket_notes": "portal_message_id text, portal_ticket_id text, ticket_id bigint, text text, "
    "created_at timestamp",
    "writeback_ticket_media": "portal_attachment_id text, portal_ticket_id text, ticket_id bigint, file_name text, "
    "mime_type text, size_bytes bigint, created_at timestamp",
    "writeback_contact_preferences": "person_id bigint, contact_preference text",
    "writeback_ticket_portal_state": "ticket_id bigint, portal_status text, portal_state_label text, "
    "reason_code text, reason_text text, last_portal_change_at timestamp, last_portal_change_kind text",
    "writeback_delivery_routes": "letter_id bigint, delivery_route text",
}


PORTAL_KEYS = {
    "tickets": "portal_ticket_id",
    "ticket_notes": "portal_message_id",
    "ticket_media": "portal_attachment_id",
}


def _contract_metadata(portal_unique: bool) -> MetaData:
    """The contract's tables for any database (BLOB as LargeBinary: `bytea` on PostgreSQL).

    Without `portal_unique` the UNIQUE constraints on the `portal_*_id` columns are left
    out: a DBA's view on Oracle may not enforce them, exactly-once must not depend on them.
    """
    metadata = MetaData()
    for table in ix.metadata.sorted_tables:
        copy = table.to_metadata(metadata)
        for column in copy.columns:
            if isinstance(column.type, BLOB):
                column.type = LargeBinary()
        key = PORTAL_KEYS.get(table.name)
        if key and not portal_unique:
            copy.c[key].unique = False
            copy.constraints = {
                c
                for c in copy.constraints
                if not (isinstance(c, UniqueConstraint) and key in c.columns)
            }
    return metadata


def seed_ixhaus(url: str, *, portal_unique: bool = True) -> None:
    """A tiny iX-Haus: one object, two units, tenants, one iX-Haus ticket (id 7), two letters."""
    engine = create_engine(url)
    _contract_metadata(portal_unique).create_all(engine)
    stamp = datetime(2025, 1, 1)
    with engine.begin() as conn:
        conn.execute(
            insert(ix.users),
            [
                {"user_id": "PORTAL", "display_name": "Serviceportal", "updated_at": stamp},
                {"user_id": "ADMIN", "display_name": "Verwalterin", "updated_at": stamp},
            ],
        )
        conn.execute(
            insert(ix.objects).values(
                object_id=1, object_number="1000", name="Hofgarten", street="Hofweg 1", postal_code="10115",
                city="Berlin", country="DE", updated_at=stamp,
            )
        )  # fmt: skip
        conn.execute(
            insert(ix.units),
            [
                {
                    "unit_id": 10,
                    "object_id": 1,
                    "unit_number": "1.01",
                    "description": "EG links",
                    "updated_at": stamp,
                },
                {
                    "unit_id": 11,
                    "object_id": 1,
                    "unit_number": "1.02",
                    "description": "EG rechts",
                    "updated_at": stamp,
                },
            ],
        )
        conn.execute(
            insert(ix.persons),
            [
                {"person_id": 100, "person_type": "MIETER", "last_name": "Berg", "contact_preference": "ONLINE",
                 "updated_at": stamp},
                {"person_id": 101, "person_type": "MIETER", "last_name": "Kaya", "contact_preference": None,
                 "updated_at": stamp},
            ],
        )  # fmt: skip
        conn.execute(
            insert(ix.ticket_types).values(
                ticket_type_id=1, name="Schaden", portal_locked=False, portal_bulletin=False,
                portal_object_ticket=False, notify_unregistered=False, note_on_commission=False,
                release_tenant=True, release_caretaker=True, release_owner=True, updated_at=stamp,
            )
        )  # fmt: skip
        conn.execute(
            insert(ix.ticket_priorities).values(
                priority_id=1,
                name="normal",
                is_standard=True,
                portal_released=True,
                updated_at=stamp,
            )
        )
        conn.execute(
            insert(ix.ticket_statuses).values(
                status_id=1, name="offen", is_standard=True, portal_released=True, is_closed=False,
                is_cancelled=False, updated_at=stamp,
            )
        )  # fmt: skip
        conn.execute(
            insert(ix.trades).values(
                trade_id=3, name="Sanitär", release_tenant=True, release_caretaker=True, release_owner=True,
                updated_at=stamp,
            )
        )  # fmt: skip
        conn.execute(
            insert(ix.tickets).values(
                ticket_id=7, ticket_type_id=1, object_id=1, unit_id=10, reporter_person_id=100, priority_id=1,
                status_id=1, title="Heizung", created_by="ADMIN", created_at=stamp, updated_at=stamp,
            )
        )  # fmt: skip
        conn.execute(
            insert(ix.templates).values(
                template_id=1,
                name="Einladung",
                document_type="PROTOKOLL",
                portal_excluded=False,
                updated_at=stamp,
            )
        )
        conn.execute(
            insert(ix.serial_letters),
            [
                {"letter_id": 500, "template_id": 1, "person_id": 100, "created_at": stamp,
                 "delivery_route": "PORTAL", "updated_at": stamp},
                {"letter_id": 501, "template_id": 1, "person_id": 101, "created_at": stamp,
                 "delivery_route": None, "updated_at": stamp},
            ],
        )  # fmt: skip
    engine.dispose()


def create_models(warehouse: Path) -> None:
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("create schema if not exists marts")
        for model, columns in MODEL_DDL.items():
            con.execute(f"create or replace table marts.{model} ({columns})")
    finally:
        con.close()


def put_rows(
    warehouse: Path, model: str, rows: list[dict[str, Any]], *, replace: bool = True
) -> None:
    """Fill a model table (the columns not given are null)."""
    con = duckdb.connect(str(warehouse))
    try:
        if replace:
            con.execute(f"delete from marts.{model}")
        for row in rows:
            names = ", ".join(row)
            marks = ", ".join("?" for _ in row)
            con.execute(f"insert into marts.{model} ({names}) values ({marks})", list(row.values()))
    finally:
        con.close()


def standard_models(warehouse: Path) -> None:
    """Two portal tickets, four messages, two attachments, a preference, a route, portal states."""
    create_models(warehouse)
    ticket = {"ticket_type_id": 1, "object_id": 1, "priority_id": 1, "status_id": 1}
    put_rows(
        warehouse,
        "writeback_portal_tickets",
        [
            {**ticket, "portal_ticket_id": "C-1", "unit_id": 10, "reporter_person_id": 100, "trade_id": 3,
             "title": "Wasserhahn tropft", "description": "Küche, seit gestern", "created_at": T0},
            {**ticket, "portal_ticket_id": "C-2", "unit_id": 11, "reporter_person_id": 101,
             "title": "Licht im Flur", "description": None, "created_at": T0},
        ],
    )  # fmt: skip
    put_rows(
        warehouse,
        "writeback_ticket_notes",
        [
            {"portal_message_id": "C-M1", "portal_ticket_id": "C-1", "text": "Foto anbei.", "created_at": T0},
            {"portal_message_id": "C-M2", "portal_ticket_id": "C-1", "text": "Wann kommt jemand?",
             "created_at": T0},
            {"portal_message_id": "C-M3", "portal_ticket_id": "C-2", "text": "Danke", "created_at": T0},
            {"portal_message_id": "C-M4", "portal_ticket_id": "T-7", "ticket_id": 7, "text": "Immer noch kalt",
             "created_at": T0},
        ],
    )  # fmt: skip
    put_rows(
        warehouse,
        "writeback_ticket_media",
        [
            {"portal_attachment_id": "C-A1", "portal_ticket_id": "C-1", "file_name": "hahn.jpg",
             "mime_type": "image/jpeg", "size_bytes": len(PHOTO), "created_at": T0},
            {"portal_attachment_id": "C-A2", "portal_ticket_id": "T-7", "ticket_id": 7, "file_name": "zähler.pdf",
             "mime_type": "application/pdf", "size_bytes": len(PDF), "created_at": T0},
        ],
    )  # fmt: skip
    put_rows(
        warehouse,
        "writeback_contact_preferences",
        [{"person_id": 100, "contact_preference": "POSTAL"}],
    )
    put_rows(
        warehouse, "writeback_delivery_routes", [{"letter_id": 500, "delivery_route": "LETTER"}]
    )
    put_rows(
        warehouse,
        "writeback_ticket_portal_state",
        [
            {"ticket_id": 7, "portal_status": "TRANSFERRED", "portal_state_label": "offen",
             "last_portal_change_at": T0, "last_portal_change_kind": "MESSAGE"},
        ],
    )  # fmt: skip


ATTACHMENTS = {"C-A1": PHOTO, "C-A2": PDF}


def make_settings(ixhaus_url: str, casavi_url: str, warehouse: Path) -> Settings:
    return Settings.model_validate(
        {
            "warehouse": {"path": str(warehouse)},
            "ixhaus": {"url": ixhaus_url, "technical_user": "PORTAL"},
            "casavi": {"url": casavi_url, "max_retries": 3},
        }
    )


def write_config(path: Path, ixhaus_url: str, casavi_url: str, warehouse: Path) -> Path:
    path.write_text(
        f'[warehouse]\npath = "{warehouse}"\n[ixhaus]\nurl = "{ixhaus_url}"\ntechnical_user = "PORTAL"\n'
        f'[casavi]\nurl = "{casavi_url}"\nmax_retries = 3\n',
        encoding="utf-8",
    )
    return path


def child_env(config: Path) -> dict[str, str]:
    """The environment of a child run: this one without PORTAL_SYNC_* overrides, plus the config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_SYNC")}
    env["PORTAL_SYNC_CONFIG"] = str(config)
    return env


def run_subprocess(
    config: Path, run_id: int, crash_at: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The write-back in its own process (`tests.writeback.runner`), optionally killed at a point."""
    env = child_env(config)
    if crash_at:
        env["PORTAL_SYNC_CRASH_AT"] = crash_at
    return subprocess.run(
        [PYTHON, "-m", "tests.writeback.runner", str(run_id)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def parse_counts(result: subprocess.CompletedProcess[str]) -> dict[str, int]:
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def ixhaus_rows(url: str, table_name: str, order_by: str) -> list[dict[str, Any]]:
    engine = create_engine(url)
    try:
        table = ix.metadata.tables[table_name]
        with engine.connect() as conn:
            return [
                dict(row._mapping)
                for row in conn.execute(select(table).order_by(table.c[order_by]))
            ]
    finally:
        engine.dispose()


def snapshot(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every written table, every column (incl. updated_at), for "nothing changed" checks."""
    keys = {
        "tickets": "ticket_id",
        "ticket_notes": "note_id",
        "ticket_media": "media_id",
        "persons": "person_id",
        "serial_letters": "letter_id",
        "ticket_portal_state": "ticket_id",
    }
    return {name: ixhaus_rows(url, name, key) for name, key in keys.items()}


def book_rows(warehouse: Path) -> dict[tuple[str, str], dict[str, Any]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        cursor = con.execute("select * from portal_sync.writeback_items")
        names = [c[0] for c in cursor.description]
        return {(row[0], row[1]): dict(zip(names, row, strict=True)) for row in cursor.fetchall()}
    finally:
        con.close()
