"""The write-back through the real CLI (`portal-sync sync`), checked in iX-Haus and casavi.

One world and one pair of emulators for the module (syncs are the slow part); the tests
run in file order and build on each other. A tenant acts in the portal (casavi emulator
`/community/v1`); the sync — once killed in the middle, with lost responses on the
attachment downloads — brings it into iX-Haus exactly once.
"""

from __future__ import annotations

import signal
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from portal_sync import ixhaus_schema as ix
from tests.scenarios.conftest import Portal, make_portal  # noqa: F401 - the module fixture

PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 64 + b"\xff\xd9"
SCHADENSMELDUNG = "TT-1"  # an iX-Haus ticket type released for tenants
CONTENT_PATH = "GET /v2/ticket-attachments/{id}/content"


@dataclass
class Story:
    portal: Portal
    person_id: int
    contact: str
    ticket: str  # the tenant's portal ticket (iX-Haus type)
    photo: str
    messages: list[str]
    casavi_type_ticket: str  # a ticket with a type created in casavi, relinked after the kill
    content_gets_before: int
    why_before_relink: list[tuple[Any, ...]]
    imported_before_relink: list[dict[str, Any]]


def community(portal: Portal, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    response = httpx.request(
        method, f"{portal.casavi.base}/community/v1{path}", timeout=10, **kwargs
    )
    assert response.status_code < 300, response.text
    return dict(response.json())


def a_tenant_with_letters(portal: Portal) -> tuple[int, dict[str, Any]]:
    """A tenant with a portal account on a unit of a synced object and serial letters."""
    engine = portal.ixhaus()
    with engine.connect() as conn:
        with_letters = {row[0] for row in conn.execute(sa.select(ix.serial_letters.c.person_id))}
    engine.dispose()
    for contact in portal.items("contacts"):
        person_id = int(contact["id"].removeprefix("P-"))
        current = [
            contract
            for contract in contact.get("contracts") or []
            if contract["type"] == "RENTER"
            and contract.get("unitId")
            and contract.get("endDate") is None
        ]
        if (
            current
            and person_id in with_letters
            and contact.get("preferredWayOfContact") != "POSTAL"
        ):
            return person_id, current[0]
    raise AssertionError("the demo world has no tenant with serial letters")


def ixhaus_rows(portal: Portal, table: sa.Table, *where: Any) -> list[dict[str, Any]]:
    engine = portal.ixhaus()
    with engine.connect() as conn:
        rows = [dict(row._mapping) for row in conn.execute(sa.select(table).where(*where))]
    engine.dispose()
    return rows


@pytest.fixture(scope="module")
def story(make_portal: Any) -> Story:  # noqa: F811 - the fixture imported above
    portal: Portal = make_portal()
    first = portal.sync()
    assert first.returncode == 0, first.stdout + first.stderr

    person_id, contract = a_tenant_with_letters(portal)
    contact = f"P-{person_id}"
    community(portal, "POST", f"/contacts/{contact}/register")
    ticket = community(
        portal,
        "POST",
        "/tickets",
        json={
            "contactId": contact,
            "ticketTypeId": SCHADENSMELDUNG,
            "propertyId": contract["propertyId"],
            "unitId": contract["unitId"],
            "title": "Wasserhahn tropft",
            "description": "Küche, seit gestern Abend",
        },
    )["id"]
    photo = community(
        portal,
        "POST",
        f"/tickets/{ticket}/attachments",
        data={"contactId": contact},
        files={"file": ("hahn.jpg", PHOTO, "image/jpeg")},
    )["id"]
    messages = [
        community(
            portal, "POST", f"/tickets/{ticket}/messages", json={"contactId": contact, "text": text}
        )["id"]
        for text in ("Foto vom Hahn anbei.", "Ich bin ab 16 Uhr zu Hause.")
    ]
    community(
        portal, "PUT", f"/contacts/{contact}/preference", json={"preferredWayOfContact": "POSTAL"}
    )
    # a portal admin creates a ticket type in casavi; the tenant reports with it
    community(
        portal,
        "PUT",
        "/ticket-types/C-TT-KELLER",
        json={
            "name": "Keller (Portal)",
            "category": None,
            "description": None,
            "audiences": ["RENTER"],
        },
    )
    casavi_type_ticket = community(
        portal,
        "POST",
        "/tickets",
        json={
            "contactId": contact,
            "ticketTypeId": "C-TT-KELLER",
            "propertyId": contract["propertyId"],
            "unitId": contract["unitId"],
            "title": "Kellertür klemmt",
        },
    )["id"]
    gets_before = portal.casavi.requests().get(CONTENT_PATH, 0)
    portal.casavi.faults(
        rules=[
            {
                "method": "GET",
                "path": "/v2/ticket-attachments/*/content",
                "lose_response": True,
                "times": 1,
            }
        ]
    )

    killed = portal.sync(env={"PORTAL_SYNC_CRASH_AT": "note.committed:1"})
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    # the killed run had built its models: the casavi-type ticket is listed with its reason
    why = portal.query(
        "select reason_code from marts.why_not_synced where entity_id = ?", [casavi_type_ticket]
    )
    imported = ixhaus_rows(portal, ix.tickets, ix.tickets.c.portal_ticket_id == casavi_type_ticket)
    # an admin relinks it to an iX-Haus type
    community(
        portal,
        "PUT",
        f"/tickets/{casavi_type_ticket}/ticket-type",
        json={"ticketTypeId": SCHADENSMELDUNG},
    )
    again = portal.sync()
    assert again.returncode == 0, again.stdout + again.stderr
    portal.casavi.faults()
    return Story(
        portal,
        person_id,
        contact,
        ticket,
        photo,
        messages,
        casavi_type_ticket,
        gets_before,
        why,
        imported,
    )


def test_a_tenants_ticket_with_photo_and_two_messages_is_in_ixhaus_once(story: Story) -> None:
    portal = story.portal
    (ticket,) = ixhaus_rows(portal, ix.tickets, ix.tickets.c.portal_ticket_id == story.ticket)
    assert ticket["created_by"] == "PORTAL"
    assert ticket["reporter_person_id"] == story.person_id
    assert ticket["ticket_type_id"] == int(SCHADENSMELDUNG.removeprefix("TT-"))
    assert (ticket["title"], ticket["description"]) == (
        "Wasserhahn tropft",
        "Küche, seit gestern Abend",
    )

    notes = ixhaus_rows(portal, ix.ticket_notes, ix.ticket_notes.c.ticket_id == ticket["ticket_id"])
    assert sorted(
        (n["portal_message_id"], n["text"], n["is_public"], n["created_by"]) for n in notes
    ) == [
        (story.messages[0], "Foto vom Hahn anbei.", True, "PORTAL"),
        (story.messages[1], "Ich bin ab 16 Uhr zu Hause.", True, "PORTAL"),
    ]
    (media,) = ixhaus_rows(
        portal, ix.ticket_media, ix.ticket_media.c.ticket_id == ticket["ticket_id"]
    )
    assert (media["portal_attachment_id"], media["file_name"], media["mime_type"]) == (
        story.photo,
        "hahn.jpg",
        "image/jpeg",
    )
    assert (
        media["content"] == PHOTO
        and media["size_bytes"] == len(PHOTO)
        and media["created_by"] == "PORTAL"
    )

    # exactly once, although the first try was killed after its first note
    for table, column in (
        (ix.tickets, "portal_ticket_id"),
        (ix.ticket_notes, "portal_message_id"),
        (ix.ticket_media, "portal_attachment_id"),
    ):
        counts = Counter(
            row[column] for row in ixhaus_rows(portal, table, table.c[column].is_not(None))
        )
        assert set(counts.values()) == {1}, (table.name, counts)
    runs = portal.query("select status, finished_at is null from portal_sync.runs order by run_id")
    assert runs[-2:] == [("running", True), ("success", False)]  # the killed run never finished
    # the lost response was retried: two GETs of the photo's content
    assert portal.casavi.requests().get(CONTENT_PATH, 0) - story.content_gets_before == 2


def test_a_tenant_who_switches_to_postal_gets_letters(story: Story) -> None:
    portal = story.portal
    (person,) = ixhaus_rows(portal, ix.persons, ix.persons.c.person_id == story.person_id)
    assert person["contact_preference"] == "POSTAL"
    letters = ixhaus_rows(
        portal, ix.serial_letters, ix.serial_letters.c.person_id == story.person_id
    )
    assert letters and {letter["delivery_route"] for letter in letters} == {"LETTER"}


def test_a_ticket_with_a_type_created_in_casavi_waits_until_an_admin_relinks_it(
    story: Story,
) -> None:
    portal = story.portal
    assert story.why_before_relink == [("PORTAL_TICKET_TYPE_NOT_FROM_IXHAUS",)]
    assert story.imported_before_relink == []

    (ticket,) = ixhaus_rows(
        portal, ix.tickets, ix.tickets.c.portal_ticket_id == story.casavi_type_ticket
    )
    assert (ticket["ticket_type_id"], ticket["created_by"], ticket["title"]) == (
        1,
        "PORTAL",
        "Kellertür klemmt",
    )
    why = "select count(*) from marts.why_not_synced where entity_id = ?"
    assert portal.query(why, [story.casavi_type_ticket]) == [(0,)]


def test_portal_state_says_why_each_ticket_is_not_in_the_portal(story: Story) -> None:
    portal = story.portal
    tickets = {row["ticket_id"] for row in ixhaus_rows(portal, ix.tickets)}
    states = {row["ticket_id"]: row for row in ixhaus_rows(portal, ix.ticket_portal_state)}
    imported_last_run = {
        row["ticket_id"]
        for row in ixhaus_rows(
            portal, ix.tickets, ix.tickets.c.portal_ticket_id == story.casavi_type_ticket
        )
    }
    assert set(states) == tickets - imported_last_run  # a ticket's state follows on the next run
    not_there = [row for row in states.values() if row["portal_status"] == "NOT_TRANSFERRED"]
    assert not_there, "the demo world has tickets that are not in the portal"
    assert all(row["reason_code"] and row["reason_text"] for row in not_there)


WRITTEN_TABLES = {
    ix.tickets: "ticket_id",
    ix.ticket_notes: "note_id",
    ix.ticket_media: "media_id",
    ix.persons: "person_id",
    ix.serial_letters: "letter_id",
    ix.ticket_portal_state: "ticket_id",
}


def ixhaus_snapshot(portal: Portal) -> dict[str, list[dict[str, Any]]]:
    engine = portal.ixhaus()
    with engine.connect() as conn:
        snapshot = {
            table.name: [
                dict(row._mapping) for row in conn.execute(sa.select(table).order_by(table.c[key]))
            ]
            for table, key in WRITTEN_TABLES.items()
        }
    engine.dispose()
    return snapshot


def test_ixhaus_changes_of_an_imported_ticket_go_to_the_same_casavi_ticket_without_echo(
    story: Story,
) -> None:
    """C3: status and a new public note from iX-Haus reach casavi's `C-…` ticket; the notes
    that came from the portal are not sent back as new messages."""
    portal = story.portal
    (ticket,) = ixhaus_rows(portal, ix.tickets, ix.tickets.c.portal_ticket_id == story.ticket)
    statuses = ixhaus_rows(
        portal,
        ix.ticket_statuses,
        ix.ticket_statuses.c.portal_released.is_(True),
        ix.ticket_statuses.c.is_standard.is_(False),
        ix.ticket_statuses.c.is_closed.is_(False),
        ix.ticket_statuses.c.is_cancelled.is_(False),
    )
    status = statuses[0]
    now = portal.stamp()
    portal.execute(
        sa.update(ix.tickets)
        .where(ix.tickets.c.ticket_id == ticket["ticket_id"])
        .values(status_id=status["status_id"], updated_at=now)
    )
    note_id = portal.next_id(ix.ticket_notes, "note_id")
    portal.execute(
        sa.insert(ix.ticket_notes).values(
            note_id=note_id, ticket_id=ticket["ticket_id"], text="Der Installateur kommt am Montag.",
            is_public=True, created_by="SACHBEARBEITER", created_at=now, updated_at=now,
        )
    )  # fmt: skip

    result = portal.sync()

    assert result.returncode == 0, result.stdout + result.stderr
    assert portal.get("tickets", story.ticket).json()["status"] == status["name"]
    messages = [m for m in portal.items("ticket-messages") if m["ticketId"] == story.ticket]
    assert sorted(m["id"] for m in messages) == sorted([*story.messages, f"N-{note_id}"])
    assert not portal.exists("tickets", f"T-{ticket['ticket_id']}")  # not published a second time
    state = ixhaus_rows(
        portal, ix.ticket_portal_state, ix.ticket_portal_state.c.ticket_id == ticket["ticket_id"]
    )
    assert [row["portal_status"] for row in state] == ["TRANSFERRED"]


def test_running_sync_twice_in_a_row_writes_nothing_the_second_time(story: Story) -> None:
    portal = story.portal
    # the sync of the previous test published C3 and wrote the imported tickets' portal state
    before = ixhaus_snapshot(portal)
    writes_before = portal.writes()

    result = portal.sync()

    assert result.returncode == 0, result.stdout + result.stderr
    assert portal.writes() == writes_before  # no PUT or DELETE reached casavi
    assert ixhaus_snapshot(portal) == before  # no iX-Haus row changed, updated_at included
    counts = portal.query("select counts from portal_sync.runs order by run_id desc limit 1")[0][0]
    assert "writeback." not in str(counts)
