"""The orchestration of `portal-sync sync`, `plan`, `status` and `run`.

`sync` = A1 check → lock → ingest → `dbt build` → publish → `dbt build -s tag:writeback`
→ write-back, recorded as one run in `portal_sync.runs`. Each stage opens the warehouse,
works and closes it again (one DuckDB writer at a time).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from portal_sync import protocol
from portal_sync.dbt import dbt_target
from portal_sync.errors import UserError
from portal_sync.runlock import RunLockedError, run_lock
from portal_sync.settings import Settings
from portal_sync.warehouse import connect

ACTIVE_SETTING = "Schnittstelle/Mieterportal/Aktiv"
PLAN_MODEL = "plan_changes"
#: Rebuilt after publishing (they read the publisher's outcomes in `publish_items`).
WRITEBACK_SELECTOR = "tag:writeback"
EXIT_CHANGES = 2  # `plan`: there are changes
EXIT_PARTIAL = 1  # `sync`: done, but some items failed or were held back


@dataclass(frozen=True)
class SyncOptions:
    docuware_only: bool = False
    no_docuware: bool = False
    full: bool = False
    force: bool = False

    def __post_init__(self) -> None:
        if self.docuware_only and self.no_docuware:
            raise UserError("--docuware-only and --no-docuware exclude each other")

    @property
    def text(self) -> str:
        flags = [("--docuware-only", self.docuware_only), ("--no-docuware", self.no_docuware)]
        flags += [("--full", self.full), ("--force", self.force)]
        return " ".join(flag for flag, on in flags if on)

    @property
    def scope(self) -> Any:
        from publishers.casavi.publish import Scope

        if self.docuware_only:
            return Scope.docuware_only
        if self.no_docuware:
            return Scope.no_docuware
        return Scope.all


# -- A1 -----------------------------------------------------------------------------------------
def interface_active(settings: Settings) -> bool:
    """A1: iX-Haus `system_settings['Schnittstelle/Mieterportal/Aktiv'] == '1'`, read directly.

    Raises:
        UserError: the iX-Haus database cannot be read.
    """
    from portal_sync.ixhaus_schema import system_settings

    engine = sa.create_engine(settings.ixhaus_url)
    try:
        with engine.connect() as connection:
            value = connection.execute(
                sa.select(system_settings.c.setting_value).where(
                    system_settings.c.setting_key == ACTIVE_SETTING
                )
            ).scalar_one_or_none()
    except sa.exc.SQLAlchemyError as exc:
        where = sa.engine.make_url(settings.ixhaus_url).render_as_string(hide_password=True)
        cause = getattr(exc, "orig", None) or exc
        first = (str(cause).splitlines() or [type(cause).__name__])[0]
        raise UserError(f"iX-Haus database {where} cannot be read: {first}") from None
    finally:
        engine.dispose()
    return str(value).strip() == "1" if value is not None else False


INACTIVE_MESSAGE = f"interface inactive: iX-Haus setting {ACTIVE_SETTING} is not '1' — nothing done"


# -- stages ------------------------------------------------------------------------------------------
def _ingest(settings: Settings, options: SyncOptions, run_id: int | None) -> dict[str, int]:
    """Ingest into this run without taking the run lock (the sync holds it)."""
    from dlt_pipelines.run import ingest_unlocked

    report = ingest_unlocked(
        settings,
        docuware_only=options.docuware_only,
        no_docuware=options.no_docuware,
        full=options.full,
        run_id=run_id,
    )
    return dict(report.counts())


@dataclass
class Build:
    gate: Any  # publishers.casavi.gates.TestGate
    problems: list[str]  # failing dbt nodes outside the publisher's models (reported)
    skipped_since: int | None = None  # the build was skipped: inputs as in this run's build


def build_plan(settings: Settings, run_id: int | None = None, rebuild: bool = False) -> Build:
    """`dbt build`, then check its results: the plan must be fresh; failing tests on the models
    the publisher reads block the collections they guard.

    The build is skipped when nothing it reads changed since the last clean build
    (`portal_sync.buildinputs`), unless `rebuild`. When a failing test skipped the plan
    model, the plan is rebuilt without tests (`dbt run -s +plan_changes`) and the guarded
    collections stay blocked.

    Raises:
        PlanRefused: the plan could not be built in this run.
    """
    from portal_sync.dbt import dbt_vars, run_dbt
    from publishers.casavi.gates import TestGate, read_build, refuse_unless_plan_built

    target = dbt_target(settings)
    variables = dbt_vars(settings)
    before = None if rebuild else _unchanged_since(settings, target, variables)
    if before is not None:
        return Build(TestGate(), [], skipped_since=before)
    build_error: UserError | None = None
    try:
        run_dbt(settings, ["build"])
    except UserError as exc:
        build_error = exc
    result = read_build(target)
    if build_error is not None and not result.other_failures and not result.gate.blocked:
        result.other_failures.append(str(build_error))
    clean = result.plan_status == "success" and not result.gate.blocked
    if result.plan_status != "success" and result.gate.blocked and not result.other_failures:
        rebuilt = read_build_after(settings, ["run", "-s", f"+{PLAN_MODEL}"])
        result.plan_status = rebuilt
    refuse_unless_plan_built(result)
    if clean and not result.other_failures:
        _remember_inputs(settings, target, variables, run_id)
    return Build(result.gate, result.other_failures)


def _unchanged_since(settings: Settings, target: Path, variables: dict[str, Any]) -> int | None:
    """The run of the last clean build when this run's inputs equal its inputs, else None."""
    from portal_sync import buildinputs
    from portal_sync.dbt import PROJECT_DIR

    record = buildinputs.last_clean(target)
    if record is None:
        return None
    with connect(settings.warehouse_path, read_only=True) as con:
        if not buildinputs.tables_exist(con, record["outputs"]):
            return None
        fingerprint = buildinputs.inputs(con, variables, PROJECT_DIR, record["tables"])
    if fingerprint != record["fingerprint"]:
        return None
    return int(record["run_id"]) if record.get("run_id") is not None else 0


def _remember_inputs(
    settings: Settings, target: Path, variables: dict[str, Any], run_id: int | None
) -> None:
    from portal_sync import buildinputs
    from portal_sync.dbt import PROJECT_DIR

    manifest = target / "manifest.json"
    tables = buildinputs.source_tables(manifest)
    outputs = buildinputs.model_tables(manifest)
    with connect(settings.warehouse_path, read_only=True) as con:
        fingerprint = buildinputs.inputs(con, variables, PROJECT_DIR, tables)
    buildinputs.remember(target, fingerprint, tables, outputs, run_id)


def read_build_after(settings: Settings, args: list[str]) -> str:
    from portal_sync.dbt import run_dbt

    try:
        outcome = run_dbt(settings, args)
    except UserError as exc:
        return f"error ({exc})"
    return str(outcome.statuses.get(PLAN_MODEL, "not built"))


def _writeback(settings: Settings, run_id: int, client: Any, rebuild: bool) -> dict[str, int]:
    """Rebuild the write-back models when something was published, then write back."""
    from portal_sync.dbt import run_dbt
    from publishers.ixhaus import writeback

    if rebuild:  # else the models of this run's first build are still current
        run_dbt(settings, ["build", "-s", WRITEBACK_SELECTOR])
    with connect(settings.warehouse_path) as con:
        counts = writeback(settings, con, run_id, casavi_client=client)
    return {f"writeback.{key}": value for key, value in (counts or {}).items()}


# -- sync ----------------------------------------------------------------------------------------------
@dataclass
class SyncResult:
    run_id: int | None
    status: str  # success, partial, refused, failed, inactive
    exit_code: int
    counts: dict[str, int]


@contextmanager
def _stage(console: Console, name: str) -> Iterator[list[str]]:
    """Time a stage and print one line; the body may add notes to the yielded list."""
    started = time.perf_counter()
    notes: list[str] = []
    with console.status(f"{name} …") if console.is_terminal else nullcontext():
        yield notes
    suffix = f" ({'; '.join(notes)})" if notes else ""
    console.print(f"  {name:<9} done in {time.perf_counter() - started:.1f} s{suffix}")


def _build_stage(console: Console, settings: Settings, run_id: int, rebuild: bool = False) -> Build:
    with _stage(console, "dbt build") as notes:
        build = build_plan(settings, run_id, rebuild=rebuild)
        if build.skipped_since is not None:
            notes.append(f"skipped: its inputs are unchanged since run {build.skipped_since}")
    return build


def _progress(console: Console, total: int) -> Progress:
    return Progress(
        TextColumn("  publish  "),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal or total < 20,
    )


def _prefixed(stage: str, key: str) -> str:
    return key if key.startswith(f"{stage}.") else f"{stage}.{key}"


def _record_inactive(settings: Settings, command: str, options: str) -> None:
    """Record the inactive run (A5) if the warehouse is free; never blocks or fails the command."""
    with contextlib.suppress(UserError), connect(settings.warehouse_path) as con:
        run_id = protocol.start_run(con, command, options)
        protocol.finish_run(con, run_id, "inactive", error=INACTIVE_MESSAGE)


def sync(
    settings: Settings,
    options: SyncOptions,
    console: Console,
    services: Callable[[], AbstractContextManager[Any]] | None = None,
) -> SyncResult:
    """One sync run. `services` starts the local emulators around the run (`--with-emulators`).

    Raises:
        UserError: refused (F1/F2/B15, recorded as `refused`) or failed (recorded as `failed`).
    """
    if not interface_active(settings):
        console.print(INACTIVE_MESSAGE)
        _record_inactive(settings, "sync", options.text)
        return SyncResult(None, "inactive", 0, {})
    with (
        (services or nullcontext)(),
        run_lock(settings.warehouse_path, f"portal-sync sync {options.text}".strip()),
    ):
        return _locked_sync(settings, options, console)


def _locked_sync(settings: Settings, options: SyncOptions, console: Console) -> SyncResult:
    from publishers.casavi import outcomes
    from publishers.casavi.api import CasaviClient
    from publishers.casavi.gates import check_snapshot
    from publishers.casavi.plan import PlanRefused
    from publishers.casavi.publish import prepare, publish

    with connect(settings.warehouse_path) as con:
        run_id = protocol.start_run(con, "sync", options.text)
        outcomes.ensure(con)
    counts: dict[str, int] = {}
    status, error = "failed", None
    summary: Any = None
    try:
        ingest_started = protocol.now()
        with _stage(console, "ingest"):
            ingested = _ingest(settings, options, run_id)
        counts.update(
            {_prefixed("ingest", k): v for k, v in ingested.items() if isinstance(v, int)}
        )
        with connect(settings.warehouse_path, read_only=True) as con:
            # F1 first (the snapshot does not change during dbt); --docuware-only does not
            # read casavi, so then the snapshot's age decides
            check_snapshot(
                con,
                settings.casavi.snapshot_max_age_minutes,
                None if options.docuware_only else ingest_started,
            )
        build = _build_stage(console, settings, run_id, rebuild=options.full)
        if build.skipped_since is not None:
            counts["dbt.build.skipped"] = 1
        with connect(settings.warehouse_path) as con:
            prepared = prepare(
                con,
                settings,
                scope=options.scope,
                force=options.force,
                gate=build.gate,
                check_snapshot_first=False,
            )
            for problem in build.problems:
                protocol.record_error(con, run_id, "dbt", None, problem)
            with CasaviClient.from_settings(settings) as client:
                with _progress(console, len(prepared.plan)) as bar:
                    task = bar.add_task("publish", total=len(prepared.plan))
                    report = publish(
                        con,
                        settings,
                        run_id,
                        prepared,
                        scope=options.scope,
                        on_outcome=lambda _: bar.advance(task),
                        client=client,
                    )
                console.print(
                    f"  {'publish':<9} done in {report.seconds:.1f} s ({report.requests_sent} requests)"
                )
                counts.update(report.counts())
        if not options.docuware_only:
            with _stage(console, "write-back"), CasaviClient.from_settings(settings) as client:
                counts.update(
                    _writeback(
                        settings, run_id, client, rebuild=bool(report.outcomes or report.settled)
                    )
                )
        failed_items = len(report.failed)
        held_back = bool(prepared.blocked) or bool(build.problems) or bool(prepared.waiting)
        status = (
            "partial" if failed_items or held_back or counts.get("writeback.failed") else "success"
        )
        summary = report
        if status == "partial":
            parts = [f"{failed_items} item(s) failed"] if failed_items else []
            parts += list(prepared.blocked.values()) + build.problems
            parts += [text for text in [prepared.waiting_text()] if text]
            error = "; ".join(parts)[:500]
    except PlanRefused as exc:
        status, error = "refused", str(exc)
        raise
    except UserError as exc:
        status, error = "failed", str(exc)
        raise
    except KeyboardInterrupt:
        status, error = "failed", "interrupted (Ctrl-C)"
        raise
    except Exception as exc:
        status, error = (
            "failed",
            f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
        )
        raise
    finally:
        with connect(settings.warehouse_path) as con:
            if error and status in ("refused", "failed"):
                protocol.record_error(con, run_id, "sync", None, error)
            protocol.finish_run(con, run_id, status, counts, error)
    print_summary(console, run_id, status, summary, counts, error)
    return SyncResult(run_id, status, 0 if status == "success" else EXIT_PARTIAL, counts)


def print_summary(
    console: Console,
    run_id: int,
    status: str,
    report: Any,
    counts: dict[str, int],
    error: str | None,
) -> None:
    """One screen: what was published per collection and action, failures, write-back."""
    table = Table(title=f"run {run_id}: {status}", title_justify="left", show_edge=False)
    table.add_column("collection")
    for header in ("create", "update", "delete", "failed"):
        table.add_column(header, justify="right")
    per: dict[str, dict[str, int]] = {}
    for outcome in report.outcomes if report else []:
        row = per.setdefault(
            outcome.change.collection, {"create": 0, "update": 0, "delete": 0, "failed": 0}
        )
        row[outcome.change.action if outcome.ok else "failed"] += 1
    for collection, row in per.items():
        table.add_row(collection, *(str(row[k]) for k in ("create", "update", "delete", "failed")))
    if per:
        console.print(table)
    else:
        console.print(f"run {run_id}: {status} — casavi is up to date, nothing to publish")
    if report:
        for reason in report.prepared.blocked.values():
            console.print(f"[yellow]held back:[/] {escape(reason)}")
        waiting = report.prepared.waiting_text()
        if waiting:
            console.print(f"[yellow]held back:[/] {escape(waiting)}")
        failed = report.failed
        for outcome in failed[:10]:
            console.print(
                f"[red]failed:[/] {escape(outcome.change.item)}: {escape(outcome.error or '')}"
            )
        if len(failed) > 10:
            console.print(
                f"[red]… and {len(failed) - 10} more failed items[/] (portal-sync status)"
            )
    writeback = {
        k.removeprefix("writeback."): v
        for k, v in counts.items()
        if k.startswith("writeback.") and v
    }
    if writeback:
        console.print("write-back: " + ", ".join(f"{k} {v}" for k, v in sorted(writeback.items())))
    if error and status == "partial":
        console.print(f"[yellow]{escape(error)}[/]")


# -- plan ---------------------------------------------------------------------------------------------
def plan(
    settings: Settings,
    console: Console,
    details: bool = False,
    services: Callable[[], AbstractContextManager[Any]] | None = None,
) -> int:
    """D4: ingest → dbt build → print the plan; exit 0 = no changes, 2 = changes. Sends nothing."""
    from publishers.casavi.plan import PlanRefused
    from publishers.casavi.publish import prepare

    if not interface_active(settings):
        console.print(INACTIVE_MESSAGE)
        return 0
    with (services or nullcontext)(), run_lock(settings.warehouse_path, "portal-sync plan"):
        with connect(settings.warehouse_path) as con:
            run_id = protocol.start_run(con, "plan", "--details" if details else "")
        status, error, counts = "failed", None, {}
        try:
            ingest_started = protocol.now()
            with _stage(console, "ingest"):
                _ingest(settings, SyncOptions(), run_id)
            build = _build_stage(console, settings, run_id)
            warnings: list[str] = []
            with connect(settings.warehouse_path) as con:
                try:
                    from publishers.casavi.gates import check_snapshot

                    check_snapshot(con, settings.casavi.snapshot_max_age_minutes, ingest_started)
                except PlanRefused as exc:
                    warnings.append(
                        str(exc).replace("refusing to publish", "sync would refuse to publish")
                    )
                prepared = prepare(
                    con, settings, force=True, gate=build.gate, check_snapshot_first=False
                )
            if prepared.delete_ratio_problems:
                warnings.append(
                    "sync would refuse without --force: the plan deletes more than "
                    f"{settings.portal.max_delete_ratio:.0%} of {'; '.join(prepared.delete_ratio_problems)} (F2)"
                )
            warnings += list(prepared.blocked.values()) + build.problems
            warnings += [text for text in [prepared.waiting_text()] if text]
            print_plan(console, prepared.full_plan, details)
            for warning in warnings:
                console.print(f"[yellow]{escape(warning)}[/]")
            counts = prepared.full_plan.flat_counts("plan")
            status = "success"
        except UserError as exc:
            error = str(exc)
            raise
        finally:
            with connect(settings.warehouse_path) as con:
                protocol.finish_run(con, run_id, status, counts, error)
    return EXIT_CHANGES if len(prepared.full_plan) else 0


def print_plan(console: Console, plan: Any, details: bool) -> None:
    counts = plan.counts()
    if not counts:
        console.print("no changes: casavi matches iX-Haus")
        return
    table = Table(title="plan (nothing sent)", title_justify="left", show_edge=False)
    table.add_column("collection")
    for header in ("create", "update", "delete"):
        table.add_column(header, justify="right")
    for collection, actions in counts.items():
        table.add_row(collection, *(str(actions[a]) for a in ("create", "update", "delete")))
    console.print(table)
    if details:
        signs = {"create": "+", "update": "~", "delete": "-"}
        for change in plan:
            title = ""
            payload = getattr(change, "payload", None) or {}
            for key in ("name", "title", "lastName", "companyName", "number", "text", "fileName"):
                if payload.get(key):
                    title = f"  {str(payload[key])[:60]}"
                    break
            console.print(f"  {signs[change.action]} {change.item}{escape(title)}", soft_wrap=True)


# -- status ---------------------------------------------------------------------------------------------
def status(settings: Settings, console: Console, last: int = 10) -> int:
    """A5/A6: last runs, whether syncs stopped running, stuck items. Read-only."""
    with connect(settings.warehouse_path, read_only=True) as con:
        tables = {
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_schema = 'portal_sync'"
            ).fetchall()
        }
        if "runs" not in tables:
            console.print("no runs yet: run `portal-sync sync`")
            return 0
        runs = con.execute(
            "select run_id, command, options, started_at, finished_at, status, counts, error "
            "from portal_sync.runs order by run_id desc limit ?",
            [last],
        ).fetchall()
        last_ok = con.execute(
            "select max(started_at) from portal_sync.runs where command = 'sync' and status in ('success', 'partial')"
        ).fetchone()
        stuck: list[tuple[Any, ...]] = []
        failed = 0
        if "publish_items" in tables:
            stuck = con.execute(
                "select collection, resource_id, consecutive_failures, last_error, last_attempt_at "
                "from portal_sync.publish_items where status = 'stuck' order by collection, resource_id"
            ).fetchall()
            row = con.execute(
                "select count(*) from portal_sync.publish_items where status = 'failed'"
            ).fetchone()
            failed = int(row[0]) if row else 0
    table = Table(title="last runs", title_justify="left", show_edge=False)
    for header in ("run", "command", "started (UTC)", "took", "status", "changes", "error"):
        table.add_column(header)
    for run_id, command, options, started, finished, run_status, counts, run_error in runs:
        took = (
            f"{(finished - started).total_seconds():.0f} s" if finished else "(running or crashed)"
        )
        changes = _changes_text(counts)
        label = f"{command} {options or ''}".strip()
        table.add_row(
            str(run_id),
            label,
            f"{started:%Y-%m-%d %H:%M:%S}",
            took,
            run_status,
            changes,
            escape((run_error or "")[:80]),
        )
    console.print(table)
    limit = timedelta(seconds=2 * settings.schedule.every_seconds)
    last_time: datetime | None = last_ok[0] if last_ok else None
    if last_time is None:
        console.print("[red]sync not running:[/] no successful sync recorded yet")
    elif protocol.now() - last_time > limit:
        console.print(
            f"[red]sync not running:[/] the last successful sync started {last_time:%Y-%m-%d %H:%M:%S} UTC, "
            f"more than 2 × schedule.every_seconds ({settings.schedule.every_seconds} s) ago"
        )
    else:
        console.print(
            f"sync running: last successful sync started {last_time:%Y-%m-%d %H:%M:%S} UTC"
        )
    if failed:
        console.print(f"{failed} item(s) failed in their last attempt (retried on every run)")
    if stuck:
        from publishers.casavi.outcomes import next_retry

        console.print(
            f"[red]{len(stuck)} stuck item(s)[/] (failed on {settings.portal.stuck_after_failures}+ runs "
            "in a row; retried with a pause that doubles after every failure):"
        )
        for collection, resource_id, failures, last_error, attempted in stuck:
            due = next_retry(
                attempted,
                failures,
                settings.portal.stuck_after_failures,
                settings.schedule.every_seconds,
            )
            console.print(
                f"  {collection}/{resource_id}: {failures} failed runs, last {attempted:%Y-%m-%d %H:%M:%S}, "
                f"next retry from {due:%Y-%m-%d %H:%M:%S}: {escape(last_error or '')}",
                soft_wrap=True,
            )
    else:
        console.print("no stuck items")
    return 0


def _changes_text(counts: Any) -> str:
    if not counts:
        return ""
    values = json.loads(counts) if isinstance(counts, str) else counts
    total = sum(
        v
        for k, v in values.items()
        if isinstance(v, int) and k.startswith(("publish.", "plan.")) and not k.endswith(".failed")
    )
    failed = sum(v for k, v in values.items() if isinstance(v, int) and k.endswith(".failed"))
    return f"{total}" + (f" ({failed} failed)" if failed else "")


# -- run loop -------------------------------------------------------------------------------------------
def run_loop(
    settings: Settings,
    options: SyncOptions,
    console: Console,
    every_seconds: int,
    services: Callable[[], AbstractContextManager[Any]] | None = None,
    max_runs: int | None = None,
) -> int:
    """A4: call `sync` every `every_seconds`, never overlapping (the run lock); Ctrl-C stops."""
    runs = 0
    try:
        while max_runs is None or runs < max_runs:
            started = time.monotonic()
            runs += 1
            try:
                sync(settings, options, console, services)
            except RunLockedError as exc:
                console.print(f"skipped: {escape(str(exc))}")
            except UserError as exc:
                console.print(f"[red]error:[/] {escape(str(exc))}")
            if max_runs is not None and runs >= max_runs:
                break
            wait = every_seconds - (time.monotonic() - started)
            if wait > 0:
                console.print(f"next sync in {wait:.0f} s (Ctrl-C stops)")
                time.sleep(wait)
    except KeyboardInterrupt:
        console.print("stopped")
    return 0
