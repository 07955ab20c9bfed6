"""The iX-Haus integration contract (`spec/ixhaus-contract.md`) as SQLAlchemy tables.

One definition used by the demo world, the write-back and the contract tests. Column
types use the contract's names (TEXT, INTEGER, DATE, TIMESTAMP, BOOLEAN, BLOB).
"""

from __future__ import annotations

from sqlalchemy import (
    BLOB,
    BOOLEAN,
    DATE,
    INTEGER,
    TEXT,
    TIMESTAMP,
    Column,
    ForeignKey,
    MetaData,
    Table,
)

metadata = MetaData()


def _updated_at() -> Column:
    return Column("updated_at", TIMESTAMP, nullable=False)


system_settings = Table(
    "system_settings",
    metadata,
    Column("setting_key", TEXT, primary_key=True),
    Column("setting_value", TEXT),
)

users = Table(
    "users",
    metadata,
    Column("user_id", TEXT, primary_key=True),
    Column("display_name", TEXT),
    Column("docuware_username", TEXT, nullable=True),
    Column("docuware_password", TEXT, nullable=True),
    _updated_at(),
)

objects = Table(
    "objects",
    metadata,
    Column("object_id", INTEGER, primary_key=True, autoincrement=False),
    Column("object_number", TEXT, unique=True, nullable=False),
    Column("name", TEXT),
    Column("street", TEXT),
    Column("postal_code", TEXT),
    Column("city", TEXT),
    Column("country", TEXT),
    Column("management_end_date", DATE, nullable=True),
    _updated_at(),
)

units = Table(
    "units",
    metadata,
    Column("unit_id", INTEGER, primary_key=True, autoincrement=False),
    Column("object_id", INTEGER, ForeignKey("objects.object_id"), nullable=False),
    Column("unit_number", TEXT),
    Column("description", TEXT),
    Column("floor", TEXT, nullable=True),
    _updated_at(),
)

persons = Table(
    "persons",
    metadata,
    Column("person_id", INTEGER, primary_key=True, autoincrement=False),
    Column("person_type", TEXT),
    Column("partner_id", INTEGER, nullable=True, unique=True),
    Column("salutation", TEXT, nullable=True),
    Column("title", TEXT, nullable=True),
    Column("first_name", TEXT, nullable=True),
    Column("last_name", TEXT, nullable=True),
    Column("company_name", TEXT, nullable=True),
    Column("email", TEXT, nullable=True),
    Column("phone", TEXT, nullable=True),
    Column("mobile", TEXT, nullable=True),
    Column("street", TEXT, nullable=True),
    Column("postal_code", TEXT, nullable=True),
    Column("city", TEXT, nullable=True),
    Column("country", TEXT, nullable=True),
    Column("contact_preference", TEXT, nullable=True),
    _updated_at(),
)

tenancies = Table(
    "tenancies",
    metadata,
    Column("tenancy_id", INTEGER, primary_key=True, autoincrement=False),
    Column("unit_id", INTEGER, ForeignKey("units.unit_id"), nullable=False),
    Column("person_id", INTEGER, ForeignKey("persons.person_id"), nullable=False),
    Column("move_in_date", DATE, nullable=False),
    Column("move_out_date", DATE, nullable=True),
    _updated_at(),
)

ownerships = Table(
    "ownerships",
    metadata,
    Column("ownership_id", INTEGER, primary_key=True, autoincrement=False),
    Column("object_id", INTEGER, ForeignKey("objects.object_id"), nullable=False),
    Column("unit_id", INTEGER, ForeignKey("units.unit_id"), nullable=True),
    Column("person_id", INTEGER, ForeignKey("persons.person_id"), nullable=False),
    Column("start_date", DATE, nullable=False),
    Column("end_date", DATE, nullable=True),
    _updated_at(),
)

caretakers = Table(
    "caretakers",
    metadata,
    Column("caretaker_id", INTEGER, primary_key=True, autoincrement=False),
    Column("object_id", INTEGER, ForeignKey("objects.object_id"), nullable=False),
    Column("person_id", INTEGER, ForeignKey("persons.person_id"), nullable=False),
    Column("start_date", DATE, nullable=False),
    Column("end_date", DATE, nullable=True),
    _updated_at(),
)

document_types = Table(
    "document_types",
    metadata,
    Column("document_type", TEXT, primary_key=True),
    Column("name", TEXT),
    _updated_at(),
)

documents = Table(
    "documents",
    metadata,
    Column("document_id", INTEGER, primary_key=True, autoincrement=False),
    Column("document_type", TEXT, ForeignKey("document_types.document_type"), nullable=False),
    Column("title", TEXT, nullable=True),
    Column("file_name", TEXT),
    Column("mime_type", TEXT),
    Column("size_bytes", INTEGER),
    Column("content", BLOB),
    Column("document_date", DATE),
    Column("object_id", INTEGER, nullable=True),
    Column("unit_id", INTEGER, nullable=True),
    Column("person_id", INTEGER, nullable=True),
    _updated_at(),
)

templates = Table(
    "templates",
    metadata,
    Column("template_id", INTEGER, primary_key=True, autoincrement=False),
    Column("name", TEXT),
    Column("document_type", TEXT),
    Column("portal_excluded", BOOLEAN),
    _updated_at(),
)

serial_letters = Table(
    "serial_letters",
    metadata,
    Column("letter_id", INTEGER, primary_key=True, autoincrement=False),
    Column("template_id", INTEGER, ForeignKey("templates.template_id"), nullable=False),
    Column("person_id", INTEGER, ForeignKey("persons.person_id"), nullable=False),
    Column("document_id", INTEGER, ForeignKey("documents.document_id"), nullable=True),
    Column("created_at", TIMESTAMP),
    Column("delivery_route", TEXT, nullable=True),
    _updated_at(),
)

ticket_types = Table(
    "ticket_types",
    metadata,
    Column("ticket_type_id", INTEGER, primary_key=True, autoincrement=False),
    Column("name", TEXT),
    Column("category", TEXT, nullable=True),
    Column("description", TEXT, nullable=True),
    Column("portal_locked", BOOLEAN),
    Column("portal_bulletin", BOOLEAN),
    Column("portal_object_ticket", BOOLEAN),
    Column("notify_unregistered", BOOLEAN),
    Column("note_on_commission", BOOLEAN),
    Column("release_tenant", BOOLEAN),
    Column("release_caretaker", BOOLEAN),
    Column("release_owner", BOOLEAN),
    _updated_at(),
)

ticket_priorities = Table(
    "ticket_priorities",
    metadata,
    Column("priority_id", INTEGER, primary_key=True, autoincrement=False),
    Column("name", TEXT),
    Column("is_standard", BOOLEAN),
    Column("portal_released", BOOLEAN),
    _updated_at(),
)

ticket_statuses = Table(
    "ticket_statuses",
    metadata,
    Column("status_id", INTEGER, primary_key=True, autoincrement=False),
    Column("name", TEXT),
    Column("is_standard", BOOLEAN),
    Column("portal_released", BOOLEAN),
    Column("is_closed", BOOLEAN),
    Column("is_cancelled", BOOLEAN),
    _updated_at(),
)

trades = Table(
    "trades",
    metadata,
    Column("trade_id", INTEGER, primary_key=True, autoincrement=False),
    Column("name", TEXT),
    Column("release_tenant", BOOLEAN),
    Column("release_caretaker", BOOLEAN),
    Column("release_owner", BOOLEAN),
    _updated_at(),
)

tickets = Table(
    "tickets",
    metadata,
    Column("ticket_id", INTEGER, primary_key=True, autoincrement=False),
    Column("ticket_type_id", INTEGER, ForeignKey("ticket_types.ticket_type_id"), nullable=False),
    Column("object_id", INTEGER, ForeignKey("objects.object_id"), nullable=False),
    Column("unit_id", INTEGER, nullable=True),
    Column("reporter_person_id", INTEGER, nullable=True),
    Column("priority_id", INTEGER, ForeignKey("ticket_priorities.priority_id"), nullable=False),
    Column("status_id", INTEGER, ForeignKey("ticket_statuses.status_id"), nullable=False),
    Column("trade_id", INTEGER, nullable=True),
    Column("title", TEXT),
    Column("description", TEXT, nullable=True),
    Column("created_by", TEXT),
    Column("created_at", TIMESTAMP),
    _updated_at(),
    Column("portal_ticket_id", TEXT, nullable=True, unique=True),
)

ticket_notes = Table(
    "ticket_notes",
    metadata,
    Column("note_id", INTEGER, primary_key=True, autoincrement=False),
    Column("ticket_id", INTEGER, ForeignKey("tickets.ticket_id"), nullable=False),
    Column("text", TEXT),
    Column("is_public", BOOLEAN),
    Column("created_by", TEXT),
    Column("created_at", TIMESTAMP),
    _updated_at(),
    Column("portal_message_id", TEXT, nullable=True, unique=True),
)

ticket_orders = Table(
    "ticket_orders",
    metadata,
    Column("order_id", INTEGER, primary_key=True, autoincrement=False),
    Column("ticket_id", INTEGER, ForeignKey("tickets.ticket_id"), nullable=False),
    Column("contractor_name", TEXT),
    Column("trade_id", INTEGER, nullable=True),
    Column("created_at", TIMESTAMP),
    _updated_at(),
)

ticket_media = Table(
    "ticket_media",
    metadata,
    Column("media_id", INTEGER, primary_key=True, autoincrement=False),
    Column("ticket_id", INTEGER, ForeignKey("tickets.ticket_id"), nullable=False),
    Column("file_name", TEXT),
    Column("mime_type", TEXT),
    Column("size_bytes", INTEGER),
    Column("content", BLOB),
    Column("is_public", BOOLEAN),
    Column("created_by", TEXT),
    Column("created_at", TIMESTAMP),
    _updated_at(),
    Column("portal_attachment_id", TEXT, nullable=True, unique=True),
)

ticket_portal_state = Table(
    "ticket_portal_state",
    metadata,
    Column("ticket_id", INTEGER, primary_key=True, autoincrement=False),
    Column("portal_status", TEXT),
    Column("portal_state_label", TEXT, nullable=True),
    Column("reason_code", TEXT, nullable=True),
    Column("reason_text", TEXT, nullable=True),
    Column("last_portal_change_at", TIMESTAMP, nullable=True),
    Column("last_portal_change_kind", TEXT, nullable=True),
    _updated_at(),
)

#: Tables the sync reads (all but the write-only portal state).
READ_TABLES = [
    table.name for table in metadata.sorted_tables if table.name != "ticket_portal_state"
]
#: BLOB columns that are read only when uploading, never copied into DuckDB.
BLOB_COLUMNS = {"documents": "content", "ticket_media": "content"}
ACTIVE_SETTING = "Schnittstelle/Mieterportal/Aktiv"
