"""A tiny iX-Haus world (a few rows in every contract table) for the ingest tests.

Small and hand-made so tests can change single rows and predict the result.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from portal_sync import ixhaus_schema as s

T0 = datetime(2025, 1, 6, 8, 0, 0)


def rows(count: int = 3) -> dict[str, list[dict[str, Any]]]:
    """Rows per contract table; `count` objects with one unit, tenant, document each."""
    data: dict[str, list[dict[str, Any]]] = {
        "system_settings": [
            {"setting_key": "Schnittstelle/Mieterportal/Aktiv", "setting_value": "1"}
        ],
        "users": [
            {
                "user_id": "PORTAL",
                "display_name": "Portal",
                "docuware_username": None,
                "docuware_password": None,
                "updated_at": T0,
            },
            {
                "user_id": "MEIER",
                "display_name": "Frau Meier",
                "docuware_username": None,
                "docuware_password": None,
                "updated_at": T0,
            },
        ],
        "document_types": [
            {"document_type": "MIETVERTRAG", "name": "Mietvertrag", "updated_at": T0}
        ],
        "templates": [
            {
                "template_id": 1,
                "name": "Brief",
                "document_type": "MIETVERTRAG",
                "portal_excluded": False,
                "updated_at": T0,
            }
        ],
        "ticket_types": [
            {
                "ticket_type_id": 1,
                "name": "Schaden",
                "category": None,
                "description": None,
                "portal_locked": False,
                "portal_bulletin": False,
                "portal_object_ticket": False,
                "notify_unregistered": True,
                "note_on_commission": True,
                "release_tenant": True,
                "release_caretaker": True,
                "release_owner": False,
                "updated_at": T0,
            }
        ],
        "ticket_priorities": [
            {
                "priority_id": 1,
                "name": "Normal",
                "is_standard": True,
                "portal_released": True,
                "updated_at": T0,
            }
        ],
        "ticket_statuses": [
            {
                "status_id": 1,
                "name": "Offen",
                "is_standard": True,
                "portal_released": True,
                "is_closed": False,
                "is_cancelled": False,
                "updated_at": T0,
            }
        ],
        "trades": [
            {
                "trade_id": 1,
                "name": "Sanitär",
                "release_tenant": True,
                "release_caretaker": False,
                "release_owner": False,
                "updated_at": T0,
            }
        ],
        "objects": [],
        "units": [],
        "persons": [],
        "tenancies": [],
        "ownerships": [],
        "caretakers": [],
        "documents": [],
        "serial_letters": [],
        "tickets": [],
        "ticket_notes": [],
        "ticket_orders": [],
        "ticket_media": [],
    }
    for i in range(1, count + 1):
        stamp = T0 + timedelta(minutes=i)
        data["objects"].append(
            {
                "object_id": i,
                "object_number": str(1000 + i),
                "name": f"Haus {i}",
                "street": f"Weg {i}",
                "postal_code": "10115",
                "city": "Berlin",
                "country": "DE",
                "management_end_date": None,
                "updated_at": stamp,
            }
        )
        data["units"].append(
            {
                "unit_id": 10 * i,
                "object_id": i,
                "unit_number": "01",
                "description": "EG",
                "floor": None,
                "updated_at": stamp,
            }
        )
        data["persons"].append(
            {
                "person_id": 100 + i,
                "person_type": "MIETER",
                "partner_id": None,
                "salutation": "Frau",
                "title": None,
                "first_name": f"Erika{i}",
                "last_name": "Muster",
                "company_name": None,
                "email": f"e{i}@example.org",
                "phone": None,
                "mobile": None,
                "street": None,
                "postal_code": None,
                "city": None,
                "country": None,
                "contact_preference": None,
                "updated_at": stamp,
            }
        )
        data["tenancies"].append(
            {
                "tenancy_id": i,
                "unit_id": 10 * i,
                "person_id": 100 + i,
                "move_in_date": date(2020, 1, i),
                "move_out_date": None,
                "updated_at": stamp,
            }
        )
        data["ownerships"].append(
            {
                "ownership_id": i,
                "object_id": i,
                "unit_id": None,
                "person_id": 100 + i,
                "start_date": date(2019, 5, 1),
                "end_date": None,
                "updated_at": stamp,
            }
        )
        data["caretakers"].append(
            {
                "caretaker_id": i,
                "object_id": i,
                "person_id": 100 + i,
                "start_date": date(2019, 5, 1),
                "end_date": date(2030, 1, 1),
                "updated_at": stamp,
            }
        )
        data["documents"].append(
            {
                "document_id": i,
                "document_type": "MIETVERTRAG",
                "title": None,
                "file_name": f"v{i}.pdf",
                "mime_type": "application/pdf",
                "size_bytes": 5,
                "content": b"%PDF-",
                "document_date": date(2024, 3, i),
                "object_id": i,
                "unit_id": None,
                "person_id": 100 + i,
                "updated_at": stamp,
            }
        )
        data["serial_letters"].append(
            {
                "letter_id": i,
                "template_id": 1,
                "person_id": 100 + i,
                "document_id": i,
                "created_at": stamp,
                "delivery_route": None,
                "updated_at": stamp,
            }
        )
        data["tickets"].append(
            {
                "ticket_id": i,
                "ticket_type_id": 1,
                "object_id": i,
                "unit_id": 10 * i,
                "reporter_person_id": 100 + i,
                "priority_id": 1,
                "status_id": 1,
                "trade_id": None,
                "title": f"Tropft {i}",
                "description": None,
                "created_by": "MEIER",
                "created_at": stamp,
                "updated_at": stamp,
                "portal_ticket_id": None,
            }
        )
        data["ticket_notes"].append(
            {
                "note_id": i,
                "ticket_id": i,
                "text": "Notiz",
                "is_public": i % 2 == 0,
                "created_by": "MEIER",
                "created_at": stamp,
                "updated_at": stamp,
                "portal_message_id": None,
            }
        )
        data["ticket_orders"].append(
            {
                "order_id": i,
                "ticket_id": i,
                "contractor_name": "Klempner",
                "trade_id": 1,
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
        data["ticket_media"].append(
            {
                "media_id": i,
                "ticket_id": i,
                "file_name": "foto.jpg",
                "mime_type": "image/jpeg",
                "size_bytes": 3,
                "content": b"\xff\xd8\xff",
                "is_public": True,
                "created_by": "MEIER",
                "created_at": stamp,
                "updated_at": stamp,
                "portal_attachment_id": None,
            }
        )
    return data


def create(path: Path, count: int = 3) -> str:
    """Create the tiny world as a SQLite file; returns its SQLAlchemy URL."""
    url = f"sqlite:///{path}"
    engine = sa.create_engine(url)
    s.metadata.create_all(engine)
    with engine.begin() as conn:
        for table in s.metadata.sorted_tables:
            data = rows(count).get(table.name)
            if data:
                conn.execute(table.insert(), data)
    engine.dispose()
    return url
