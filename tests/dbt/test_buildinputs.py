"""A sync skips `dbt build` only when nothing the models read changed (`portal_sync.buildinputs`)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from portal_sync import buildinputs
from portal_sync.dbt import PROJECT_DIR, dbt_vars, run_dbt
from portal_sync.settings import load_settings
from portal_sync.sync import _unchanged_since, dbt_target
from tests.dbt.conftest import BuiltWarehouse, write_settings


def _manifest(built: BuiltWarehouse) -> Path:
    return dbt_target(built.settings) / "manifest.json"


def _fingerprint(path: Path, built: BuiltWarehouse, **vars_: Any) -> str:
    tables = buildinputs.source_tables(_manifest(built))
    variables = {**dbt_vars(built.settings, built.environ), **vars_}
    with duckdb.connect(str(path), read_only=True) as con:
        return buildinputs.inputs(con, variables, PROJECT_DIR, tables)


def _change(path: Path, sql: str) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute(sql)


def test_the_run_records_feed_no_table(built_warehouse: BuiltWarehouse) -> None:
    """`NOT_INPUTS` change on every run; only views may read them, or skipping would be wrong."""
    manifest = json.loads(_manifest(built_warehouse).read_text(encoding="utf-8"))
    sources = {
        (source["schema"], source["name"]): unique_id
        for unique_id, source in manifest["sources"].items()
    }
    children = manifest["child_map"]
    for pair in buildinputs.NOT_INPUTS:
        assert pair in sources, f"{pair} is no longer a dbt source: update NOT_INPUTS"
        todo, seen = list(children[sources[pair]]), set()
        while todo:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            found = manifest["nodes"].get(node, {})
            if found.get("resource_type") == "model":
                assert found["config"]["materialized"] == "view", f"{node} reads {pair}"
            todo += children.get(node, [])


def test_the_inputs_are_the_raw_datasets_and_the_bookkeeping(
    built_warehouse: BuiltWarehouse,
) -> None:
    tables = buildinputs.source_tables(_manifest(built_warehouse))
    assert ("raw_ixhaus", "tickets") in tables
    assert ("raw_casavi", "contacts") in tables
    assert ("raw_docuware", "documents") in tables
    assert ("portal_sync", "publish_items") in tables
    assert ("portal_sync", "writeback_items") in tables
    assert not set(buildinputs.NOT_INPUTS) & set(tables)
    outputs = buildinputs.model_tables(_manifest(built_warehouse))
    assert ("marts", "plan_changes") in outputs
    assert all(schema != "staging" for schema, _ in outputs)  # views are always current


def test_same_inputs_same_fingerprint(
    warehouse_copy: Path, built_warehouse: BuiltWarehouse
) -> None:
    assert _fingerprint(warehouse_copy, built_warehouse) == _fingerprint(
        warehouse_copy, built_warehouse
    )


@pytest.mark.parametrize(
    "change",
    [
        "update raw_ixhaus.persons set last_name = last_name || 'x' "
        "where person_id = (select min(person_id) from raw_ixhaus.persons)",
        "delete from raw_ixhaus.tenancies "
        "where tenancy_id = (select max(tenancy_id) from raw_ixhaus.tenancies)",
        'update raw_docuware.documents set "DWMODDATETIME" = "DWMODDATETIME" + interval 1 second '
        'where "DWDOCID" = (select min("DWDOCID") from raw_docuware.documents)',
    ],
    ids=["changed row", "deleted row", "changed DocuWare row"],
)
def test_a_changed_or_deleted_row_changes_the_fingerprint(
    warehouse_copy: Path, built_warehouse: BuiltWarehouse, change: str
) -> None:
    before = _fingerprint(warehouse_copy, built_warehouse)
    _change(warehouse_copy, change)
    assert _fingerprint(warehouse_copy, built_warehouse) != before


def test_a_reload_of_the_same_rows_is_no_change(
    warehouse_copy: Path, built_warehouse: BuiltWarehouse
) -> None:
    """A replace (new dlt load id, rows in another order) with the same data is the same input."""
    _change(
        warehouse_copy, "alter table raw_ixhaus.units add column _dlt_load_id text default '1.5'"
    )
    before = _fingerprint(warehouse_copy, built_warehouse)
    with duckdb.connect(str(warehouse_copy)) as con:
        con.execute("create temp table reloaded as select * from raw_ixhaus.units")
        con.execute("delete from raw_ixhaus.units")
        con.execute(
            "insert into raw_ixhaus.units select * replace ('9999.1' as _dlt_load_id) "
            "from reloaded order by unit_id desc"
        )
    assert _fingerprint(warehouse_copy, built_warehouse) == before


def test_the_bookkeeping_of_the_publisher_is_an_input(
    warehouse_copy: Path, built_warehouse: BuiltWarehouse
) -> None:
    before = _fingerprint(warehouse_copy, built_warehouse)
    from publishers.casavi import outcomes

    with duckdb.connect(str(warehouse_copy)) as con:
        outcomes.ensure(con)
    created = _fingerprint(warehouse_copy, built_warehouse)
    _change(
        warehouse_copy,
        "insert into portal_sync.publish_items values ('tickets', 'T-1', 'create', 'h', "
        "'confirmed', 1, 0, null, now()::timestamp, now()::timestamp, 1)",
    )
    assert len({before, created, _fingerprint(warehouse_copy, built_warehouse)}) == 3


def test_other_settings_or_another_day_change_the_fingerprint(
    warehouse_copy: Path, built_warehouse: BuiltWarehouse
) -> None:
    before = _fingerprint(warehouse_copy, built_warehouse)
    assert _fingerprint(warehouse_copy, built_warehouse, today="2030-01-01") != before
    assert _fingerprint(warehouse_copy, built_warehouse, days_after_move_out=1) != before


def test_a_changed_project_file_changes_the_project_digest(tmp_path: Path) -> None:
    (tmp_path / "dbt_project" / "models").mkdir(parents=True)
    (tmp_path / "dbt_project.yml").write_text("name: x\n", encoding="utf-8")
    model = tmp_path / "dbt_project" / "models" / "a.sql"
    model.write_text("select 1", encoding="utf-8")
    before = buildinputs.project_digest(tmp_path)
    model.write_text("select 2", encoding="utf-8")
    changed = buildinputs.project_digest(tmp_path)
    model.rename(model.with_name("b.sql"))
    assert len({before, changed, buildinputs.project_digest(tmp_path)}) == 3


def test_a_missing_source_table_hashes_as_missing(warehouse_copy: Path) -> None:
    with duckdb.connect(str(warehouse_copy), read_only=True) as con:
        a = buildinputs.data_digest(con, [("raw_ixhaus", "no_such_table")])
        b = buildinputs.data_digest(con, [("raw_ixhaus", "units")])
    assert a != b


def _skippable_copy(built: BuiltWarehouse, folder: Path) -> Any:
    """A copy of the built warehouse with its own settings and a record of its build."""
    folder.mkdir()
    warehouse = folder / "portal.duckdb"
    shutil.copyfile(built.path, warehouse)
    target = dbt_target(built.settings)
    settings = load_settings(write_settings(folder, warehouse), environ=built.environ)
    own = dbt_target(settings)
    own.mkdir(parents=True)
    shutil.copyfile(target / "manifest.json", own / "manifest.json")
    manifest = own / "manifest.json"
    tables = buildinputs.source_tables(manifest)
    variables = dbt_vars(settings, built.environ)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        fingerprint = buildinputs.inputs(con, variables, PROJECT_DIR, tables)
    buildinputs.remember(own, fingerprint, tables, buildinputs.model_tables(manifest), 7)
    return settings, own, variables


def test_unchanged_inputs_skip_the_build_changed_ones_do_not(
    built_warehouse: BuiltWarehouse, tmp_path: Path
) -> None:
    settings, target, variables = _skippable_copy(built_warehouse, tmp_path / "w")
    assert _unchanged_since(settings, target, variables) == 7
    _change(settings.warehouse_path, "update raw_ixhaus.objects set name = name || ' (neu)'")
    assert _unchanged_since(settings, target, variables) is None


def test_a_dropped_mart_means_a_new_build(built_warehouse: BuiltWarehouse, tmp_path: Path) -> None:
    settings, target, variables = _skippable_copy(built_warehouse, tmp_path / "w")
    _change(settings.warehouse_path, "drop table marts.writeback_delivery_routes")
    assert _unchanged_since(settings, target, variables) is None


def test_an_unreadable_record_means_a_new_build(
    built_warehouse: BuiltWarehouse, tmp_path: Path
) -> None:
    settings, target, variables = _skippable_copy(built_warehouse, tmp_path / "w")
    buildinputs.record_path(target).write_text("{not json", encoding="utf-8")
    assert _unchanged_since(settings, target, variables) is None
    buildinputs.record_path(target).write_text('{"fingerprint": 1}', encoding="utf-8")
    assert _unchanged_since(settings, target, variables) is None


def test_every_dbt_invocation_forgets_the_record(
    built_warehouse: BuiltWarehouse, tmp_path: Path
) -> None:
    """A build by hand (or a failed one) must never leave the record of an older build."""
    settings, target, _ = _skippable_copy(built_warehouse, tmp_path / "w")
    assert buildinputs.record_path(target).exists()
    run_dbt(settings, ["ls", "-s", "plan_changes"], built_warehouse.environ)
    assert not buildinputs.record_path(target).exists()
