"""The casavi state → raw_casavi and the snapshot bookkeeping (F1), against the real emulator."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from dlt_pipelines import casavi
from dlt_pipelines.http import Http
from dlt_pipelines.run import ingest_unlocked
from portal_sync.errors import UserError
from tests.dlt_pipelines.conftest import columns, query, settings_for

CASAVI = ("casavi",)


def _put(client: Any, collection: str, resource_id: str, body: dict[str, Any]) -> None:
    response = client.put(f"/v2/{collection}/{resource_id}", json=body)
    assert response.status_code in (200, 201), response.text


def _delete(client: Any, collection: str, resource_id: str) -> None:
    assert client.delete(f"/v2/{collection}/{resource_id}").status_code == 204


def _property(name: str) -> dict[str, Any]:
    return {"name": name, "number": "1001", "street": "Weg 1", "postalCode": "10115", "city": "Berlin",
            "country": "DE", "responsibilities": [{"contactId": "P-2", "roleName": "Hausmeister"}]}  # fmt: skip


def _contact(last_name: str) -> dict[str, Any]:
    return {"firstName": "Erika", "lastName": last_name, "email": None,
            "contracts": [{"type": "RENTER", "propertyId": "O-1001", "unitId": "U-1",
                           "startDate": "2020-01-01", "endDate": None}]}  # fmt: skip


def _settings(emulator: Any, folder: Path) -> Any:
    return settings_for(folder, ixhaus_url="sqlite:///unused.sqlite", casavi_url=emulator.url)


def _latest(settings: Any) -> dict[str, Any] | None:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return casavi.latest_snapshot(con)
    finally:
        con.close()


def test_the_portal_state_is_loaded_and_tombstones_remove_rows(
    casavi_emulator: Any, tmp_path: Path, no_secrets: None
) -> None:
    settings = _settings(casavi_emulator, tmp_path)
    with casavi_emulator.client() as client:
        _put(client, "properties", "O-1001", _property("Haus am See"))
        _put(
            client,
            "units",
            "U-1",
            {"propertyId": "O-1001", "number": "01", "name": "EG links", "floor": "EG"},
        )
        _put(client, "contacts", "P-1", _contact("Muster"))
        _put(client, "contacts", "P-2", _contact("Meier"))

        first = ingest_unlocked(settings, sources=CASAVI)

        assert first.results[0].full
        assert first.results[0].rows["contacts"] == 2
        snapshot = _latest(settings)
        assert snapshot is not None and snapshot["status"] == "complete" and snapshot["is_full"]
        contact_columns = columns(settings, "raw_casavi", "contacts")
        assert (
            contact_columns["postal_code"] == "VARCHAR"
            and contact_columns["internal_id"] == "BIGINT"
        )
        assert (
            contact_columns["contracts"] == "JSON" and contact_columns["modified_at"] == "TIMESTAMP"
        )
        assert contact_columns["is_registered"] == "BOOLEAN"
        for table in (
            "posts",
            "documents",
            "ticket_messages",
        ):  # empty collections still have their table
            assert "id" in columns(settings, "raw_casavi", table)
        assert query(
            settings,
            "select postal_code, responsibilities->>'$[0].roleName' from raw_casavi.properties",
        ) == [("10115", "Hausmeister")]

        _delete(client, "contacts", "P-2")
        _put(client, "properties", "O-1001", _property("Haus am Meer"))
        second = ingest_unlocked(settings, sources=CASAVI)

    assert not second.results[0].full
    assert query(settings, "select id from raw_casavi.contacts") == [("P-1",)]
    assert query(settings, "select name from raw_casavi.properties") == [("Haus am Meer",)]
    latest = _latest(settings)
    assert (
        latest is not None
        and latest["snapshot_id"] > snapshot["snapshot_id"]
        and not latest["is_full"]
    )

    third = ingest_unlocked(settings, sources=CASAVI, full=True)

    assert third.results[0].full and _latest(settings)["is_full"]  # type: ignore[index]
    assert query(settings, "select id from raw_casavi.contacts") == [("P-1",)]
    assert query(settings, "select count(*) from raw_casavi.units") == [(1,)]


def test_a_read_failing_on_page_3_leaves_the_previous_snapshot_the_latest_good_one(
    casavi_emulator: Any, tmp_path: Path, no_secrets: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(casavi, "PAGE_SIZE", 2)
    settings = _settings(casavi_emulator, tmp_path)
    units = [f"U-{n}" for n in range(1, 8)]
    with casavi_emulator.client() as client:
        _put(client, "properties", "O-1001", _property("Alt"))
        for unit in units:
            _put(client, "units", unit, {"propertyId": "O-1001", "number": unit, "name": "alt"})
        ingest_unlocked(settings, sources=CASAVI)
        good = _latest(settings)
        assert good is not None and good["status"] == "complete"
        _put(
            client, "properties", "O-1001", _property("Neu")
        )  # read before units: must not be loaded
        for unit in units:
            _put(client, "units", unit, {"propertyId": "O-1001", "number": unit, "name": "neu"})
    casavi_emulator.faults(
        rules=[
            {"method": "GET", "path": "/v2/units", "delay_ms": 1, "times": 2},  # pages 1 and 2 pass
            {"method": "GET", "path": "/v2/units", "status": 503, "times": 100},  # page 3 fails
        ]
    )

    with pytest.raises(UserError, match=r"casavi .*GET /v2/units answered 503"):
        ingest_unlocked(settings, sources=CASAVI)

    assert _latest(settings) == good
    assert query(settings, "select name from raw_casavi.properties") == [("Alt",)]
    assert query(settings, "select distinct name from raw_casavi.units") == [("alt",)]
    failed = query(
        settings,
        "select status, tables_touched, error from portal_sync.casavi_snapshots order by snapshot_id desc limit 1",
    )
    assert failed[0][:2] == ("failed", False) and "503" in failed[0][2]
    runs = query(
        settings, "select status, error from portal_sync.runs order by run_id desc limit 1"
    )
    assert runs[0][0] == "failed" and "503" in runs[0][1]

    casavi_emulator.faults()
    ingest_unlocked(settings, sources=CASAVI)

    assert _latest(settings)["snapshot_id"] > good["snapshot_id"]  # type: ignore[index]
    assert query(settings, "select name from raw_casavi.properties") == [("Neu",)]
    assert query(settings, "select distinct name from raw_casavi.units") == [("neu",)]


def test_reads_survive_a_dropped_connection_and_rate_limiting(
    casavi_emulator: Any, tmp_path: Path, no_secrets: None
) -> None:
    settings = _settings(casavi_emulator, tmp_path)
    with casavi_emulator.client() as client:
        _put(client, "properties", "O-1001", _property("Haus"))
    casavi_emulator.faults(
        rules=[
            {"method": "GET", "path": "/v2/properties", "lose_response": True, "times": 1},
            {"method": "GET", "path": "/v2/units", "status": 429, "times": 1},
        ]
    )

    ingest_unlocked(settings, sources=CASAVI)

    requests = casavi_emulator.requests()
    assert requests.get("GET /v2/properties", 0) >= 2 and requests.get("GET /v2/units", 0) >= 2
    assert query(settings, "select name from raw_casavi.properties") == [("Haus",)]
    assert _latest(settings)["status"] == "complete"  # type: ignore[index]


def test_a_load_that_began_and_failed_makes_the_snapshot_unusable(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    good = casavi.start_snapshot(con, None, True)
    casavi.finish_snapshot(con, good, "complete", rows=3, cursors={})
    read_failed = casavi.start_snapshot(con, None, False)
    casavi.finish_snapshot(con, read_failed, "failed", error="x")
    assert casavi.latest_snapshot(con)["snapshot_id"] == good  # type: ignore[index]
    load_failed = casavi.start_snapshot(con, None, False)
    casavi.mark_touched(con, load_failed)
    casavi.finish_snapshot(con, load_failed, "failed", error="y")
    latest = casavi.latest_snapshot(con)
    assert (
        latest is not None and latest["snapshot_id"] == load_failed and latest["status"] == "failed"
    )
    con.close()


def test_credentials_default_to_demo_only_for_a_loopback_casavi(no_secrets: None) -> None:
    assert casavi.credentials("http://127.0.0.1:8700") == ("demo", "demo")
    assert casavi.credentials("http://localhost:8700") == ("demo", "demo")
    with pytest.raises(UserError, match="CASAVI_KEY and CASAVI_SECRET must be set"):
        casavi.credentials("https://api.mycasavi.com")


def test_a_collection_empty_at_first_loads_when_it_gets_items(
    casavi_emulator: Any, tmp_path: Path, no_secrets: None
) -> None:
    settings = _settings(casavi_emulator, tmp_path)
    with casavi_emulator.client() as client:
        _put(client, "properties", "O-1001", _property("Haus am See"))
        ingest_unlocked(settings, sources=CASAVI)  # trades is empty: table created from arrow
        _put(client, "trades", "TR-1", {"name": "Sanitär", "audiences": ["RENTER"]})

        ingest_unlocked(settings, sources=CASAVI)

    assert query(settings, "select id, name from raw_casavi.trades") == [("TR-1", "Sanitär")]
    snapshot = _latest(settings)
    assert snapshot is not None and snapshot["status"] == "complete"


def _reader(emulator: Any, http: Any, page_size: int) -> casavi.CasaviReader:
    key, api_secret = casavi.credentials(emulator.url)
    reader = casavi.CasaviReader(emulator.url, key, api_secret, http, page_size=page_size)
    reader.authenticate()
    return reader


def test_keyset_paging_reads_items_sharing_one_millisecond_across_pages(
    casavi_emulator: Any, no_secrets: None
) -> None:
    """More items share one `modifiedAt` than fit on a page: the reader follows `next`."""
    from emulators.casavi.store import Store

    casavi_emulator.stop()
    store = Store(casavi_emulator.state)
    base = 1_780_000_000_000
    stamps = [base] * 5 + [base + 1] * 3 + [base + 7, base + 9]
    for number, ms in enumerate(stamps, start=1):
        moment = casavi.EPOCH_UTC + timedelta(milliseconds=ms)
        text = casavi.iso(moment)
        store.save(
            "units",
            {"id": f"U-{number}", "internalId": store.next_internal_id(), "propertyId": "O-1",
             "number": str(number), "name": None, "floor": None, "createdAt": text,
             "modifiedAt": text, "managedExternally": True, "source": "ERP"},
            ms,
        )  # fmt: skip
    store.conn.commit()
    store.conn.close()
    casavi_emulator.start()

    with Http("casavi") as http:
        reader = _reader(casavi_emulator, http, page_size=2)
        pages = list(reader.read("units", None, include_deleted=False))
        later = list(
            reader.read("units", casavi.EPOCH_UTC + timedelta(milliseconds=base + 1), False)
        )

    read = [item["id"] for page in pages for item in page]
    assert sorted(set(read), key=lambda i: int(i[2:])) == [f"U-{n}" for n in range(1, 11)]
    assert len(pages) < 10  # moved on by modifiedAt, not one page per tie
    assert [item["id"] for page in later for item in page] == ["U-9", "U-10"]


def test_an_item_changed_during_the_read_does_not_make_the_read_skip_another(
    casavi_emulator: Any, no_secrets: None
) -> None:
    """Offset paging skips an item when an earlier one moves to the end; keyset paging does not."""
    units = [f"U-{n}" for n in range(1, 8)]
    with casavi_emulator.client() as client:
        _put(client, "properties", "O-1001", _property("Haus"))
        for unit in units:
            _put(client, "units", unit, {"propertyId": "O-1001", "number": unit, "name": "alt"})
        with Http("casavi") as http:
            reader = _reader(casavi_emulator, http, page_size=2)
            seen: list[str] = []
            for number, page in enumerate(reader.read("units", None, include_deleted=False)):
                seen.extend(item["id"] for item in page)
                if number == 0:  # U-1 changes while the read is under way
                    _put(client, "units", "U-1", {"propertyId": "O-1001", "number": "U-1", "name": "neu"})  # fmt: skip

    assert set(seen) == set(units)


def test_a_no_change_run_loads_nothing_but_an_item_written_late_into_the_overlap_arrives(
    casavi_emulator: Any, tmp_path: Path, no_secrets: None
) -> None:
    from emulators.casavi.store import Store

    settings = _settings(casavi_emulator, tmp_path)
    with casavi_emulator.client() as client:
        _put(client, "properties", "O-1001", _property("Haus"))
        for n in (1, 2):
            _put(
                client, "units", f"U-{n}", {"propertyId": "O-1001", "number": str(n), "name": "alt"}
            )
        ingest_unlocked(settings, sources=CASAVI)

    quiet = ingest_unlocked(settings, sources=CASAVI)

    assert set(quiet.results[0].rows.values()) == {0} and not quiet.results[0].full
    latest = _latest(settings)
    assert latest is not None and latest["status"] == "complete" and not latest["tables_touched"]
    assert latest["rows"] == 3  # read again (the overlap), but nothing new

    # a write that committed late with a timestamp before the cursor (what OVERLAP is for)
    cursor = casavi.parse_ts(latest["cursors"]["units"])
    assert cursor is not None
    casavi_emulator.stop()
    store = Store(casavi_emulator.state)
    late = cursor - timedelta(seconds=1)
    text = casavi.iso(late)
    store.save(
        "units",
        {"id": "U-3", "internalId": store.next_internal_id(), "propertyId": "O-1001", "number": "3",
         "name": "spät", "floor": None, "createdAt": text, "modifiedAt": text,
         "managedExternally": True, "source": "ERP"},
        int((late - casavi.EPOCH_UTC).total_seconds() * 1000),
    )  # fmt: skip
    store.conn.commit()
    store.conn.close()
    casavi_emulator.start()

    late_run = ingest_unlocked(settings, sources=CASAVI)

    assert late_run.results[0].rows["units"] == 1
    assert query(settings, "select id from raw_casavi.units order by id") == [
        ("U-1",), ("U-2",), ("U-3",)
    ]  # fmt: skip
