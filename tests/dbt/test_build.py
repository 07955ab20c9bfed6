"""`dbt build` on real warehouses: the demo world, a fresh one, and casavi state round trips."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest

from portal_sync.dbt import build
from portal_sync.settings import load_settings
from tests.dbt.conftest import BuiltWarehouse, write_settings
from tests.dbt.raw_loader import load_casavi

MY_COLLECTIONS = ("properties", "units", "contacts", "documents")


def _rows(path: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_build_with_unit_tests_is_green_on_the_demo_world(built_warehouse: BuiltWarehouse) -> None:
    statuses = built_warehouse.statuses
    failed = {
        name: status
        for name, status in statuses.items()
        if status not in {"success", "pass", "no-op"}
    }
    assert failed == {}
    # the rules' unit tests ran as part of the build
    assert "person_account_window_edges" in statuses
    for model in ("desired_properties", "desired_units", "desired_contacts", "desired_documents"):
        assert _rows(built_warehouse.path, f"select count(*) from marts.{model}")[0][0] > 0, model


def test_empty_portal_means_every_desired_item_is_created(built_warehouse: BuiltWarehouse) -> None:
    path = built_warehouse.path
    actions = _rows(path, "select distinct action from marts.plan_changes")
    assert actions == [("create",)]
    for collection in MY_COLLECTIONS:
        desired = _rows(path, f"select count(*) from marts.desired_{collection}")[0][0]
        planned = _rows(
            path, "select count(*) from marts.plan_changes where collection = ?", [collection]
        )
        assert planned[0][0] == desired, collection


def test_objects_outside_the_range_and_their_units_are_not_desired(
    built_warehouse: BuiltWarehouse,
) -> None:
    path = built_warehouse.path
    outside = _rows(
        path,
        "select object_number from raw_ixhaus.objects"
        " where not (try_cast(object_number as int) between 1000 and 1999 or object_number = '2500')",
    )
    assert outside, "the demo world has objects outside the shipped range"
    desired = {row[0] for row in _rows(path, "select id from marts.desired_properties")}
    assert not desired & {f"O-{number}" for (number,) in outside}
    orphans = _rows(
        path,
        'select count(*) from marts.desired_units where "propertyId" not in'
        " (select id from marts.desired_properties)",
    )
    assert orphans[0][0] == 0


def test_fresh_warehouse_without_raw_tables_builds_green(tmp_path: Path) -> None:
    """DocuWare never loaded, nothing published yet: staging reads empty typed relations."""
    warehouse = tmp_path / "fresh.duckdb"
    settings_file = write_settings(tmp_path, warehouse)
    environ = {"PORTAL_SYNC_TODAY": "2026-06-15"}
    outcome = build(load_settings(settings_file, environ=environ), environ=environ)
    assert outcome.statuses
    assert set(outcome.statuses.values()) <= {"success", "pass", "no-op"}
    assert "person_account_window_edges" not in outcome.statuses  # a sync's build skips unit tests
    assert _rows(warehouse, "select count(*) from marts.plan_changes")[0][0] == 0
    assert _rows(warehouse, "select count(*) from marts.why_not_synced")[0][0] == 0


def _snake(name: str) -> str:
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def _casavi_rows(payloads: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """casavi state as dlt loads it: snake_case columns, nested values as JSON text."""
    rows = []
    for index, (resource_id, payload) in enumerate(payloads, start=1):
        row: dict[str, Any] = {"id": resource_id, "internal_id": index, "managed_externally": True}
        for key, value in json.loads(payload).items():
            row[_snake(key)] = json.dumps(value) if isinstance(value, (list, dict)) else value
        row["modified_at"] = "2026-06-14T10:00:00.000Z"
        rows.append(row)
    return rows


def test_plan_against_current_casavi_state(
    built_warehouse: BuiltWarehouse, warehouse_copy: Path
) -> None:
    """In sync → nothing; changed in casavi → update; stale owned id → delete; users' ids untouched."""
    con = duckdb.connect(str(warehouse_copy))
    try:
        state: dict[str, list[dict[str, Any]]] = {}
        for collection in MY_COLLECTIONS:
            payloads = con.execute(
                "select resource_id, payload from marts.plan_changes where collection = ? order by resource_id",
                [collection],
            ).fetchall()
            state[collection] = _casavi_rows(payloads)
        changed_property = state["properties"][0]
        changed_property["name"] = "renamed in casavi"
        missing_unit = state["units"].pop()
        # casavi adds keys of its own inside nested objects: they must not look like a change
        contact = next(row for row in state["contacts"] if json.loads(row["contracts"]))
        contracts = json.loads(contact["contracts"])
        contracts[0]["internalId"] = 4711
        contact["contracts"] = json.dumps(list(reversed(contracts)))
        stale = dict(state["properties"][1], id="O-9999", number="9999")
        user_document = dict(state["documents"][0], id="C-77", title="uploaded by a user")
        state["properties"].append(stale)
        state["documents"].append(user_document)
        for collection, rows in state.items():
            load_casavi(con, collection, rows)
    finally:
        con.close()

    settings_file = write_settings(warehouse_copy.parent, warehouse_copy)
    environ = built_warehouse.environ
    build(
        load_settings(settings_file, environ=environ),
        select=["path:dbt_project/models/staging/casavi", "plan_changes"],
        environ=environ,
    )
    changes = _rows(
        warehouse_copy,
        "select collection, resource_id, action from marts.plan_changes"
        " where collection in ('properties', 'units', 'contacts', 'documents') order by all",
    )
    assert changes == sorted(
        [
            ("properties", changed_property["id"], "update"),
            ("properties", "O-9999", "delete"),
            ("units", missing_unit["id"], "create"),
        ]
    )


def test_docuware_filter_rules_exclude_documents(
    built_warehouse: BuiltWarehouse, warehouse_copy: Path
) -> None:
    statuses = _rows(
        warehouse_copy,
        "select status, count(*) from raw_docuware.documents group by all order by 2 desc",
    )
    status = statuses[0][0]
    settings_file = write_settings(
        warehouse_copy.parent,
        warehouse_copy,
        docuware_extra=f'filter = [{{field = "STATUS", equals = "{status}"}}]',
    )
    environ = built_warehouse.environ
    build(
        load_settings(settings_file, environ=environ),
        select=["int_docuware_documents_synced"],
        environ=environ,
    )
    excluded = _rows(
        warehouse_copy,
        "select count(*) from intermediate.int_docuware_documents_synced"
        " where reason_code = 'DOCUMENT_EXCLUDED_BY_DOCUWARE_FILTER'",
    )
    assert excluded[0][0] == statuses[0][1]


def test_unknown_docuware_filter_field_is_one_readable_error(
    built_warehouse: BuiltWarehouse, warehouse_copy: Path
) -> None:
    from portal_sync.errors import UserError

    settings_file = write_settings(
        warehouse_copy.parent,
        warehouse_copy,
        docuware_extra='filter = [{field = "FARBE", equals = "rot"}]',
    )
    environ = built_warehouse.environ
    with pytest.raises(UserError, match=r"int_docuware_documents_synced.*unknown field 'FARBE'"):
        build(
            load_settings(settings_file, environ=environ),
            select=["int_docuware_documents_synced"],
            environ=environ,
        )


def test_object_range_from_the_settings_file_reaches_the_rules(
    built_warehouse: BuiltWarehouse, warehouse_copy: Path
) -> None:
    settings_file = write_settings(warehouse_copy.parent, warehouse_copy)
    text = settings_file.read_text(encoding="utf-8").replace('"1000-1999, 2500"', '"1000-1005"')
    settings_file.write_text(text, encoding="utf-8")
    environ = built_warehouse.environ
    build(
        load_settings(settings_file, environ=environ),
        select=["int_objects_synced"],
        environ=environ,
    )
    in_range = _rows(
        warehouse_copy,
        "select object_number from intermediate.int_objects_synced where is_in_object_range order by 1",
    )
    expected = _rows(
        warehouse_copy,
        "select object_number from raw_ixhaus.objects"
        " where try_cast(object_number as int) between 1000 and 1005 order by 1",
    )
    assert expected
    assert in_range == expected


def test_build_copies_nothing_into_the_repository(built_warehouse: BuiltWarehouse) -> None:
    """dbt's target and logs live beside the warehouse, not in the shared working tree."""
    assert (built_warehouse.path.parent / "dbt" / "target" / "manifest.json").exists()
