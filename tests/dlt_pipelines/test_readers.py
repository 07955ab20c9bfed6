"""The REST sources are read on threads while iX-Haus loads; failures keep the source order."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from dlt_pipelines import casavi
from dlt_pipelines.run import ingest_unlocked
from portal_sync.errors import UserError
from tests.dlt_pipelines import tiny_world
from tests.dlt_pipelines.conftest import query, settings_for


def _reader_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("ingest-")]


def test_a_failing_ixhaus_load_stops_the_readers_and_leaves_no_casavi_snapshot(
    tmp_path: Path, casavi_emulator: Any, no_secrets: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(casavi, "PAGE_SIZE", 1)
    with casavi_emulator.client() as client:
        client.put("/v2/properties/O-1001", json={"name": "Haus", "number": "1001", "street": "Weg 1",
                   "postalCode": "10115", "city": "Berlin", "country": "DE", "responsibilities": []})  # fmt: skip
        for n in range(1, 6):
            response = client.put(
                f"/v2/units/U-{n}", json={"propertyId": "O-1001", "number": str(n)}
            )
            assert response.status_code == 201, response.text
    casavi_emulator.faults(latency_ms=100)  # the read is still under way when iX-Haus fails
    url = tiny_world.create(tmp_path / "ix.sqlite")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("drop table ticket_orders"))
    engine.dispose()
    settings = settings_for(
        tmp_path, ixhaus_url=url, casavi_url=casavi_emulator.url, docuware_enabled=False
    )

    with pytest.raises(UserError, match="ticket_orders is missing"):
        ingest_unlocked(settings)

    assert _reader_threads() == []
    assert query(settings, "select count(*) from portal_sync.casavi_snapshots") == [(0,)]
    assert query(settings, "select status from portal_sync.runs") == [("failed",)]


def test_a_docuware_read_that_failed_on_its_thread_is_reported_after_ixhaus_loaded(
    tmp_path: Path, no_secrets: None
) -> None:
    url = tiny_world.create(tmp_path / "ix.sqlite")
    settings = settings_for(tmp_path, ixhaus_url=url)  # DocuWare on a closed port

    with pytest.raises(UserError, match=r"DocuWare \(http://127\.0\.0\.1:9\): cannot connect"):
        ingest_unlocked(settings, sources=("ixhaus", "docuware"))

    assert _reader_threads() == []
    loaded = query(
        settings,
        "select dataset, sum(rows) > 0 from portal_sync.ingest_tables group by dataset",
    )
    assert loaded == [("raw_ixhaus", True)]
    assert query(settings, "select stage, item from portal_sync.run_errors") == [
        ("ingest", "docuware")
    ]
