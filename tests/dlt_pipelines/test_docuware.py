"""DocuWare metadata → raw_docuware, against the real DocuWare emulator."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from dlt_pipelines.run import ingest_unlocked
from portal_sync.errors import UserError
from tests.dlt_pipelines.conftest import IxhausDb, columns, query, settings_for
from tests.fixtures.world import DemoWorld

DOCUWARE = ("docuware",)
TOKEN = "POST /DocuWare/Identity/connect/token"
PAGE = 25


def _settings(world: DemoWorld, emulator: Any, folder: Path) -> Any:
    return settings_for(
        folder, ixhaus_url=world.ixhaus_url, docuware_url=emulator.url, extra=f"page_size = {PAGE}"
    )


def _count(requests: dict[str, int], prefix: str) -> int:
    return sum(n for key, n in requests.items() if key.startswith(prefix))


def _add_document(emulator: Any, fields: dict[str, Any]) -> None:
    response = httpx.post(
        f"{emulator.base}/emulator/documents",
        data={"fields": json.dumps(fields)},
        files={"file": ("neu.txt", b"Hallo", "text/plain")},
        timeout=10,
    )
    response.raise_for_status()


def test_documents_are_paged_with_one_token_typed_and_catalogued(
    world_copy: DemoWorld, start_docuware: Any, tmp_path: Path, no_secrets: None
) -> None:
    emulator = start_docuware(world_copy.docuware_state)
    settings = _settings(world_copy, emulator, tmp_path)
    with emulator.client() as client:
        total = client.post(
            "/FileCabinets/" + client.get("/FileCabinets").json()["FileCabinet"][0]["Id"]
            + "/Query/DialogExpression", params={"count": 1}, json={"Condition": []},
        ).json()["Count"]["Value"]  # fmt: skip
    assert total > 2 * PAGE  # the demo world needs more than two pages
    before = emulator.requests()

    report = ingest_unlocked(settings, sources=DOCUWARE)

    after = emulator.requests()
    assert _count(after, TOKEN) - _count(before, TOKEN) == 1  # one token for the whole run
    queries = _count(after, "POST /DocuWare/Platform/FileCabinets/{fc}/Query") - _count(
        before, "POST /DocuWare/Platform/FileCabinets/{fc}/Query"
    )
    assert queries == math.ceil(total / PAGE)
    assert report.results[0].rows["documents"] == total
    assert query(settings, "select count(*) from raw_docuware.documents") == [(total,)]
    types = columns(settings, "raw_docuware", "documents")
    expected = {
        "dwdocid": "BIGINT", "dwstoredatetime": "TIMESTAMP", "dwmoddatetime": "TIMESTAMP",
        "empfaengerid": "VARCHAR", "empfaengertyp": "VARCHAR", "dokumenttyp": "VARCHAR",
        "dokumentname": "VARCHAR", "dokumentdatum": "DATE", "objektnr": "VARCHAR", "status": "VARCHAR",
        "title": "VARCHAR", "content_type": "VARCHAR", "file_size": "BIGINT",
        "original_file_name": "VARCHAR", "file_cabinet_id": "VARCHAR",
    }  # fmt: skip
    assert {name: types[name] for name in expected} == expected
    seen = query(
        settings,
        "select distinct dokumenttyp from raw_docuware.documents where dokumenttyp is not null order by 1",
    )
    assert (
        query(settings, "select document_type from raw_docuware.document_types order by 1") == seen
    )
    assert query(
        settings,
        "select count(*) from raw_docuware.documents where dokumentdatum is null and dokumenttyp is not null",
    ) != [(total,)]


def test_a_new_document_arrives_incrementally_and_its_type_joins_the_catalogue(
    world_copy: DemoWorld, start_docuware: Any, tmp_path: Path, no_secrets: None
) -> None:
    emulator = start_docuware(world_copy.docuware_state)
    settings = _settings(world_copy, emulator, tmp_path)
    ingest_unlocked(settings, sources=DOCUWARE)
    first_seen = dict(
        query(settings, "select document_type, first_seen_at from raw_docuware.document_types")
    )
    _add_document(
        emulator,
        {"EMPFAENGERID": "4711", "EMPFAENGERTYP": "P", "DOKUMENTTYP": "Wartungsvertrag",
         "DOKUMENTNAME": "Wartung Aufzug", "DOKUMENTDATUM": "2026-05-04", "OBJEKTNR": "1001"},
    )  # fmt: skip
    before = emulator.requests()

    report = ingest_unlocked(settings, sources=DOCUWARE)

    assert _count(emulator.requests(), TOKEN) - _count(before, TOKEN) == 1
    assert report.results[0].rows["documents"] == 1
    row = query(
        settings,
        "select dokumentname, dokumentdatum::text, empfaengertyp from raw_docuware.documents where dokumenttyp = 'Wartungsvertrag'",
    )
    assert row == [("Wartung Aufzug", "2026-05-04", "P")]
    catalogue = dict(
        query(settings, "select document_type, first_seen_at from raw_docuware.document_types")
    )
    assert set(catalogue) == set(first_seen) | {"Wartungsvertrag"}
    assert all(
        catalogue[name] == first for name, first in first_seen.items()
    )  # first_seen_at is kept
    assert catalogue["Wartungsvertrag"] > max(first_seen.values())

    released = "Wartungsvertrag"
    config = tmp_path / "portal-sync.toml"
    text = config.read_text().replace(
        f"page_size = {PAGE}", f'page_size = {PAGE}\ndocument_types = ["{released}"]'
    )
    config.write_text(text)
    shown = subprocess.run(
        [str(Path(sys.executable).with_name("portal-sync")), "catalog", "-c", str(config)],
        capture_output=True, text=True, check=True, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    lines = {
        line.split("│")[1].strip(): line
        for line in shown.stdout.splitlines()
        if line.count("│") >= 4
    }
    assert set(lines) - {"document type"} == set(catalogue)
    assert "yes" in lines[released]
    assert all(
        "no" in line for name, line in lines.items() if name not in {released, "document type"}
    )


def test_the_technical_users_docuware_login_wins_over_the_secrets(
    world_copy: DemoWorld,
    start_docuware: Any,
    tmp_path: Path,
    no_secrets: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emulator = start_docuware(world_copy.docuware_state, credentials=("dw-user", "dw-pass"))
    settings = _settings(world_copy, emulator, tmp_path)
    monkeypatch.setenv("DOCUWARE_USERNAME", "dw-user")
    monkeypatch.setenv("DOCUWARE_PASSWORD", "dw-pass")
    ixhaus = IxhausDb("sqlite", world_copy.ixhaus_url)
    ixhaus.execute(
        "update users set docuware_username = 'own-login-x', docuware_password = 'wrong-secret' where user_id = 'PORTAL'"
    )

    with pytest.raises(UserError, match="login refused") as failure:
        ingest_unlocked(settings, sources=DOCUWARE)
    assert "wrong-secret" not in str(failure.value) and "own-login-x" not in str(failure.value)

    ixhaus.execute(
        "update users set docuware_username = null, docuware_password = null where user_id = 'PORTAL'"
    )
    report = ingest_unlocked(settings, sources=DOCUWARE)  # now the default credentials
    assert report.results[0].rows["documents"] > 0


def test_docuware_is_skipped_when_disabled_or_with_no_docuware(
    world_copy: DemoWorld, tmp_path: Path
) -> None:
    disabled = settings_for(tmp_path, ixhaus_url=world_copy.ixhaus_url, docuware_enabled=False)
    report = ingest_unlocked(disabled, docuware_only=True)
    assert report.results == [] and "docuware.enabled = false" in report.skipped[0]
    enabled = settings_for(tmp_path, ixhaus_url=world_copy.ixhaus_url)
    report = ingest_unlocked(enabled, no_docuware=True, sources=DOCUWARE)
    assert report.results == [] and "--no-docuware" in report.skipped[0]


def test_without_any_docuware_credentials_the_run_names_what_is_missing(
    world_copy: DemoWorld, tmp_path: Path, no_secrets: None
) -> None:
    IxhausDb("sqlite", world_copy.ixhaus_url).execute(
        "update users set docuware_username = null, docuware_password = null"
    )
    settings = settings_for(
        tmp_path,
        ixhaus_url=world_copy.ixhaus_url,
        docuware_url="https://dms.example.invalid/DocuWare/Platform",
    )

    with pytest.raises(
        UserError, match="no credentials: the technical user PORTAL has no DocuWare login"
    ):
        ingest_unlocked(settings, sources=DOCUWARE)


def test_a_page_becomes_one_typed_arrow_table_with_extra_index_fields() -> None:
    from datetime import date, datetime

    from dlt_pipelines.docuware import documents_table

    def field(name: str, kind: str, item: Any) -> dict[str, Any]:
        return {"FieldName": name, "ItemElementName": kind, "Item": item, "IsNull": item is None}

    docs = [
        {"Id": 7, "Title": "A", "FileSize": 12, "CreatedAt": "/Date(86400000)/",
         "LastModified": "/Date(172800000)/", "Sections": [{"OriginalFileName": "a.pdf"}],
         "Fields": [field("DOKUMENTTYP", "String", "Mahnung"), field("BETRAG", "Decimal", "12.5"),
                    field("SEITEN", "Int", 3), field("FRIST", "Date", "/Date(1781481600000)/")]},
        {"Id": 8, "Fields": [field("DOKUMENTTYP", "String", None), field("NOTIZ", "Keywords", ["x", "y"])]},
    ]  # fmt: skip

    table = documents_table(docs)

    assert str(table.schema.field("dwdocid").type) == "int64"
    assert str(table.schema.field("dwmoddatetime").type) == "timestamp[us]"
    assert str(table.schema.field("dokumentdatum").type) == "date32[day]"
    assert {name: str(table.schema.field(name).type) for name in ("betrag", "seiten", "frist", "notiz")} == {
        "betrag": "double", "seiten": "int64", "frist": "date32[day]", "notiz": "string"
    }  # fmt: skip
    rows = table.to_pylist()
    assert [row["dwdocid"] for row in rows] == [7, 8]
    assert rows[0]["dwmoddatetime"] == datetime(1970, 1, 3)
    assert rows[0]["frist"] == date(2026, 6, 15) and rows[0]["betrag"] == 12.5
    assert (
        rows[1]["notiz"] == "x, y" and rows[1]["dokumenttyp"] is None and rows[1]["seiten"] is None
    )
