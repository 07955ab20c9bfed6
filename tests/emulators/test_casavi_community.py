"""Portal users' actions (`/community/v1`), the visibility feed and the outbox."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest

from tests.fixtures.emulators import Emulator

TODAY = date(2026, 6, 15)


def ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def d(days: int) -> str:
    return (TODAY + timedelta(days=days)).isoformat()


def contract(
    kind: str, prop: str, unit: str | None = None, start: int = -400, end: int | None = None
) -> dict:
    return {
        "type": kind,
        "propertyId": prop,
        "unitId": unit,
        "startDate": d(start),
        "endDate": None if end is None else d(end),
    }


@pytest.fixture
def world(casavi: Emulator, api: httpx.Client) -> Emulator:
    """Two properties; tenants, an owner, a caretaker, a former and a future tenant."""
    casavi.set_clock(f"{TODAY.isoformat()}T10:00:00.000Z")
    api.put(
        "/v2/properties/P-1",
        json={
            "name": "Haus 1",
            "responsibilities": [{"contactId": "K-CARE", "roleName": "Hausmeister"}],
        },
    ).raise_for_status()
    api.put("/v2/properties/P-2", json={"name": "Haus 2"}).raise_for_status()
    for unit, prop in (("E-1", "P-1"), ("E-2", "P-1"), ("E-3", "P-2")):
        api.put(f"/v2/units/{unit}", json={"propertyId": prop, "number": unit}).raise_for_status()
    contacts = {
        "K-RENT1": [contract("RENTER", "P-1", "E-1")],
        "K-RENT2": [contract("RENTER", "P-1", "E-2")],
        "K-OWNER": [contract("OWNER", "P-1", "E-1")],
        "K-OTHER": [contract("RENTER", "P-2", "E-3")],
        "K-FORMER": [contract("RENTER", "P-1", "E-1", start=-900, end=-1)],
        "K-FUTURE": [contract("RENTER", "P-1", "E-2", start=30)],
        "K-LASTDAY": [contract("RENTER", "P-1", "E-2", end=0)],
        "K-CARE": [],
    }
    for cid, contracts in contacts.items():
        api.put(
            f"/v2/contacts/{cid}",
            json={"lastName": cid, "email": f"{cid.lower()}@example.org", "contracts": contracts},
        ).raise_for_status()
    api.put(
        "/v2/ticket-types/MA-RENT", json={"name": "Mieter", "audiences": ["RENTER"]}
    ).raise_for_status()
    api.put(
        "/v2/ticket-types/MA-OWN", json={"name": "Eigentümer", "audiences": ["OWNER", "CARETAKER"]}
    ).raise_for_status()
    api.put(
        "/v2/trades/G-RENT", json={"name": "Sanitär", "audiences": ["RENTER"]}
    ).raise_for_status()
    api.put("/v2/trades/G-NONE", json={"name": "Elektro", "audiences": []}).raise_for_status()
    return casavi


def community(emulator: Emulator) -> httpx.Client:
    return httpx.Client(base_url=f"{emulator.url}/community/v1", timeout=10.0)


def feed_ids(emulator: Emulator, contact: str) -> dict[str, set[str]]:
    with community(emulator) as c:
        body = ok(c.get(f"/contacts/{contact}/feed"))
    return {kind: {item["id"] for item in items} for kind, items in body.items()}


def test_register_and_preference(world: Emulator, api: httpx.Client) -> None:
    before = ok(api.get("/v2/contacts/K-RENT1"))
    with community(world) as c:
        registered = ok(c.post("/contacts/K-RENT1/register"))
        assert registered["isRegistered"] is True
        assert (
            ok(c.put("/contacts/K-RENT1/preference", json={"preferredWayOfContact": "POSTAL"}))[
                "preferredWayOfContact"
            ]
            == "POSTAL"
        )
        bad = c.put("/contacts/K-RENT1/preference", json={"preferredWayOfContact": "FAX"})
        assert (
            bad.status_code == 400 and bad.json()["details"][0]["field"] == "preferredWayOfContact"
        )
        assert c.post("/contacts/K-404/register").status_code == 404
    after = ok(api.get("/v2/contacts/K-RENT1"))
    assert after["modifiedAt"] > before["modifiedAt"]
    # an ERP PUT keeps the portal-owned read-only fields
    replaced = ok(
        api.put(
            "/v2/contacts/K-RENT1",
            json={"lastName": "Neu", "contracts": [contract("RENTER", "P-1", "E-1")]},
        )
    )
    assert replaced["isRegistered"] is True and replaced["preferredWayOfContact"] == "POSTAL"


def test_create_ticket_as_tenant(world: Emulator, api: httpx.Client) -> None:
    with community(world) as c:
        body = {
            "contactId": "K-RENT1",
            "ticketTypeId": "MA-RENT",
            "propertyId": "P-1",
            "unitId": "E-1",
            "title": "Heizung",
            "description": "kalt",
            "tradeId": "G-RENT",
        }
        created = ok(c.post("/tickets", json=body), 201)
    assert created["id"].startswith("C-")
    stored = ok(api.get(f"/v2/tickets/{created['id']}"))
    assert stored["source"] == "PORTAL" and stored["managedExternally"] is False
    assert (
        stored["reporterContactId"] == "K-RENT1"
        and stored["unitId"] == "E-1"
        and stored["tradeId"] == "G-RENT"
    )
    assert stored["lastPortalActivity"]["kind"] == "CREATED"


@pytest.mark.parametrize(
    ("contact", "type_id", "trade", "status"),
    [
        ("K-RENT1", "MA-OWN", None, 403),  # type not released for renters
        ("K-RENT1", "MA-RENT", "G-NONE", 403),  # trade not released
        ("K-OWNER", "MA-RENT", None, 403),  # owners may not use the renter type
        ("K-OWNER", "MA-OWN", None, 201),
        ("K-CARE", "MA-OWN", None, 201),  # caretaker through responsibilities
        ("K-FORMER", "MA-RENT", None, 403),  # no current role
        ("K-OTHER", "MA-RENT", None, 403),  # role in another property
        ("K-RENT1", "MA-404", None, 409),
        ("K-404", "MA-RENT", None, 404),
    ],
)
def test_create_ticket_checks_roles(
    world: Emulator, contact: str, type_id: str, trade: str | None, status: int
) -> None:
    body = {
        "contactId": contact,
        "ticketTypeId": type_id,
        "propertyId": "P-1",
        "title": "t",
        "tradeId": trade,
    }
    with community(world) as c:
        response = c.post("/tickets", json=body)
    assert response.status_code == status, response.text
    if status == 403:
        assert contact in response.json()["message"]


def test_create_ticket_validation(world: Emulator) -> None:
    with community(world) as c:
        response = c.post("/tickets", json={"contactId": "K-RENT1", "propertyId": "P-1"})
    assert response.status_code == 400
    assert {x["field"] for x in response.json()["details"]} == {"ticketTypeId", "title"}


def test_messages_attachments_and_status_update_last_portal_activity(
    world: Emulator, api: httpx.Client
) -> None:
    with community(world) as c:
        ticket = ok(
            c.post(
                "/tickets",
                json={
                    "contactId": "K-RENT1",
                    "ticketTypeId": "MA-RENT",
                    "propertyId": "P-1",
                    "title": "t",
                },
            ),
            201,
        )
        tid = ticket["id"]
        message = ok(
            c.post(f"/tickets/{tid}/messages", json={"contactId": "K-RENT1", "text": "Hallo"}), 201
        )
        assert (
            message["id"].startswith("C-")
            and message["authorType"] == "CONTACT"
            and message["authorContactId"] == "K-RENT1"
        )
        assert message["authorName"] == "K-RENT1"
        assert ok(api.get(f"/v2/tickets/{tid}"))["lastPortalActivity"]["kind"] == "MESSAGE"
        attachment = ok(
            c.post(
                f"/tickets/{tid}/attachments",
                data={"contactId": "K-RENT1"},
                files={"file": ("f.jpg", b"jpeg", "image/jpeg")},
            ),
            201,
        )
        assert (
            attachment["size"] == 4
            and attachment["contentType"] == "image/jpeg"
            and attachment["fileName"] == "f.jpg"
        )
        assert api.get(f"/v2/ticket-attachments/{attachment['id']}/content").content == b"jpeg"
        assert ok(api.get(f"/v2/tickets/{tid}"))["lastPortalActivity"]["kind"] == "ATTACHMENT"
        status = ok(
            c.put(f"/tickets/{tid}/status", json={"contactId": "K-RENT1", "status": "Erledigt"})
        )
        assert status["status"] == "Erledigt" and status["lastPortalActivity"]["kind"] == "STATUS"
        # someone who does not see the ticket may not act on it
        assert (
            c.post(
                f"/tickets/{tid}/messages", json={"contactId": "K-RENT2", "text": "x"}
            ).status_code
            == 403
        )
        assert (
            c.post(
                "/tickets/C-404/messages", json={"contactId": "K-RENT1", "text": "x"}
            ).status_code
            == 404
        )
        assert (
            c.post(
                f"/tickets/{tid}/messages", json={"contactId": "K-RENT1", "text": " "}
            ).status_code
            == 400
        )
    messages = ok(api.get("/v2/ticket-messages"))["list"]
    assert [m["source"] for m in messages] == ["PORTAL"]


def test_portal_ticket_type_and_relink(world: Emulator, api: httpx.Client) -> None:
    with community(world) as c:
        created = ok(
            c.put("/ticket-types/C-TT-1", json={"name": "Portal-Typ", "audiences": ["RENTER"]}), 201
        )
        assert (
            created["managedExternally"] is False
            and created["source"] == "PORTAL"
            and created["modifiedInPortal"] is False
        )
        edited = ok(c.put("/ticket-types/C-TT-1", json={"name": "Portal-Typ 2"}))
        assert edited["modifiedInPortal"] is False and edited["audiences"] == ["RENTER"]
        ticket = ok(
            c.post(
                "/tickets",
                json={
                    "contactId": "K-RENT1",
                    "ticketTypeId": "C-TT-1",
                    "propertyId": "P-1",
                    "title": "t",
                },
            ),
            201,
        )
        assert (
            c.put(
                f"/tickets/{ticket['id']}/ticket-type", json={"ticketTypeId": "MA-404"}
            ).status_code
            == 409
        )
        relinked = ok(
            c.put(f"/tickets/{ticket['id']}/ticket-type", json={"ticketTypeId": "MA-RENT"})
        )
        assert relinked["ticketTypeId"] == "MA-RENT"
        assert (
            c.put("/tickets/C-404/ticket-type", json={"ticketTypeId": "MA-RENT"}).status_code == 404
        )
        assert c.put("/ticket-types/C-TT-2", json={"audiences": ["NOBODY"]}).status_code == 400
    assert ok(api.get(f"/v2/tickets/{ticket['id']}"))["ticketTypeId"] == "MA-RENT"


def test_feed_tickets_reporter_and_property_wide_audiences(
    world: Emulator, api: httpx.Client
) -> None:
    api.put(
        "/v2/tickets/M-OWN",
        json={
            "ticketTypeId": "MA-RENT",
            "propertyId": "P-1",
            "title": "eigene",
            "reporterContactId": "K-RENT1",
        },
    ).raise_for_status()
    api.put(
        "/v2/tickets/M-FORMER",
        json={
            "ticketTypeId": "MA-RENT",
            "propertyId": "P-1",
            "title": "alt",
            "reporterContactId": "K-FORMER",
        },
    ).raise_for_status()
    wide = {"audiences": ["RENTER", "CARETAKER"], "propertyWide": True}
    api.put(
        "/v2/tickets/M-WIDE",
        json={
            "ticketTypeId": "MA-RENT",
            "propertyId": "P-1",
            "title": "Aufzug",
            "visibility": wide,
        },
    ).raise_for_status()
    api.put(
        "/v2/tickets/M-NARROW",
        json={
            "ticketTypeId": "MA-RENT",
            "propertyId": "P-1",
            "title": "x",
            "visibility": {"audiences": ["RENTER"], "propertyWide": False},
        },
    ).raise_for_status()
    api.put(
        "/v2/ticket-messages/N-1", json={"ticketId": "M-WIDE", "text": "Techniker kommt"}
    ).raise_for_status()
    assert feed_ids(world, "K-RENT1")["tickets"] == {"M-OWN", "M-WIDE"}
    assert feed_ids(world, "K-RENT2")["tickets"] == {"M-WIDE"}
    assert feed_ids(world, "K-CARE")["tickets"] == {"M-WIDE"}
    assert feed_ids(world, "K-OWNER")["tickets"] == set()  # owners not in the audiences
    assert feed_ids(world, "K-OTHER")["tickets"] == set()
    assert feed_ids(world, "K-FORMER")["tickets"] == {"M-FORMER"}  # own tickets only
    assert feed_ids(world, "K-FUTURE")["tickets"] == set()
    assert feed_ids(world, "K-LASTDAY")["tickets"] == {"M-WIDE"}  # endDate today still counts
    with community(world) as c:
        tickets = ok(c.get("/contacts/K-RENT2/feed"))["tickets"]
        assert c.get("/contacts/K-404/feed").status_code == 404
    assert [m["id"] for m in tickets[0]["messages"]] == ["N-1"]


def test_feed_posts_by_audience(world: Emulator, api: httpx.Client) -> None:
    api.put(
        "/v2/posts/H-1",
        json={"propertyId": "P-1", "title": "Wasser abgestellt", "audiences": ["RENTER"]},
    ).raise_for_status()
    api.put(
        "/v2/posts/H-2", json={"propertyId": "P-1", "title": "Versammlung", "audiences": ["OWNER"]}
    ).raise_for_status()
    assert feed_ids(world, "K-RENT1")["posts"] == {"H-1"}
    assert feed_ids(world, "K-OWNER")["posts"] == {"H-2"}
    assert feed_ids(world, "K-OTHER")["posts"] == set()
    assert feed_ids(world, "K-FORMER")["posts"] == set()
    assert feed_ids(world, "K-CARE")["posts"] == set()


def put_document(api: httpx.Client, rid: str, meta: str) -> None:
    response = api.put(
        f"/v2/documents/{rid}",
        files={
            "meta": (None, meta),
            "file": ("d.pdf", b"%PDF-1.4 " + rid.encode(), "application/pdf"),
        },
    )
    assert response.status_code == 201, response.text


def test_feed_documents_personal_unit_property(world: Emulator, api: httpx.Client) -> None:
    put_document(
        api,
        "D-PERSONAL",
        '{"title": "Mietvertrag", "contactIds": ["K-FORMER"], "propertyId": "P-1", "unitId": "E-1"}',
    )
    put_document(
        api, "D-UNIT", '{"title": "NK E-1", "propertyId": "P-1", "unitId": "E-1", "audiences": []}'
    )
    put_document(
        api,
        "D-PROP",
        '{"title": "Hausordnung", "propertyId": "P-1", "audiences": ["RENTER", "OWNER"]}',
    )
    put_document(
        api, "D-OWNERS", '{"title": "Wirtschaftsplan", "propertyId": "P-1", "audiences": ["OWNER"]}'
    )
    assert feed_ids(world, "K-FORMER")["documents"] == {"D-PERSONAL"}  # personal, although former
    assert feed_ids(world, "K-RENT1")["documents"] == {"D-UNIT", "D-PROP"}
    assert feed_ids(world, "K-OWNER")["documents"] == {"D-UNIT", "D-PROP", "D-OWNERS"}
    assert feed_ids(world, "K-RENT2")["documents"] == {"D-PROP"}
    assert feed_ids(world, "K-CARE")["documents"] == set()
    assert feed_ids(world, "K-OTHER")["documents"] == set()


def test_former_tenant_loses_property_wide_items_when_the_clock_moves(
    world: Emulator, api: httpx.Client
) -> None:
    api.put(
        "/v2/posts/H-1", json={"propertyId": "P-1", "title": "x", "audiences": ["RENTER"]}
    ).raise_for_status()
    assert feed_ids(world, "K-LASTDAY")["posts"] == {"H-1"}
    world.set_clock(f"{d(1)}T10:00:00.000Z")
    assert feed_ids(world, "K-LASTDAY")["posts"] == set()
    assert feed_ids(world, "K-FUTURE")["posts"] == set()
    world.set_clock(f"{d(30)}T10:00:00.000Z")
    assert feed_ids(world, "K-FUTURE")["posts"] == {"H-1"}


def test_document_download_is_recorded_and_checked(world: Emulator, api: httpx.Client) -> None:
    put_document(api, "D-UNIT", '{"title": "NK", "propertyId": "P-1", "unitId": "E-1"}')
    with community(world) as c:
        download = c.get("/contacts/K-RENT1/documents/D-UNIT/content")
        assert download.status_code == 200 and download.content == b"%PDF-1.4 D-UNIT"
        assert c.get("/contacts/K-RENT2/documents/D-UNIT/content").status_code == 403
        assert c.get("/contacts/K-RENT1/documents/D-404/content").status_code == 404
    downloads = ok(api.get("/v2/documents/D-UNIT"))["downloads"]
    assert [x["contactId"] for x in downloads] == ["K-RENT1"]


def test_outbox_invitations(world: Emulator, api: httpx.Client) -> None:
    invited = {m["contactId"] for m in world.outbox() if m["kind"] == "invitation"}
    # every contact with an e-mail and an open contract; not the former tenant, not the caretaker without contracts
    assert invited == {"K-RENT1", "K-RENT2", "K-OWNER", "K-OTHER", "K-FUTURE", "K-LASTDAY"}
    assert ok(api.get("/v2/contacts/K-RENT1"))["isInvited"] is True
    assert ok(api.get("/v2/contacts/K-FORMER"))["isInvited"] is False
    api.put(
        "/v2/contacts/K-RENT1",
        json={
            "lastName": "again",
            "email": "x@example.org",
            "contracts": [contract("RENTER", "P-1", "E-1")],
        },
    ).raise_for_status()
    api.put(
        "/v2/contacts/K-NOMAIL",
        json={"lastName": "x", "contracts": [contract("RENTER", "P-1", "E-1")]},
    ).raise_for_status()
    after = [m for m in world.outbox() if m["kind"] == "invitation"]
    assert len(after) == len(invited)  # invited once; no e-mail, no invitation
    message = next(m for m in after if m["contactId"] == "K-RENT1")
    assert message["to"] == "k-rent1@example.org"


def test_outbox_notifications_go_to_unregistered_contacts(
    world: Emulator, api: httpx.Client
) -> None:
    with community(world) as c:
        c.post("/contacts/K-RENT2/register").raise_for_status()
    api.put(
        "/v2/posts/H-1",
        json={
            "propertyId": "P-1",
            "title": "Wasser",
            "audiences": ["RENTER"],
            "notifyUnregisteredContacts": True,
        },
    ).raise_for_status()
    api.put(
        "/v2/posts/H-2", json={"propertyId": "P-1", "title": "Still", "audiences": ["RENTER"]}
    ).raise_for_status()
    wide = {"audiences": ["OWNER"], "propertyWide": True}
    api.put(
        "/v2/tickets/M-1",
        json={
            "ticketTypeId": "MA-RENT",
            "propertyId": "P-1",
            "title": "Dach",
            "visibility": wide,
            "notifyUnregisteredContacts": True,
        },
    ).raise_for_status()
    api.put(
        "/v2/ticket-messages/N-1", json={"ticketId": "M-1", "text": "Dachdecker kommt"}
    ).raise_for_status()
    notes = [m for m in world.outbox() if m["kind"] == "notification"]
    by_resource: dict[str, set[str]] = {}
    for note in notes:
        by_resource.setdefault(note["resource"], set()).add(note["contactId"])
    assert by_resource == {
        "posts/H-1": {"K-RENT1", "K-LASTDAY"},  # K-RENT2 is registered; former/future have no role
        "tickets/M-1": {"K-OWNER"},
        "ticket-messages/N-1": {"K-OWNER"},
    }
