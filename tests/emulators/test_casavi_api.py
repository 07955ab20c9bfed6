"""The casavi `/v2` API of the emulator against spec/casavi-api.md."""

from __future__ import annotations

import hashlib
import re

import httpx
import pytest

from tests.emulators.conftest import SMALL_LIMIT
from tests.fixtures.emulators import Emulator

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def put(api: httpx.Client, collection: str, rid: str, body: dict) -> httpx.Response:
    return api.put(f"/v2/{collection}/{rid}", json=body)


def ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def test_authenticate_returns_token_valid_for_about_a_month(casavi: Emulator) -> None:
    casavi.set_clock("2026-06-15T10:00:00.000Z")
    body = ok(httpx.post(f"{casavi.url}/v2/authenticate", json={"key": "demo", "secret": "demo"}))
    assert ISO_MS.match(body["expiresAt"])
    assert body["expiresAt"].startswith("2026-07-15")
    assert (
        httpx.get(f"{casavi.url}/v2/properties", headers={"token": body["token"]}).status_code
        == 200
    )


@pytest.mark.parametrize(
    "credentials", [{"key": "demo", "secret": "wrong"}, {"key": "x", "secret": "demo"}, {}]
)
def test_authenticate_rejects_wrong_credentials(casavi: Emulator, credentials: dict) -> None:
    response = httpx.post(f"{casavi.url}/v2/authenticate", json=credentials)
    assert response.status_code == 401
    assert response.json()["status"] == 401


def test_missing_invalid_and_expired_tokens_get_401(casavi: Emulator) -> None:
    assert httpx.get(f"{casavi.url}/v2/units").status_code == 401
    assert httpx.get(f"{casavi.url}/v2/units", headers={"token": "nonsense"}).status_code == 401
    token = casavi.token()
    # the token header, not Authorization
    assert (
        httpx.get(
            f"{casavi.url}/v2/units", headers={"Authorization": f"Bearer {token}"}
        ).status_code
        == 401
    )
    assert httpx.get(f"{casavi.url}/v2/units", headers={"token": token}).status_code == 200
    casavi.set_clock("2099-01-01T00:00:00.000Z")
    expired = httpx.get(f"{casavi.url}/v2/units", headers={"token": token})
    assert expired.status_code == 401
    assert set(expired.json()) == {"status", "message", "details"}
    assert token not in expired.text


def test_token_survives_a_restart_and_so_does_the_data(casavi: Emulator) -> None:
    token = casavi.token()
    headers = {"token": token}
    assert (
        httpx.put(
            f"{casavi.url}/v2/properties/P-1", json={"name": "Haus"}, headers=headers
        ).status_code
        == 201
    )
    casavi.stop()
    casavi.start()
    body = ok(httpx.get(f"{casavi.url}/v2/properties/P-1", headers=headers))
    assert body["name"] == "Haus"


def test_put_creates_then_replaces_with_read_only_fields(api: httpx.Client) -> None:
    created = ok(put(api, "properties", "P-1", {"name": "Haus A", "city": "Köln"}), 201)
    assert created["id"] == "P-1"
    assert created["managedExternally"] is True
    assert created["source"] == "ERP"
    assert created["street"] is None
    assert created["responsibilities"] == []
    assert ISO_MS.match(created["createdAt"]) and ISO_MS.match(created["modifiedAt"])
    replaced = ok(
        put(api, "properties", "P-1", {"name": "Haus B", "internalId": 999, "source": "X"})
    )
    assert replaced["name"] == "Haus B"
    assert replaced["city"] is None  # replace, not merge
    assert replaced["internalId"] == created["internalId"]  # read-only fields are ignored
    assert replaced["source"] == "ERP"
    assert replaced["createdAt"] == created["createdAt"]
    assert replaced["modifiedAt"] > created["modifiedAt"]
    assert ok(api.get("/v2/properties/P-1")) == replaced


def test_put_validation_names_the_fields(api: httpx.Client) -> None:
    response = put(api, "properties", "P-1", {"city": 5, "colour": "red"})
    assert response.status_code == 400
    fields = {d["field"] for d in response.json()["details"]}
    assert fields == {"name", "city", "colour"}
    contract = {"type": "TENANT", "propertyId": "P-1", "startDate": "01.01.2020"}
    response = put(api, "contacts", "K-1", {"lastName": "X", "contracts": [contract]})
    assert {d["field"] for d in response.json()["details"]} == {
        "contracts[0].type",
        "contracts[0].startDate",
    }
    response = put(api, "properties", "P-1", {"id": "P-2", "name": "x"})
    assert response.status_code == 400 and response.json()["details"][0]["field"] == "id"
    response = api.put(
        "/v2/properties/P-1", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400


def test_references_to_unknown_parents_are_409(api: httpx.Client) -> None:
    response = put(api, "units", "E-1", {"propertyId": "P-404", "number": "1"})
    assert response.status_code == 409
    assert response.json()["details"] == [
        {"field": "propertyId", "message": "properties P-404 does not exist"}
    ]
    ok(put(api, "properties", "P-1", {"name": "Haus"}), 201)
    ok(put(api, "units", "E-1", {"propertyId": "P-1", "number": "1"}), 201)
    ticket = {
        "ticketTypeId": "MA-9",
        "propertyId": "P-1",
        "unitId": "E-9",
        "title": "t",
        "tradeId": "G-9",
    }
    response = put(api, "tickets", "M-1", ticket)
    assert response.status_code == 409
    assert {d["field"] for d in response.json()["details"]} == {"ticketTypeId", "unitId", "tradeId"}
    assert (
        put(api, "ticket-messages", "N-1", {"ticketId": "M-404", "text": "hi"}).status_code == 409
    )
    contract = {"type": "RENTER", "propertyId": "P-1", "unitId": "E-404"}
    response = put(api, "contacts", "K-1", {"lastName": "X", "contracts": [contract]})
    assert (
        response.status_code == 409
        and response.json()["details"][0]["field"] == "contracts[0].unitId"
    )
    response = api.put(
        "/v2/documents/D-1",
        files={
            "meta": (None, '{"title": "x", "contactIds": ["K-404"]}'),
            "file": ("a.pdf", b"%PDF-1.4", "application/pdf"),
        },
    )
    assert response.status_code == 409
    assert api.get("/v2/documents/D-1").status_code == 404  # nothing stored


def test_delete_is_204_then_404_and_get_of_unknown_is_404(api: httpx.Client) -> None:
    ok(put(api, "trades", "G-1", {"name": "Sanitär", "audiences": ["RENTER"]}), 201)
    assert api.delete("/v2/trades/G-1").status_code == 204
    assert api.delete("/v2/trades/G-1").status_code == 404
    missing = api.get("/v2/trades/G-1")
    assert missing.status_code == 404 and missing.json()["status"] == 404
    assert api.get("/v2/nonsense").status_code == 404
    assert api.post("/v2/trades/G-1").status_code == 405
    recreated = ok(put(api, "trades", "G-1", {"name": "Sanitär"}), 201)
    assert recreated["name"] == "Sanitär"


def seed_units(api: httpx.Client, count: int) -> None:
    ok(put(api, "properties", "P-1", {"name": "Haus"}), 201)
    for i in range(count):
        ok(put(api, "units", f"E-{i}", {"propertyId": "P-1", "number": str(i)}), 201)


def read_all(api: httpx.Client, url: str) -> tuple[list[dict], list[str]]:
    items, urls = [], [url]
    while True:
        body = ok(api.get(url))
        items += body["list"]
        nxt = body["_links"].get("next")
        if nxt is None:
            return items, urls
        url = nxt["href"]
        urls.append(url)


def test_paging_follows_next_links_in_modified_order(api: httpx.Client) -> None:
    seed_units(api, 7)
    items, urls = read_all(api, "/v2/units?pageSize=3")
    assert [item["id"] for item in items] == [f"E-{i}" for i in range(7)]
    assert len(urls) == 3
    assert "page=2" in urls[1] and "pageSize=3" in urls[1] and "page=3" in urls[2]
    last = ok(api.get("/v2/units?pageSize=3&page=3"))
    assert [i["id"] for i in last["list"]] == ["E-6"] and "next" not in last["_links"]
    assert ok(api.get("/v2/units?page=4&pageSize=3"))["list"] == []
    exact = ok(api.get("/v2/units?pageSize=7"))
    assert len(exact["list"]) == 7 and exact["_links"] == {}
    default = ok(api.get("/v2/units"))
    assert len(default["list"]) == 7


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("pageSize=501", "pageSize"),
        ("pageSize=0", "pageSize"),
        ("page=0", "page"),
        ("page=x", "page"),
        ("modifiedAfter=yesterday", "modifiedAfter"),
        ("includeDeleted=maybe", "includeDeleted"),
    ],
)
def test_bad_list_parameters_are_400(api: httpx.Client, query: str, field: str) -> None:
    response = api.get(f"/v2/units?{query}")
    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == field


def test_page_size_500_is_allowed_and_default_is_100(api: httpx.Client) -> None:
    ok(put(api, "properties", "P-1", {"name": "Haus"}), 201)
    for i in range(120):
        put(api, "units", f"E-{i}", {"propertyId": "P-1"})
    assert len(ok(api.get("/v2/units"))["list"]) == 100
    assert len(ok(api.get("/v2/units?pageSize=500"))["list"]) == 120


def test_paging_while_items_are_modified(api: httpx.Client) -> None:
    """A modified item moves to the end (seen again); offset paging may skip one item then,
    which an incremental re-read with modifiedAfter picks up."""
    seed_units(api, 6)
    first = ok(api.get("/v2/units?pageSize=3"))
    seen = [i["id"] for i in first["list"]]
    high_water = first["list"][-1]["modifiedAt"]
    ok(put(api, "units", "E-1", {"propertyId": "P-1", "number": "1b"}))  # on the page already read
    rest, _ = read_all(api, first["_links"]["next"]["href"])
    seen += [i["id"] for i in rest]
    assert seen[-1] == "E-1"  # the modified item comes last, with its new content
    assert rest[-1]["number"] == "1b"
    skipped = {f"E-{i}" for i in range(6)} - set(seen)
    assert skipped <= {"E-3"}  # at most the item that slid across the page boundary
    again = ok(api.get("/v2/units", params={"modifiedAfter": high_water, "pageSize": 500}))["list"]
    assert {"E-3", "E-4", "E-5", "E-1"} <= {i["id"] for i in again}


def test_modified_after_and_tombstones(api: httpx.Client) -> None:
    seed_units(api, 3)
    everything = ok(api.get("/v2/units"))["list"]
    mark = everything[0]["modifiedAt"]
    after = ok(api.get("/v2/units", params={"modifiedAfter": mark}))["list"]
    assert [i["id"] for i in after] == ["E-1", "E-2"]  # strictly after
    assert api.delete("/v2/units/E-1").status_code == 204
    live = ok(api.get("/v2/units", params={"modifiedAfter": mark}))["list"]
    assert [i["id"] for i in live] == ["E-2"]
    with_deleted = ok(
        api.get("/v2/units", params={"modifiedAfter": mark, "includeDeleted": "true"})
    )["list"]
    tombstone = with_deleted[-1]
    assert set(tombstone) == {"id", "internalId", "deleted", "modifiedAt"}
    assert tombstone["id"] == "E-1" and tombstone["deleted"] is True
    assert tombstone["internalId"] == everything[1]["internalId"]
    assert tombstone["modifiedAt"] > everything[-1]["modifiedAt"]


def test_modified_at_is_strictly_increasing_and_orders_ties_by_internal_id(
    api: httpx.Client,
) -> None:
    seed_units(api, 20)
    items = ok(api.get("/v2/units"))["list"]
    keys = [(i["modifiedAt"], i["internalId"]) for i in items]
    assert keys == sorted(keys)
    assert len({i["modifiedAt"] for i in items}) == len(items)


def test_ticket_types_erp_put_resets_modified_in_portal(
    casavi: Emulator, api: httpx.Client
) -> None:
    body = {
        "name": "Defekt",
        "category": "Schaden",
        "description": None,
        "audiences": ["RENTER", "OWNER"],
    }
    created = ok(put(api, "ticket-types", "MA-1", body), 201)
    assert created["modifiedInPortal"] is False and created["managedExternally"] is True
    edited = ok(
        httpx.put(f"{casavi.url}/community/v1/ticket-types/MA-1", json={"name": "Defekt (Portal)"})
    )
    assert edited["modifiedInPortal"] is True and edited["name"] == "Defekt (Portal)"
    assert edited["audiences"] == ["RENTER", "OWNER"]
    again = ok(put(api, "ticket-types", "MA-1", body))
    assert again["modifiedInPortal"] is False and again["name"] == "Defekt"


def ticket_world(api: httpx.Client) -> None:
    ok(put(api, "properties", "P-1", {"name": "Haus"}), 201)
    ok(put(api, "ticket-types", "MA-1", {"name": "Defekt", "audiences": ["RENTER"]}), 201)
    ok(
        put(
            api, "tickets", "M-1", {"ticketTypeId": "MA-1", "propertyId": "P-1", "title": "Heizung"}
        ),
        201,
    )


def test_ticket_and_message_fields(api: httpx.Client) -> None:
    ticket_world(api)
    ticket = ok(api.get("/v2/tickets/M-1"))
    assert ticket["visibility"] == {"audiences": [], "propertyWide": False}
    assert ticket["lastPortalActivity"] is None and ticket["notifyUnregisteredContacts"] is False
    message = ok(
        put(
            api,
            "ticket-messages",
            "N-1",
            {"ticketId": "M-1", "text": "Wir kommen", "authorName": "HV"},
        ),
        201,
    )
    assert message["authorType"] == "EMPLOYEE" and message["authorContactId"] is None


def test_multipart_attachment_stores_size_and_sha256(api: httpx.Client) -> None:
    ticket_world(api)
    content = b"\x89PNG fake image"
    files = {
        "meta": (
            None,
            '{"ticketId": "M-1", "fileName": "foto.png", "contentType": "image/png"}',
            "application/json",
        ),
        "file": ("foto.png", content, "image/png"),
    }
    body = ok(api.put("/v2/ticket-attachments/MM-1", files=files), 201)
    assert body["size"] == len(content)
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert body["authorType"] == "EMPLOYEE"
    download = api.get("/v2/ticket-attachments/MM-1/content")
    assert download.status_code == 200 and download.content == content
    assert download.headers["content-type"] == "image/png"
    assert api.get("/v2/ticket-attachments/MM-404/content").status_code == 404
    replaced = ok(
        api.put(
            "/v2/ticket-attachments/MM-1",
            files={**files, "file": ("foto.png", b"new", "image/png")},
        )
    )
    assert replaced["size"] == 3
    assert api.get("/v2/ticket-attachments/MM-1/content").content == b"new"


def test_multipart_document_needs_meta_and_file(api: httpx.Client) -> None:
    ok(put(api, "properties", "P-1", {"name": "Haus"}), 201)
    no_file = api.put("/v2/documents/D-1", files={"meta": (None, '{"title": "x"}')})
    assert no_file.status_code == 400 and no_file.json()["details"][0]["field"] == "file"
    no_meta = api.put("/v2/documents/D-1", files={"file": ("a.pdf", b"%PDF", "application/pdf")})
    assert no_meta.status_code == 400 and no_meta.json()["details"][0]["field"] == "meta"
    json_body = api.put("/v2/documents/D-1", json={"title": "x"})
    assert json_body.status_code == 400
    meta = '{"title": "NK 2025", "type": "NK", "documentDate": "2026-03-01", "propertyId": "P-1", "audiences": ["RENTER"]}'
    body = ok(
        api.put(
            "/v2/documents/D-1",
            files={"meta": (None, meta), "file": ("nk.pdf", b"%PDF-1.4 x", "application/pdf")},
        ),
        201,
    )
    assert (
        body["contentType"] == "application/pdf" and body["downloads"] == [] and body["size"] == 10
    )
    assert api.get("/v2/documents/D-1/content").content == b"%PDF-1.4 x"


def test_files_over_the_limit_are_413(api: httpx.Client) -> None:
    ticket_world(api)
    meta = (None, '{"ticketId": "M-1", "fileName": "big.bin"}')
    just_over = api.put(
        "/v2/ticket-attachments/MM-1",
        files={"meta": meta, "file": ("big.bin", b"x" * (SMALL_LIMIT + 1))},
    )
    assert just_over.status_code == 413 and just_over.json()["status"] == 413
    far_over = api.put(
        "/v2/ticket-attachments/MM-1",
        files={"meta": meta, "file": ("big.bin", b"x" * (SMALL_LIMIT + 200_000))},
    )
    assert far_over.status_code == 413
    at_limit = api.put(
        "/v2/ticket-attachments/MM-1", files={"meta": meta, "file": ("ok.bin", b"x" * SMALL_LIMIT)}
    )
    assert at_limit.status_code == 201
