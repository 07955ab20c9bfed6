"""The DocuWare emulator against spec/docuware-api.md."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from PIL import Image

from emulators.docuware.pdf import text_pdf, to_pdf
from emulators.docuware.store import (
    ARCHIVE_ID,
    BASKET_ID,
    SEARCH_DIALOG_ID,
    NewDocument,
    seed_documents,
)
from tests.fixtures.emulators import Emulator

QUERY = f"/FileCabinets/{ARCHIVE_ID}/Query/DialogExpression"
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def dwdate(value: datetime) -> str:
    return f"/Date({ms(value)})/"


def add(
    emulator: Emulator,
    fields: dict,
    content: bytes = b"text",
    name: str = "a.txt",
    kind: str = "text/plain",
) -> dict:
    response = httpx.post(
        f"{emulator.base}/emulator/documents",
        files={"fields": (None, json.dumps(fields)), "file": (name, content, kind)},
    )
    assert response.status_code == 201, response.text
    return response.json()


def field(document: dict, name: str) -> dict:
    return next(f for f in document["Fields"] if f["FieldName"] == name)


def assert_valid_pdf(data: bytes) -> None:
    """Header, trailer and a cross-reference table whose offsets point at the objects."""
    assert data.startswith(b"%PDF-1.")
    assert data.rstrip().endswith(b"%%EOF")
    if b"/Type /XRef" in data or b"/Type/XRef" in data:
        return  # a cross-reference stream (Pillow may write those); header/trailer suffice
    start = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    assert data[start : start + 4] == b"xref"
    lines = data[start:].split(b"\n")
    count = int(lines[1].split()[1])
    for number, line in enumerate(lines[2 : 2 + count]):
        offset, _, flag = line.split()[:3]
        if flag == b"n":
            assert data[int(offset) :].startswith(b"%d 0 obj" % number)


def test_oauth_flow_and_bearer(docuware: Emulator) -> None:
    with httpx.Client(headers={"Accept": "application/json"}) as client:
        info = client.get(f"{docuware.url}/Home/IdentityServiceInfo").json()
        config = client.get(f"{info['IdentityServiceUrl']}/.well-known/openid-configuration").json()
        form = {
            "grant_type": "password",
            "username": "demo",
            "password": "demo",
            "client_id": "docuware.platform.net.client",
            "scope": "docuware.platform",
        }
        token = client.post(config["token_endpoint"], data=form).json()
        assert token["token_type"] == "Bearer" and token["expires_in"] > 0
        cabinets = client.get(
            f"{docuware.url}/FileCabinets",
            headers={"Authorization": f"Bearer {token['access_token']}"},
        )
        assert cabinets.status_code == 200
    requests = docuware.requests()
    assert requests["POST /DocuWare/Identity/connect/token"] == 1
    assert requests["GET /DocuWare/Platform/FileCabinets"] == 1


def test_wrong_credentials_and_grant(docuware: Emulator) -> None:
    token_url = f"{docuware.base}/DocuWare/Identity/connect/token"
    wrong = httpx.post(
        token_url, data={"grant_type": "password", "username": "demo", "password": "nope"}
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_grant"
    assert "nope" not in wrong.text
    grant = httpx.post(token_url, data={"grant_type": "client_credentials"})
    assert grant.status_code == 400


def test_missing_invalid_expired_token_is_401(docuware: Emulator) -> None:
    missing = httpx.get(f"{docuware.url}/FileCabinets")
    assert missing.status_code == 401
    body = missing.json()
    assert set(body) == {"Message", "Status", "StatusCode", "Uri", "Method"}
    assert (
        body["StatusCode"] == 401
        and body["Method"] == "GET"
        and body["Uri"].endswith("/DocuWare/Platform/FileCabinets")
    )
    assert (
        httpx.get(
            f"{docuware.url}/FileCabinets", headers={"Authorization": "Bearer junk"}
        ).status_code
        == 401
    )
    token = docuware.bearer()
    auth = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{docuware.url}/FileCabinets", headers=auth).status_code == 200
    docuware.set_clock((datetime.now(UTC) + timedelta(hours=2)).isoformat())
    assert httpx.get(f"{docuware.url}/FileCabinets", headers=auth).status_code == 401


def test_cabinets_and_dialogs(dw: httpx.Client) -> None:
    cabinets = dw.get("/FileCabinets").json()["FileCabinet"]
    archive = next(c for c in cabinets if c["Name"] == "Archiv")
    assert archive == {"Id": ARCHIVE_ID, "Name": "Archiv", "IsBasket": False}
    assert any(c["IsBasket"] for c in cabinets)
    dialogs = dw.get(f"/FileCabinets/{ARCHIVE_ID}/Dialogs", params={"dialogType": "Search"}).json()[
        "Dialog"
    ]
    assert [(d["Id"], d["Type"], d["IsDefault"]) for d in dialogs] == [
        (SEARCH_DIALOG_ID, "Search", True)
    ]
    assert (
        dw.get(f"/FileCabinets/{BASKET_ID}/Dialogs", params={"dialogType": "Search"}).json()[
            "Dialog"
        ]
        == []
    )
    assert dw.get("/FileCabinets/nope/Dialogs").status_code == 404
    assert dw.get(f"/FileCabinets/{ARCHIVE_ID}").json()["Name"] == "Archiv"


def test_document_json_fields_and_types(docuware: Emulator, dw: httpx.Client) -> None:
    fields = {
        "DWDOCID": 42,
        "DWSTOREDATETIME": dwdate(T0),
        "EMPFAENGERID": "4711",
        "EMPFAENGERTYP": "P",
        "DOKUMENTTYP": "Mietvertrag",
        "DOKUMENTDATUM": "2026-02-27",
        "OBJEKTNR": "1001",
    }
    add(docuware, fields, name="vertrag.txt")
    doc = dw.get(f"/FileCabinets/{ARCHIVE_ID}/Documents/42").json()
    assert (
        doc["Id"] == 42
        and doc["FileCabinetId"] == ARCHIVE_ID
        and doc["ContentType"] == "text/plain"
    )
    assert doc["FileSize"] == 4 and doc["CreatedAt"] == dwdate(T0)
    assert field(doc, "DWDOCID") == {
        "FieldName": "DWDOCID",
        "ItemElementName": "Int",
        "Item": 42,
        "IsNull": False,
        "SystemField": True,
    }
    assert field(doc, "DWSTOREDATETIME")["ItemElementName"] == "DateTime"
    assert field(doc, "DOKUMENTDATUM") == {
        "FieldName": "DOKUMENTDATUM",
        "ItemElementName": "Date",
        "Item": f"/Date({ms(datetime(2026, 2, 27, tzinfo=UTC))})/",
        "IsNull": False,
        "SystemField": False,
    }
    assert field(doc, "DOKUMENTNAME") == {
        "FieldName": "DOKUMENTNAME",
        "ItemElementName": "String",
        "Item": None,
        "IsNull": True,
        "SystemField": False,
    }
    assert doc["Title"] is None
    assert doc["Sections"] == [
        {
            "Id": "42-1",
            "OriginalFileName": "vertrag.txt",
            "ContentType": "text/plain",
            "FileSize": 4,
        }
    ]
    missing = dw.get(f"/FileCabinets/{ARCHIVE_ID}/Documents/43")
    assert missing.status_code == 404 and missing.json()["StatusCode"] == 404
    assert dw.get(f"/FileCabinets/{ARCHIVE_ID}/Documents/abc").status_code == 404


def query(dw: httpx.Client, body: dict, start: int = 0, count: int = 500) -> dict:
    response = dw.post(
        QUERY, params={"dialogId": SEARCH_DIALOG_ID, "start": start, "count": count}, json=body
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_dialog_expression_range_sort_and_next_links(docuware: Emulator, dw: httpx.Client) -> None:
    for i in range(1, 8):
        stamp = T0 + timedelta(hours=i)
        add(
            docuware,
            {
                "DWDOCID": 100 - i,
                "DWSTOREDATETIME": dwdate(stamp),
                "DWMODDATETIME": dwdate(stamp),
                "DOKUMENTTYP": "NK",
            },
        )
    body = {
        "Condition": [
            {
                "DBName": "DWMODDATETIME",
                "Value": [dwdate(T0 + timedelta(hours=2)), dwdate(T0 + timedelta(hours=6))],
            }
        ],
        "Operation": "And",
        "SortOrder": [{"Field": "DWMODDATETIME", "Direction": "Asc"}],
    }
    first = query(dw, body, count=2)
    assert [d["Id"] for d in first["Items"]] == [98, 97]
    assert first["Count"] == {"Value": 5, "HasMore": True}
    ids, page = [d["Id"] for d in first["Items"]], first
    while page["Links"]:
        (link,) = [x for x in page["Links"] if x["rel"] == "next"]
        response = dw.post(link["href"], json=body)
        assert response.status_code == 200
        page = response.json()
        ids += [d["Id"] for d in page["Items"]]
    assert ids == [98, 97, 96, 95, 94]  # both ends inclusive
    assert page["Count"]["HasMore"] is False
    open_end = {
        "Condition": [{"DBName": "DWMODDATETIME", "Value": [dwdate(T0 + timedelta(hours=6)), None]}]
    }
    assert [d["Id"] for d in query(dw, open_end)["Items"]] == [93, 94]  # default order: DWDOCID
    desc = {**body, "SortOrder": [{"Field": "DWMODDATETIME", "Direction": "Desc"}]}
    assert [d["Id"] for d in query(dw, desc)["Items"]] == [94, 95, 96, 97, 98]


def test_dialog_expression_string_conditions(docuware: Emulator, dw: httpx.Client) -> None:
    add(
        docuware,
        {
            "DWDOCID": 1,
            "EMPFAENGERTYP": "P",
            "DOKUMENTTYP": "Nebenkostenabrechnung",
            "OBJEKTNR": "1001",
        },
    )
    add(
        docuware,
        {
            "DWDOCID": 2,
            "EMPFAENGERTYP": "Partner",
            "DOKUMENTTYP": "Mietvertrag",
            "OBJEKTNR": "1002",
        },
    )
    add(docuware, {"DWDOCID": 3, "EMPFAENGERTYP": "Objekt", "DOKUMENTTYP": "Hausordnung"})

    def ids(conditions: list, operation: str = "And") -> list[int]:
        return [
            d["Id"] for d in query(dw, {"Condition": conditions, "Operation": operation})["Items"]
        ]

    assert ids([{"DBName": "EMPFAENGERTYP", "Value": ["p"]}]) == [1]  # case-insensitive
    assert ids([{"DBName": "DOKUMENTTYP", "Value": ["Neben*"]}]) == [1]
    assert ids([{"DBName": "EMPFAENGERTYP", "Value": ["P", "Objekt"]}]) == [1, 3]
    assert ids([{"DBName": "OBJEKTNR", "Value": ["EMPTY()"]}]) == [3]
    assert ids(
        [
            {"DBName": "OBJEKTNR", "Value": ["1001"]},
            {"DBName": "EMPFAENGERTYP", "Value": ["Objekt"]},
        ],
        "Or",
    ) == [1, 3]
    assert ids([{"DBName": "DWDOCID", "Value": [2, 3]}]) == [2, 3]
    assert ids([]) == [1, 2, 3]


@pytest.mark.parametrize(
    ("params", "body", "status"),
    [
        ({"dialogId": SEARCH_DIALOG_ID}, {"Condition": [{"DBName": "NOPE", "Value": ["x"]}]}, 400),
        (
            {"dialogId": SEARCH_DIALOG_ID},
            {"Condition": [{"DBName": "DWMODDATETIME", "Value": ["gestern", None]}]},
            400,
        ),
        ({"dialogId": SEARCH_DIALOG_ID}, {"SortOrder": [{"Field": "NOPE"}]}, 400),
        ({"dialogId": SEARCH_DIALOG_ID, "start": "x"}, {}, 400),
        ({"dialogId": "other"}, {}, 404),
    ],
)
def test_dialog_expression_errors(dw: httpx.Client, params: dict, body: dict, status: int) -> None:
    response = dw.post(QUERY, params=params, json=body)
    assert response.status_code == status
    assert response.json()["StatusCode"] == status


def png_bytes(kind: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, format=kind)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "kind", "content"),
    [
        ("scan.png", "image/png", png_bytes("PNG")),
        ("foto.jpg", "image/jpeg", png_bytes("JPEG")),
        (
            "brief.txt",
            "text/plain; charset=utf-8",
            "Sehr geehrte Frau Müller,\n(Abrechnung) 2025\\".encode(),
        ),
    ],
)
def test_file_download_converts_to_pdf(
    docuware: Emulator, dw: httpx.Client, name: str, kind: str, content: bytes
) -> None:
    add(docuware, {"DWDOCID": 7}, content=content, name=name, kind=kind)
    response = dw.get(
        f"/FileCabinets/{ARCHIVE_ID}/Documents/7/FileDownload",
        params={"targetFileType": "PDF", "keepAnnotations": "true"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert_valid_pdf(response.content)
    original = dw.get(
        f"/FileCabinets/{ARCHIVE_ID}/Documents/7/FileDownload", params={"targetFileType": "Auto"}
    )
    assert original.content == content


def test_text_pdf_contains_the_text_escaped() -> None:
    data = to_pdf("Müller (1)\\x".encode(), "text/plain", "a.txt")
    assert_valid_pdf(data)
    assert b"(M\xfcller \\(1\\)\\\\x) Tj" in data
    many = text_pdf([f"line {i}" for i in range(150)])
    assert_valid_pdf(many)
    assert b"/Count 3" in many


def test_pdf_passes_through_and_unknown_types_get_a_placeholder(
    docuware: Emulator, dw: httpx.Client
) -> None:
    pdf = text_pdf(["original"])
    add(docuware, {"DWDOCID": 1}, content=pdf, name="x.pdf", kind="application/pdf")
    add(
        docuware,
        {"DWDOCID": 2},
        content=b"PK\x03\x04",
        name="x.docx",
        kind="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    assert (
        dw.get(
            f"/FileCabinets/{ARCHIVE_ID}/Documents/1/FileDownload", params={"targetFileType": "PDF"}
        ).content
        == pdf
    )
    placeholder = dw.get(
        f"/FileCabinets/{ARCHIVE_ID}/Documents/2/FileDownload", params={"targetFileType": "PDF"}
    ).content
    assert_valid_pdf(placeholder)
    assert b"x.docx" in placeholder


def test_emulator_documents_validation_replace_delete_and_413(
    docuware: Emulator, dw: httpx.Client
) -> None:
    base = f"{docuware.base}/emulator/documents"
    assert httpx.post(base, files={"fields": (None, "{}")}).status_code == 400
    assert httpx.post(base, files={"fields": (None, "[1]"), "file": ("a", b"x")}).status_code == 400
    assert (
        httpx.post(
            base, files={"fields": (None, '{"DWDOCID": "x"}'), "file": ("a", b"x")}
        ).status_code
        == 400
    )
    too_big = httpx.post(
        base, files={"fields": (None, "{}"), "file": ("a", b"x" * (64 * 1024 + 1))}
    )
    assert too_big.status_code == 413 and too_big.json()["StatusCode"] == 413
    first = add(
        docuware, {"DWDOCID": 5, "DWSTOREDATETIME": dwdate(T0), "DWMODDATETIME": dwdate(T0)}
    )
    second = add(docuware, {"DWDOCID": 5, "DOKUMENTNAME": "Neu"})  # a modification
    assert second["CreatedAt"] == first["CreatedAt"]
    assert second["LastModified"] > first["LastModified"] and second["Title"] == "Neu"
    auto = add(docuware, {"EMPFAENGERTYP": "P"})
    assert auto["Id"] == 6
    assert httpx.delete(f"{base}/5").status_code == 204
    assert httpx.delete(f"{base}/5").status_code == 404
    assert dw.get(f"/FileCabinets/{ARCHIVE_ID}/Documents/5").status_code == 404


def test_reset_clears_documents_and_tokens(docuware: Emulator) -> None:
    add(docuware, {"DWDOCID": 1})
    token = docuware.bearer()
    docuware.reset()
    assert (
        httpx.get(
            f"{docuware.url}/FileCabinets", headers={"Authorization": f"Bearer {token}"}
        ).status_code
        == 401
    )
    with docuware.client() as dw:
        assert query(dw, {})["Count"]["Value"] == 0


def test_seed_documents_streams_and_the_state_is_served(tmp_path: Path, start_docuware) -> None:  # type: ignore[no-untyped-def]
    state = tmp_path / "seeded.sqlite"
    produced = []

    def documents():  # type: ignore[no-untyped-def]
        for i in range(1, 1201):
            produced.append(i)
            yield NewDocument(
                fields={
                    "DWDOCID": i,
                    "DWSTOREDATETIME": datetime(2026, 1, 1, 8) + timedelta(minutes=i),
                    "DWMODDATETIME": datetime(2026, 1, 1, 8) + timedelta(minutes=i),
                    "EMPFAENGERID": str(i % 7),
                    "EMPFAENGERTYP": "P",
                    "DOKUMENTNAME": None,
                    "DOKUMENTDATUM": date(2025, 12, 31),
                    "VERTRAGSNR": 17,
                },
                file_name=f"d{i}.txt",
                content_type="text/plain",
                content=b"doc %d" % i,
            )

    assert seed_documents(state, documents()) == 1200
    assert len(produced) == 1200
    emulator = start_docuware(state)
    with emulator.client() as dw:
        page = query(dw, {"Condition": [{"DBName": "EMPFAENGERID", "Value": ["3"]}]}, count=50)
        assert page["Count"]["Value"] == len([i for i in range(1, 1201) if i % 7 == 3])
        doc = dw.get(f"/FileCabinets/{ARCHIVE_ID}/Documents/10").json()
        assert field(doc, "DWSTOREDATETIME")["Item"] == dwdate(
            datetime(2026, 1, 1, 8, 10, tzinfo=UTC)
        )
        assert field(doc, "VERTRAGSNR")["Item"] == "17"
        assert (
            dw.get(
                f"/FileCabinets/{ARCHIVE_ID}/Documents/10/FileDownload",
                params={"targetFileType": "Auto"},
            ).content
            == b"doc 10"
        )
    emulator.stop()
    emulator.start()  # the state survives a restart
    with emulator.client() as dw:
        assert query(dw, {}, count=1)["Count"]["Value"] == 1200


def test_seed_documents_rejects_bad_values(tmp_path: Path) -> None:
    bad = NewDocument({"DWDOCID": 1, "DWSTOREDATETIME": "not a date"}, "a", "text/plain", b"")
    with pytest.raises(ValueError, match="DWSTOREDATETIME: not a date"):
        seed_documents(tmp_path / "x.sqlite", [bad])
    with pytest.raises(ValueError, match="DWSTOREDATETIME is missing"):
        seed_documents(tmp_path / "y.sqlite", [NewDocument({"DWDOCID": 1}, "a", "text/plain", b"")])
