"""Run the dbt project (`dbt_project.yml` at the repo root) with the settings as `vars`.

The settings file is the only place a rule setting lives: `dbt_vars()` turns it into the
dbt vars on every run, `run_dbt()` invokes dbt programmatically against the warehouse of
the settings. dbt's own output stays quiet; a failing model or test becomes one
`UserError` line naming it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from portal_sync.errors import UserError
from portal_sync.settings import Settings

PROJECT_DIR = Path(__file__).resolve().parent.parent
TODAY_ENV = "PORTAL_SYNC_TODAY"
WAREHOUSE_ENV = "PORTAL_SYNC_WAREHOUSE"
TIMEZONE = "Europe/Berlin"


def today(environ: dict[str, str] | None = None) -> date:
    """`PORTAL_SYNC_TODAY` (YYYY-MM-DD) or the current date in Europe/Berlin.

    Raises:
        UserError: when `PORTAL_SYNC_TODAY` is not a date.
    """
    env = os.environ if environ is None else environ
    raw = env.get(TODAY_ENV, "").strip()
    if raw:
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise UserError(f"{TODAY_ENV}={raw!r} is not a date (expected YYYY-MM-DD)") from None
    return datetime.now(ZoneInfo(TIMEZONE)).date()


def dbt_vars(settings: Settings, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Every rule setting of `[portal]` and `[docuware]` as dbt vars (plus `today`)."""
    portal = settings.portal
    docuware = settings.docuware
    return {
        "today": today(environ).isoformat(),
        "technical_user": settings.ixhaus.technical_user,
        "object_ranges": [[low, high] for low, high in portal.object_ranges],
        "person_types": list(portal.person_types),
        "document_types": list(portal.document_types),
        "document_types_without_time_filter": list(portal.document_types_without_time_filter),
        "business_year_start_month": portal.business_year_start_month,
        "days_before_move_in": portal.days_before_move_in,
        "days_after_move_out": portal.days_after_move_out,
        "owner_documents": portal.owner_documents,
        "max_file_size_mb": portal.max_file_size_mb,
        "max_delete_ratio": portal.max_delete_ratio,
        "stuck_after_failures": portal.stuck_after_failures,
        "docuware_enabled": docuware.enabled,
        "docuware_document_types": list(docuware.document_types),
        "docuware_filter": [
            {
                "field": rule.field.upper(),
                "equals": rule.equals,
                "not_equals": rule.not_equals,
                "in": list(rule.in_) if rule.in_ is not None else None,
            }
            for rule in docuware.filter
        ],
    }


@dataclass
class DbtOutcome:
    """What a dbt invocation did: node name → status, plus dbt's own result object."""

    success: bool
    statuses: dict[str, str] = field(default_factory=dict)
    result: Any = None


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _failures(result: Any) -> list[str]:
    lines: list[str] = []
    for item in getattr(result, "results", None) or []:
        status = str(getattr(item, "status", "")).lower()
        if status in {"error", "fail", "runtime error"}:
            node = getattr(item, "node", None)
            name = getattr(node, "name", None) or getattr(node, "unique_id", "?")
            kind = getattr(node, "resource_type", "")
            message = (getattr(item, "message", None) or "").strip().splitlines()
            detail = message[0] if message else status
            lines.append(f"{kind} {name}: {detail}".strip())
    return lines


def run_dbt(settings: Settings, args: list[str], environ: dict[str, str] | None = None) -> DbtOutcome:
    """Run `dbt <args>` on the warehouse of `settings` with the settings as vars.

    Target and log folders live beside the warehouse file (`<warehouse dir>/dbt/`), so
    runs on different warehouses never share state.

    Raises:
        UserError: naming the failing model/test (first few), or dbt's own error.
    """
    from dbt.cli.main import dbtRunner

    warehouse = settings.warehouse_path.resolve()
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    work = warehouse.parent / "dbt"
    command = list(args)
    command += [
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
    ]
    takes_vars = bool(args) and args[0] not in {"clean", "debug", "deps", "init"}
    if takes_vars:
        command += ["--vars", json.dumps(dbt_vars(settings, environ))]
    with _environment({WAREHOUSE_ENV: str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}):
        outcome = dbtRunner().invoke(["--quiet", "--no-use-colors", *command])
    statuses: dict[str, str] = {}
    for item in getattr(outcome.result, "results", None) or []:
        node = getattr(item, "node", None)
        if node is not None:
            statuses[str(getattr(node, "name", "?"))] = str(getattr(item, "status", "")).lower()
    if not outcome.success:
        failures = _failures(outcome.result)
        if failures:
            more = f" (and {len(failures) - 3} more)" if len(failures) > 3 else ""
            raise UserError(f"dbt {args[0] if args else ''} failed: " + "; ".join(failures[:3]) + more)
        reason = str(outcome.exception).strip().splitlines() if outcome.exception else []
        raise UserError(f"dbt {args[0] if args else ''} failed: {reason[0] if reason else 'see the dbt log in ' + str(work / 'logs')}")
    return DbtOutcome(success=True, statuses=statuses, result=outcome.result)
