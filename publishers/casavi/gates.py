"""Checks before publishing: the casavi snapshot (F1) and the dbt tests guarding the plan.

F1: publishing from a missing, stale, failed or partial snapshot would look like
"everything is new" (or "everything is gone"), so it is refused.

dbt tests: a failing test on a model the publisher reads (`desired_<collection>` or
`plan_changes`) blocks the collection(s) it guards, naming the test. A plan model that was
not (re)built by this run's build is stale, so then nothing is published.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from portal_sync.protocol import now
from publishers.casavi.api import COLLECTIONS
from publishers.casavi.plan import PlanRefused

PLAN_MODEL = "plan_changes"
_DESIRED_PREFIX = "desired_"
_FAILED_TEST = {"fail", "error", "warn"}
_TABLE_TO_COLLECTION = {c.replace("-", "_"): c for c in COLLECTIONS}


@dataclass(frozen=True)
class Snapshot:
    snapshot_id: str
    started_at: datetime | None
    finished_at: datetime | None
    status: str
    is_full: bool


def latest_snapshot(con: duckdb.DuckDBPyConnection) -> Snapshot | None:
    """The snapshot the tables in `raw_casavi` hold (`dlt_pipelines.casavi.latest_snapshot`)."""
    from dlt_pipelines.casavi import latest_snapshot as ingest_latest

    found = ingest_latest(con)
    if found is None:
        return None
    return Snapshot(
        snapshot_id=str(found["snapshot_id"]),
        started_at=found["started_at"],
        finished_at=found["finished_at"],
        status=str(found["status"]),
        is_full=bool(found["is_full"]),
    )


def check_snapshot(
    con: duckdb.DuckDBPyConnection, max_age_minutes: int, not_before: datetime | None = None
) -> Snapshot:
    """F1: the casavi state the plan was computed from must be complete and fresh.

    Args:
        not_before: start of this sync's ingest (UTC, naive); an older snapshot is stale.

    Raises:
        PlanRefused: naming why.
    """
    snapshot = latest_snapshot(con)
    if snapshot is None:
        raise PlanRefused(
            "refusing to publish: there is no casavi snapshot (ingest of the casavi state never ran)"
        )
    if snapshot.status != "complete" or snapshot.finished_at is None:
        raise PlanRefused(
            f"refusing to publish: the latest casavi snapshot {snapshot.snapshot_id} is {snapshot.status or 'unfinished'} "
            "(a failed or partial load would look like 'everything is new')"
        )
    if (
        not_before is not None
        and snapshot.started_at is not None
        and snapshot.started_at < not_before
    ):
        raise PlanRefused(
            f"refusing to publish: the casavi snapshot {snapshot.snapshot_id} is stale "
            f"(taken {snapshot.started_at:%Y-%m-%d %H:%M:%S} UTC, before this sync's ingest)"
        )
    age = now() - snapshot.finished_at
    if age > timedelta(minutes=max_age_minutes):
        raise PlanRefused(
            f"refusing to publish: the casavi snapshot {snapshot.snapshot_id} is stale "
            f"({int(age.total_seconds() // 60)} minutes old, more than casavi.snapshot_max_age_minutes = {max_age_minutes})"
        )
    return snapshot


@dataclass
class TestGate:
    """Collections blocked by failing dbt tests: `{collection: [test names]}`."""

    blocked: dict[str, list[str]] = field(default_factory=dict)

    def reason(self, collection: str) -> str | None:
        tests = self.blocked.get(collection)
        if not tests:
            return None
        return f"{collection} not published: dbt test {', '.join(sorted(tests))} failed"


def _model_collection(model_name: str) -> list[str] | None:
    """The collections a model guards: all for the plan, one for a desired_* model."""
    if model_name == PLAN_MODEL:
        return list(COLLECTIONS)
    if model_name.startswith(_DESIRED_PREFIX):
        collection = _TABLE_TO_COLLECTION.get(model_name[len(_DESIRED_PREFIX) :])
        return [collection] if collection else None
    return None


@dataclass
class BuildResult:
    """What this sync's `dbt build` left in `target/`."""

    gate: TestGate
    plan_status: str | None  # status of the plan model in the build; None = not in it
    other_failures: list[str]  # failing tests/models not on a model the publisher reads


def read_build(target: Path) -> BuildResult:
    """Read `run_results.json` + `manifest.json` of the build that just ran.

    Raises:
        PlanRefused: the build left no results.
    """
    results_path, manifest_path = target / "run_results.json", target / "manifest.json"
    if not results_path.exists() or not manifest_path.exists():
        raise PlanRefused(
            f"refusing to publish: no dbt results in {target} (the dbt build did not run)"
        )
    results = json.loads(results_path.read_text(encoding="utf-8")).get("results", [])
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    nodes = {**manifest.get("nodes", {}), **manifest.get("unit_tests", {})}
    gate = TestGate()
    plan_status: str | None = None
    others: list[str] = []
    for result in results:
        node = nodes.get(result.get("unique_id", ""), {})
        status = str(result.get("status", ""))
        kind = node.get("resource_type")
        name = str(node.get("name", result.get("unique_id", "?")))
        if kind == "model" and name == PLAN_MODEL:
            plan_status = status
        if status == "error" and kind != "test":
            others.append(f"{kind} {name}")
            continue
        if kind not in ("test", "unit_test") or status not in _FAILED_TEST:
            continue
        if status == "warn" and not result.get("failures"):
            continue
        guarded = [
            collection
            for parent in node.get("depends_on", {}).get("nodes", [])
            if nodes.get(parent, {}).get("resource_type") == "model"
            for collection in _model_collection(str(nodes[parent].get("name", ""))) or []
        ]
        if kind == "unit_test" or not guarded:
            if status != "warn":
                others.append(f"dbt test {name}")
            continue
        for collection in guarded:
            gate.blocked.setdefault(collection, []).append(name)
    return BuildResult(gate, plan_status, others)


def refuse_unless_plan_built(build: BuildResult) -> None:
    """Refuse when the plan model is not fresh from this build.

    Raises:
        PlanRefused: naming the failing tests or models.
    """
    if build.plan_status == "success":
        return
    failing = build.other_failures + sorted(
        {f"dbt test {t}" for tests in build.gate.blocked.values() for t in tests}
    )
    because = f": {', '.join(failing)} failed" if failing else ""
    raise PlanRefused(
        f"refusing to publish: the plan model {PLAN_MODEL} was not built in this run "
        f"({build.plan_status or 'not selected'}){because}"
    )
