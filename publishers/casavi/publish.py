"""Publish the plan to casavi: checks → plan → apply → outcomes.

`prepare()` reads the plan and runs every safety check (F1, B15, F2, dbt tests) without
sending anything — `portal-sync plan` prints its result; `publish()` applies it.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

import duckdb

from portal_sync.protocol import record_error
from portal_sync.settings import Settings
from publishers.casavi import outcomes as outcome_store
from publishers.casavi.api import COLLECTIONS, CasaviClient
from publishers.casavi.apply import Context, Outcome, apply_plan
from publishers.casavi.files import FileStore
from publishers.casavi.gates import TestGate, check_snapshot
from publishers.casavi.plan import (
    Change,
    Plan,
    PlanRefused,
    imported_portal_tickets,
    load_plan,
    owned_in_casavi,
)

STAGE = "publish"


class Scope(StrEnum):
    """Which part of the plan a run publishes (A3)."""

    all = "all"
    docuware_only = "docuware_only"  # only DocuWare documents (DW-…)
    no_docuware = "no_docuware"  # everything but DocuWare documents

    def keeps(self, change: Change) -> bool:
        is_docuware = change.resource_id.startswith("DW-")
        if self is Scope.docuware_only:
            return is_docuware
        if self is Scope.no_docuware:
            return not is_docuware
        return True

    @property
    def prefix_filter(self) -> str | None:
        return {Scope.docuware_only: "DW-", Scope.no_docuware: "!DW-"}.get(self)


@dataclass
class Prepared:
    """A plan that passed the checks, with what is held back and why."""

    plan: Plan  # what will be applied
    full_plan: Plan  # the plan in scope, before blocking
    blocked: dict[str, str] = field(default_factory=dict)  # collection -> reason
    delete_ratio_problems: list[str] = field(default_factory=list)
    forced: bool = False
    waiting: dict[tuple[str, str], datetime] = field(default_factory=dict)  # stuck, not due (A6)

    def waiting_text(self) -> str | None:
        """One line about the stuck items that wait for their next retry, or None."""
        if not self.waiting:
            return None
        soonest = min(self.waiting.values())
        return (
            f"{len(self.waiting)} stuck item(s) wait for their next retry (backoff, A6; "
            f"the first at {soonest:%Y-%m-%d %H:%M} UTC; `portal-sync status` lists them)"
        )


@dataclass
class PublishReport:
    prepared: Prepared
    outcomes: list[Outcome]
    requests_sent: int
    seconds: float
    settled: int = 0

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    def counts(self) -> dict[str, int]:
        """`publish.<collection>.<action>` = confirmed; `….failed` = failed items."""
        counter: Counter[str] = Counter()
        for outcome in self.outcomes:
            change = outcome.change
            key = f"{STAGE}.{change.collection}.{change.action}"
            counter[key if outcome.ok else f"{key}.failed"] += 1
        return dict(counter)


def prepare(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    *,
    scope: Scope = Scope.all,
    force: bool = False,
    gate: TestGate | None = None,
    snapshot_not_before: datetime | None = None,
    check_snapshot_first: bool = True,
) -> Prepared:
    """Read the plan and run the safety checks.

    Raises:
        PlanRefused: F1 (snapshot), B15 (a foreign id), F2 (too many deletes, without `force`).
    """
    if check_snapshot_first:
        check_snapshot(con, settings.casavi.snapshot_max_age_minutes, snapshot_not_before)
    full = load_plan(con).where(scope.keeps)
    full.check_ownership(imported_portal_tickets(con))
    owned = owned_in_casavi(
        con, {change.collection for change in full if change.action == "delete"}
    )
    problems = full.delete_ratio_violations(owned, settings.portal.max_delete_ratio)
    if problems and not force:
        raise PlanRefused(
            f"refusing to publish: the plan deletes more than {settings.portal.max_delete_ratio:.0%} of "
            f"{'; '.join(problems)} (F2); check the plan with `portal-sync plan --details`, rerun with --force if intended"
        )
    blocked = {}
    if gate is not None:
        for collection in {change.collection for change in full}:
            reason = gate.reason(collection)
            if reason:
                blocked[collection] = reason
    planned = {(change.collection, change.resource_id) for change in full}
    waiting = {
        key: due
        for key, due in outcome_store.waiting(
            con, settings.portal.stuck_after_failures, settings.schedule.every_seconds
        ).items()
        if key in planned
    }
    plan = full.where(
        lambda change: (
            change.collection not in blocked
            and (change.collection, change.resource_id) not in waiting
        )
    )
    return Prepared(
        plan=plan,
        full_plan=full,
        blocked=blocked,
        delete_ratio_problems=problems,
        forced=bool(problems),
        waiting=waiting,
    )


def publish(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    run_id: int,
    prepared: Prepared,
    *,
    scope: Scope = Scope.all,
    on_outcome: Callable[[Outcome], None] | None = None,
    client: CasaviClient | None = None,
) -> PublishReport:
    """Apply a prepared plan and record every outcome (publish_items, run_errors).

    Raises:
        UserError: casavi unreachable or the credentials refused.
    """
    outcome_store.ensure(con)
    for reason in prepared.blocked.values():
        record_error(con, run_id, STAGE, None, reason)
    started = time.perf_counter()
    own_client = client is None
    casavi = client or CasaviClient.from_settings(settings)
    files = FileStore(settings)
    try:
        results = apply_plan(
            prepared.plan, Context(casavi, files), settings.casavi.concurrency, on_outcome
        )
    finally:
        files.close()
        if own_client:
            casavi.close()
    seconds = time.perf_counter() - started
    outcome_store.record(con, run_id, results, settings.portal.stuck_after_failures)
    for outcome in results:
        if not outcome.ok:
            record_error(con, run_id, STAGE, outcome.change.item, outcome.error or "failed")
    planned = {(change.collection, change.resource_id) for change in prepared.full_plan}
    published = set(COLLECTIONS) - set(prepared.blocked)
    settled = outcome_store.settle_absent(con, run_id, planned, published, scope.prefix_filter)
    return PublishReport(prepared, results, casavi.requests_sent, seconds, settled)
