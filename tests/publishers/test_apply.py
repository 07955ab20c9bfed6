"""Applying a plan: dependency order, one bad item never stops the others, files from iX-Haus."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa

from portal_sync import ixhaus_schema
from portal_sync.settings import Settings
from publishers.casavi.api import CasaviClient, RetryPolicy
from publishers.casavi.apply import Context, apply_plan
from publishers.casavi.files import FileStore
from publishers.casavi.plan import Create, Delete, FileRef, Plan, Update
from tests.publishers.loopback import serve

FAST = RetryPolicy(max_retries=2, base_seconds=0.01, cap_seconds=0.02)


def ixhaus_with_document(path: Path, content: bytes) -> Settings:
    engine = sa.create_engine(f"sqlite:///{path}")
    ixhaus_schema.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(
            sa.insert(ixhaus_schema.document_types).values(
                document_type="NK", name="NK", updated_at=datetime.now(UTC)
            )
        )
        connection.execute(
            sa.insert(ixhaus_schema.documents).values(
                document_id=7,
                document_type="NK",
                title="NK 2025",
                file_name="nk.pdf",
                mime_type="application/pdf",
                size_bytes=len(content),
                content=content,
                document_date=date(2026, 1, 1),
                updated_at=datetime.now(UTC),
            )
        )
    engine.dispose()
    return Settings.model_validate({"ixhaus": {"url": f"sqlite:///{path}"}})


def test_order_isolation_conflicts_and_files(tmp_path: Path) -> None:
    content = b"%PDF-1.4 " + bytes(range(256)) * 50
    settings = ixhaus_with_document(tmp_path / "ix.sqlite", content)
    plan = Plan(
        [
            Delete("units", "U-old", None, 2),
            Delete("documents", "D-old", None, 6),
            Create(
                "documents",
                "D-7",
                "h",
                6,
                {"title": "NK 2025", "propertyId": "O-1"},
                FileRef("ixhaus_document", "7", "nk.pdf", "application/pdf"),
            ),
            Create(
                "documents",
                "D-404",
                "h",
                6,
                {"title": "gone"},
                FileRef("ixhaus_document", "404", "x.pdf", "application/pdf"),
            ),
            Create("units", "U-2", "h", 2, {"propertyId": "O-2"}),
            Create("units", "U-1", "h", 2, {"propertyId": "O-1"}),
            Update("properties", "O-2", "h", 1, {"name": "bad"}),
            Create("properties", "O-1", "h", 1, {"name": "Haus"}),
        ]
    )
    with serve() as (url, script):
        script.stored["/v2/units/U-old"] = b"{}"
        script.stored["/v2/documents/D-old"] = b"{}"
        script.then("PUT", "/v2/properties/O-2", 400)
        script.then("PUT", "/v2/units/U-2", 409, 409)
        client = CasaviClient(url, "k", "s", concurrency=4, requests_per_second=1000, retry=FAST)
        files = FileStore(settings)
        try:
            outcomes = apply_plan(plan, Context(client, files), concurrency=4)
        finally:
            files.close()
            client.close()
        order = [path for method, path, _ in script.log if method in ("PUT", "DELETE")]
    by_id = {o.change.resource_id: o for o in outcomes}
    assert [o.change.resource_id for o in outcomes] == [c.resource_id for c in plan]
    assert {rid for rid, o in by_id.items() if o.ok} == {"U-old", "D-old", "D-7", "U-1", "O-1"}
    assert by_id["O-2"].status == 400
    assert by_id["U-2"].status == 409 and "parent properties/O-2 failed" in (
        by_id["U-2"].error or ""
    )
    assert "file not available" in (by_id["D-404"].error or "") and by_id["D-404"].status is None
    # parents first for upserts, children first for deletes, deletes after all upserts
    first = {path: order.index(path) for path in set(order)}
    assert first["/v2/properties/O-1"] < first["/v2/units/U-1"] < first["/v2/documents/D-7"]
    assert first["/v2/documents/D-7"] < first["/v2/documents/D-old"] < first["/v2/units/U-old"]
    assert order.count("/v2/units/U-2") == 2  # a 409 gets one more try after the other upserts
    assert content in script.stored["/v2/documents/D-7"]
