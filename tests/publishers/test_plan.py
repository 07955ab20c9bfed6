"""The plan from `marts.plan_changes`, its checks (B15, F2, F1, dbt tests) and the outcomes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from portal_sync.protocol import now
from portal_sync.settings import Settings
from publishers.casavi import outcomes
from publishers.casavi.apply import Outcome
from publishers.casavi.gates import check_snapshot, read_build, refuse_unless_plan_built
from publishers.casavi.plan import Create, Delete, PlanRefused, Update, load_plan, owned_in_casavi
from publishers.casavi.publish import Scope, prepare

PLAN_DDL = """
create schema marts;
create table marts.plan_changes (
    collection text, resource_id text, action text, payload text, payload_hash text,
    apply_order integer, file_source text, file_key text, file_name text, content_type text
);
create schema raw_ixhaus;
create table raw_ixhaus.tickets (ticket_id integer, portal_ticket_id text);
create schema raw_casavi;
create table raw_casavi.contacts (id text);
create table raw_casavi.properties (id text);
"""


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(tmp_path / "w.duckdb"))
    connection.execute(PLAN_DDL)
    yield connection
    connection.close()


def add(
    con: duckdb.DuckDBPyConnection,
    collection: str,
    resource_id: str,
    action: str,
    order: int,
    payload=None,
    **file,
) -> None:
    con.execute(
        "insert into marts.plan_changes values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            collection,
            resource_id,
            action,
            None if payload is None else json.dumps(payload),
            None if payload is None else f"h-{resource_id}",
            order,
            file.get("source"),
            file.get("key"),
            file.get("name"),
            file.get("content_type"),
        ],
    )


def snapshot(
    con: duckdb.DuckDBPyConnection, status: str = "complete", age_minutes: int = 1
) -> None:
    """A casavi snapshot record as ingest writes it (`dlt_pipelines.casavi`)."""
    from dlt_pipelines.casavi import finish_snapshot, mark_touched, start_snapshot

    snapshot_id = start_snapshot(con, None, True)
    mark_touched(con, snapshot_id)
    finish_snapshot(con, snapshot_id, status, rows=0, cursors={})
    at = now() - timedelta(minutes=age_minutes)
    con.execute(
        "update portal_sync.casavi_snapshots set started_at = ?, finished_at = ? where snapshot_id = ?",
        [at, at, snapshot_id],
    )


def test_plan_is_typed_counted_and_ordered(con: duckdb.DuckDBPyConnection) -> None:
    add(con, "units", "U-1", "create", 2, {"propertyId": "O-1000", "number": "1"})
    add(con, "properties", "O-1000", "update", 1, {"name": "Haus"})
    add(
        con,
        "documents",
        "D-7",
        "create",
        6,
        {"title": "NK"},
        source="ixhaus_document",
        key="7",
        name="nk.pdf",
        content_type="application/pdf",
    )
    add(con, "contacts", "P-3", "delete", 3)
    add(con, "documents", "D-8", "delete", 6)
    plan = load_plan(con)
    kinds = {change.resource_id: type(change) for change in plan}
    assert kinds == {"U-1": Create, "O-1000": Update, "D-7": Create, "P-3": Delete, "D-8": Delete}
    assert plan.counts()["documents"] == {"create": 1, "update": 0, "delete": 1}
    assert [[c.resource_id for c in group] for group in plan.upserts()] == [
        ["O-1000"],
        ["U-1"],
        ["D-7"],
    ]
    assert [[c.resource_id for c in group] for group in plan.deletes()] == [["D-8"], ["P-3"]]
    document = next(c for c in plan if c.resource_id == "D-7")
    assert isinstance(document, Create) and document.file is not None and document.file.key == "7"


def test_a_foreign_id_is_refused_but_an_imported_portal_ticket_update_passes(
    con: duckdb.DuckDBPyConnection,
) -> None:
    add(con, "tickets", "C-55", "update", 5, {"status": "Erledigt"})
    con.execute("insert into raw_ixhaus.tickets values (9, 'C-55')")
    plan = load_plan(con)
    plan.check_ownership({"C-55"})
    with pytest.raises(PlanRefused, match=r"tickets/C-55.*does not own"):
        plan.check_ownership(set())
    add(con, "contacts", "C-9", "delete", 3)
    with pytest.raises(PlanRefused, match=r"delete contacts/C-9"):
        load_plan(con).check_ownership({"C-55"})


def test_delete_ratio_counts_only_owned_items_in_casavi(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("insert into raw_casavi.contacts select 'P-' || i from range(20) t(i)")
    con.execute(
        "insert into raw_casavi.contacts select 'C-' || i from range(100) t(i)"
    )  # users' own
    for i in range(3):
        add(con, "contacts", f"P-{i}", "delete", 3)
    plan = load_plan(con)
    owned = owned_in_casavi(con, ["contacts", "trades"])
    assert owned == {"contacts": 20, "trades": 0}
    assert plan.delete_ratio_violations(owned, 0.10) == ["contacts: 3 of 20 (15%)"]
    assert plan.delete_ratio_violations(owned, 0.20) == []


def test_prepare_refuses_f2_unless_forced(con: duckdb.DuckDBPyConnection) -> None:
    snapshot(con)
    con.execute("insert into raw_casavi.properties select 'O-' || (1000 + i) from range(10) t(i)")
    for i in range(5):
        add(con, "properties", f"O-{1000 + i}", "delete", 1)
    with pytest.raises(PlanRefused, match=r"deletes more than 10% of properties: 5 of 10"):
        prepare(con, Settings())
    prepared = prepare(con, Settings(), force=True)
    assert len(prepared.plan) == 5 and prepared.forced


def test_scope_splits_docuware_documents(con: duckdb.DuckDBPyConnection) -> None:
    snapshot(con)
    add(
        con,
        "documents",
        "DW-1",
        "create",
        6,
        {"title": "a"},
        source="docuware",
        key="1",
        name="a.pdf",
        content_type="application/pdf",
    )
    add(
        con,
        "documents",
        "D-2",
        "create",
        6,
        {"title": "b"},
        source="ixhaus_document",
        key="2",
        name="b.pdf",
        content_type="application/pdf",
    )
    add(con, "units", "U-1", "create", 2, {"number": "1"})
    only = prepare(con, Settings(), scope=Scope.docuware_only)
    assert [c.resource_id for c in only.plan] == ["DW-1"]
    without = prepare(con, Settings(), scope=Scope.no_docuware)
    assert sorted(c.resource_id for c in without.plan) == ["D-2", "U-1"]


@pytest.mark.parametrize(
    ("status", "age", "message"),
    [
        (None, 0, "no casavi snapshot"),
        ("failed", 1, "is failed"),
        ("complete", 120, "120 minutes old"),
    ],
)
def test_snapshot_refusals(
    con: duckdb.DuckDBPyConnection, status: str | None, age: int, message: str
) -> None:
    if status:
        snapshot(con, status, age)
    with pytest.raises(PlanRefused, match=message):
        check_snapshot(con, 60)


def test_a_snapshot_from_before_this_ingest_is_stale(con: duckdb.DuckDBPyConnection) -> None:
    snapshot(con, "complete", 5)
    assert check_snapshot(con, 60).status == "complete"
    with pytest.raises(PlanRefused, match="before this sync's ingest"):
        check_snapshot(con, 60, not_before=now() - timedelta(minutes=1))


def write_build(target: Path, results: list[dict], nodes: dict) -> None:
    target.mkdir(parents=True, exist_ok=True)
    (target / "run_results.json").write_text(json.dumps({"results": results}))
    (target / "manifest.json").write_text(json.dumps({"nodes": nodes}))


def model(name: str) -> tuple[str, dict]:
    return f"model.portal_sync.{name}", {
        "resource_type": "model",
        "name": name,
        "depends_on": {"nodes": []},
    }


def dbt_test(name: str, *parents: str) -> tuple[str, dict]:
    return f"test.portal_sync.{name}", {
        "resource_type": "test",
        "name": name,
        "depends_on": {"nodes": list(parents)},
    }


def test_failing_test_on_a_desired_model_blocks_its_collection(tmp_path: Path) -> None:
    nodes = dict([model("desired_contacts"), model("plan_changes"), model("int_persons_eligible")])
    nodes.update([dbt_test("unique_desired_contacts_id", "model.portal_sync.desired_contacts")])
    nodes.update(
        [
            dbt_test(
                "not_null_int_persons_eligible_person_id", "model.portal_sync.int_persons_eligible"
            )
        ]
    )
    results = [
        {"unique_id": "model.portal_sync.plan_changes", "status": "success"},
        {
            "unique_id": "test.portal_sync.unique_desired_contacts_id",
            "status": "fail",
            "failures": 2,
        },
        {
            "unique_id": "test.portal_sync.not_null_int_persons_eligible_person_id",
            "status": "pass",
            "failures": 0,
        },
    ]
    write_build(tmp_path, results, nodes)
    build = read_build(tmp_path)
    refuse_unless_plan_built(build)
    assert (
        build.gate.reason("contacts")
        == "contacts not published: dbt test unique_desired_contacts_id failed"
    )
    assert build.gate.reason("units") is None and build.other_failures == []


def test_a_plan_not_built_in_this_run_refuses_everything(tmp_path: Path) -> None:
    nodes = dict([model("plan_changes"), model("int_persons_eligible")])
    nodes.update(
        [
            dbt_test(
                "not_null_int_persons_eligible_person_id", "model.portal_sync.int_persons_eligible"
            )
        ]
    )
    results = [
        {
            "unique_id": "test.portal_sync.not_null_int_persons_eligible_person_id",
            "status": "fail",
            "failures": 1,
        },
        {"unique_id": "model.portal_sync.plan_changes", "status": "skipped"},
    ]
    write_build(tmp_path, results, nodes)
    build = read_build(tmp_path)
    with pytest.raises(
        PlanRefused, match=r"plan_changes was not built.*not_null_int_persons_eligible_person_id"
    ):
        refuse_unless_plan_built(build)
    with pytest.raises(PlanRefused, match="no dbt results"):
        read_build(tmp_path / "missing")


def test_outcomes_count_consecutive_failures_until_stuck(con: duckdb.DuckDBPyConnection) -> None:
    add(con, "units", "U-1", "create", 2, {"number": "1"})
    add(con, "units", "U-2", "create", 2, {"number": "2"})
    bad, good = list(load_plan(con))
    for run_id in (1, 2, 3):
        outcomes.record(
            con,
            run_id,
            [Outcome(bad, False, 400, "HTTP 400: floor"), Outcome(good, True, 201)],
            stuck_after=3,
        )
        row = con.execute(
            "select status, consecutive_failures, attempts from portal_sync.publish_items where resource_id = 'U-1'"
        ).fetchone()
        assert row == (("stuck" if run_id == 3 else "failed"), run_id, run_id)
    assert con.execute(
        "select status, confirmed_at is not null from portal_sync.publish_items where resource_id = 'U-2'"
    ).fetchone() == ("confirmed", True)
    outcomes.record(con, 4, [Outcome(bad, True, 200)], stuck_after=3)
    assert con.execute(
        "select status, consecutive_failures, last_error from portal_sync.publish_items where resource_id = 'U-1'"
    ).fetchone() == ("confirmed", 0, None)


def test_items_that_left_the_plan_are_settled(con: duckdb.DuckDBPyConnection) -> None:
    add(con, "units", "U-1", "create", 2, {"number": "1"})
    add(con, "documents", "DW-1", "delete", 6)
    changes = list(load_plan(con))
    outcomes.record(con, 1, [Outcome(c, False, 500, "HTTP 500") for c in changes], stuck_after=5)
    settled = outcomes.settle_absent(con, 2, set(), {"units", "documents"}, "!DW-")
    assert settled == 1
    rows = dict(con.execute("select resource_id, status from portal_sync.publish_items").fetchall())
    assert rows == {"U-1": "confirmed", "DW-1": "failed"}


def test_the_pause_of_a_stuck_item_doubles_up_to_a_day() -> None:
    pauses = [outcomes.retry_pause(failures, 3, 180).total_seconds() for failures in range(1, 8)]
    assert pauses == [180, 180, 180, 360, 720, 1440, 2880]
    assert outcomes.retry_pause(40, 3, 180) == outcomes.MAX_PAUSE


def test_a_stuck_item_waits_until_its_next_retry(con: duckdb.DuckDBPyConnection) -> None:
    add(con, "units", "U-1", "create", 2, {"number": "1"})
    add(con, "units", "U-2", "create", 2, {"number": "2"})
    stuck, failed = list(load_plan(con))
    for run_id in (1, 2, 3, 4):
        outcomes.record(con, run_id, [Outcome(stuck, False, 400, "HTTP 400")], stuck_after=3)
    outcomes.record(con, 4, [Outcome(failed, False, 500, "HTTP 500")], stuck_after=3)
    last = con.execute(
        "select last_attempt_at from portal_sync.publish_items where resource_id = 'U-1'"
    ).fetchone()[0]
    # 4 failures, stuck after 3: pause 2 intervals of 180 s, due half an interval early
    due = last + timedelta(seconds=270)
    assert outcomes.waiting(con, 3, 180, at=due - timedelta(seconds=1)) == {("units", "U-1"): due}
    assert outcomes.waiting(con, 3, 180, at=due) == {}  # failed (not stuck) items never wait


def test_prepare_holds_back_a_waiting_stuck_item(con: duckdb.DuckDBPyConnection) -> None:
    add(con, "units", "U-1", "create", 2, {"number": "1"})
    add(con, "units", "U-2", "create", 2, {"number": "2"})
    stuck = next(iter(load_plan(con)))
    for run_id in (1, 2, 3):
        outcomes.record(con, run_id, [Outcome(stuck, False, 400, "HTTP 400")], stuck_after=3)
    settings = Settings.model_validate({"portal": {"stuck_after_failures": 3}})
    prepared = prepare(con, settings, check_snapshot_first=False)
    assert [change.resource_id for change in prepared.plan] == ["U-2"]
    assert len(prepared.full_plan) == 2
    assert set(prepared.waiting) == {("units", "U-1")}
    assert "1 stuck item(s) wait for their next retry" in (prepared.waiting_text() or "")
