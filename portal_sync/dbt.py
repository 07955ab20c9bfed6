"""Run the dbt project (`dbt_project.yml` at the repo root) with the settings as `vars`.

The settings file is the only place a rule setting lives: `dbt_vars()` turns it into the
dbt vars on every run, `run_dbt()` invokes dbt programmatically against the warehouse of
the settings. dbt's own output stays quiet; a failing model or test becomes one
`UserError` line naming it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import chdir, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portal_sync import buildinputs
from portal_sync.clock import today
from portal_sync.errors import UserError
from portal_sync.settings import Settings

PROJECT_DIR = Path(__file__).resolve().parent.parent
WAREHOUSE_ENV = "PORTAL_SYNC_WAREHOUSE"
PARSE_CACHE_ENV = "PORTAL_SYNC_DBT_PARSE_CACHE"
PARTIAL_PARSE_FILE = "partial_parse.msgpack"
PARSE_CACHE_KEEP = 16  # parsed manifests kept (~2 MB each; `today` makes a new one per day)
TIMEZONE = "Europe/Berlin"


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


def dbt_target(settings: Settings) -> Path:
    """Where dbt leaves `run_results.json` and `manifest.json` for the warehouse of `settings`
    (`<warehouse dir>/dbt/target`; the logs go to `<warehouse dir>/dbt/logs`)."""
    return settings.warehouse_path.resolve().parent / "dbt" / "target"


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


def _release_warehouse() -> None:
    """Close the DuckDB connection dbt-duckdb keeps in-process after a run.

    DuckDB allows one read-write process per file and later stages (publish, write-back,
    `why`) open the warehouse themselves, so nothing may stay open after dbt returns.
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # pragma: no cover - dbt-duckdb is a dependency
        return
    env = DuckDBConnectionManager._ENV
    if env is not None:
        env.close()
        DuckDBConnectionManager._ENV = None


def parse_cache_dir(environ: dict[str, str] | None = None) -> Path:
    """The project's shared folder of parsed manifests (`PORTAL_SYNC_DBT_PARSE_CACHE` or
    `<project>/target/parse-cache`)."""
    configured = (environ or {}).get(PARSE_CACHE_ENV) or os.environ.get(PARSE_CACHE_ENV)
    return Path(configured) if configured else PROJECT_DIR / "target" / "parse-cache"


def _parse_key(variables: dict[str, Any], warehouse: Path) -> str:
    """What a parsed manifest depends on besides the project files (which dbt checks itself).

    dbt rejects a saved manifest whose vars differ, so the key holds the vars; the database
    name (from the warehouse file's name, which the profile holds) is in every node, so the
    key holds the file name too.
    """
    from dbt.version import __version__

    text = json.dumps([variables, warehouse.name, __version__], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _seed_partial_parse(cached: Path, target: Path) -> int | None:
    """Copy the shared parsed manifest into `target`; its mtime (ns) after, or None."""
    local = target / PARTIAL_PARSE_FILE
    try:
        if cached.exists():
            target.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(cached, local)
        return local.stat().st_mtime_ns if local.exists() else None
    except OSError:
        return None


def _store_partial_parse(cached: Path, target: Path, seeded_mtime: int | None) -> None:
    """Share the manifest dbt (re)parsed in `target` (atomically; best effort)."""
    local = target / PARTIAL_PARSE_FILE
    try:
        if not local.exists():
            return
        if local.stat().st_mtime_ns == seeded_mtime and cached.exists():
            return
        cached.parent.mkdir(parents=True, exist_ok=True)
        temporary = cached.with_name(f"{cached.name}.{os.getpid()}.tmp")
        shutil.copyfile(local, temporary)
        os.replace(temporary, cached)
        _prune_parse_cache(cached.parent)
    except OSError:
        return


def _prune_parse_cache(folder: Path, keep: int = PARSE_CACHE_KEEP) -> None:
    """Drop all but the `keep` most recently stored parsed manifests."""
    entries = sorted(folder.glob("*.msgpack"), key=lambda path: path.stat().st_mtime_ns)
    for old in entries[:-keep] if keep > 0 else entries:
        old.unlink(missing_ok=True)


def _failures(result: Any) -> list[str]:
    lines: list[str] = []
    for item in getattr(result, "results", None) or []:
        status = str(getattr(item, "status", "")).lower()
        if status in {"error", "fail", "runtime error"}:
            node = getattr(item, "node", None)
            name = getattr(node, "name", None) or getattr(node, "unique_id", "?")
            kind = getattr(node, "resource_type", "")
            message = " ".join((getattr(item, "message", None) or status).split())
            if len(message) > 300:
                message = message[:297] + "..."
            lines.append(f"{kind} {name}: {message}".strip())
    return lines


def run_dbt(
    settings: Settings,
    args: list[str],
    environ: dict[str, str] | None = None,
    unit_tests: bool = False,
) -> DbtOutcome:
    """Run `dbt <args>` on the warehouse of `settings` with the settings as vars.

    Target and log folders live beside the warehouse file (`<warehouse dir>/dbt/`), so
    runs on different warehouses never share results. The parsed project is shared: dbt's
    `partial_parse.msgpack` is kept per vars in `parse_cache_dir()` and copied into the
    target before a run, so a new warehouse (or another settings file) does not parse the
    project again (dbt still checks every project file and re-parses what changed). A `build` skips the `unit_tests:`
    (they check the SQL rules on fixed rows: development and CI, not every sync) unless
    `unit_tests` is set or the args choose resource types themselves.

    Raises:
        UserError: naming the failing model/test (first few), or dbt's own error.
    """
    from dbt.cli.main import dbtRunner

    warehouse = settings.warehouse_path.resolve()
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    target = dbt_target(settings)
    work = target.parent
    command = list(args)
    chooses_types = any(arg in {"--resource-type", "--exclude-resource-type"} for arg in args)
    if args[:1] == ["build"] and not unit_tests and not chooses_types:
        command += ["--exclude-resource-type", "unit_test"]
    command += [
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(target),
        "--log-path",
        str(work / "logs"),
    ]
    takes_vars = bool(args) and args[0] not in {"clean", "debug", "deps", "init"}
    cached: Path | None = None
    seeded: int | None = None
    if takes_vars:
        variables = dbt_vars(settings, environ)
        command += ["--vars", json.dumps(variables)]
        cached = parse_cache_dir(environ) / f"{_parse_key(variables, warehouse)}.msgpack"
        seeded = _seed_partial_parse(cached, target)
    # The profile's path is the bare file name, opened from the warehouse folder: dbt hashes
    # the profile into the saved manifest, so an absolute path would make every warehouse
    # parse the project anew.
    environment = {WAREHOUSE_ENV: warehouse.name, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    # whatever this invocation builds, the record of the last clean build's inputs no
    # longer describes the marts: `sync` writes a new one after a clean build
    buildinputs.forget(target)
    with _environment(environment), chdir(warehouse.parent):
        try:
            outcome = dbtRunner().invoke(["--quiet", "--no-use-colors", *command])
        finally:
            _release_warehouse()
    if cached is not None:
        _store_partial_parse(cached, target, seeded)
    statuses: dict[str, str] = {}
    for item in getattr(outcome.result, "results", None) or []:
        node = getattr(item, "node", None)
        if node is not None:
            statuses[str(getattr(node, "name", "?"))] = str(getattr(item, "status", "")).lower()
    if not outcome.success:
        failures = _failures(outcome.result)
        if failures:
            more = f" (and {len(failures) - 3} more)" if len(failures) > 3 else ""
            raise UserError(
                f"dbt {args[0] if args else ''} failed: " + "; ".join(failures[:3]) + more
            )
        reason = " ".join(str(outcome.exception or "").split())[:300]
        where = reason or f"see the dbt log in {work / 'logs'}"
        raise UserError(f"dbt {args[0] if args else ''} failed: {where}")
    return DbtOutcome(success=True, statuses=statuses, result=outcome.result)


def build(
    settings: Settings,
    select: list[str] | None = None,
    unit_tests: bool = False,
    environ: dict[str, str] | None = None,
) -> DbtOutcome:
    """`dbt build` (seeds, models, data tests) of the whole project or a selection.

    Unit tests (`unit_tests:`) check the SQL rules on fixed rows; they belong to
    development and CI (`make test`), so a sync skips them unless asked.
    """
    args = ["build"]
    if select:
        args += ["--select", *select]
    return run_dbt(settings, args, environ, unit_tests=unit_tests)


# --- reading the built models (read-only; the CLI's `why` and `delivery-route`) ---------


def _query(settings: Settings, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    import duckdb

    from portal_sync.warehouse import connect

    path = settings.warehouse_path
    with connect(path, read_only=True) as con:
        try:
            cursor = con.execute(sql, params)
        except duckdb.CatalogException:
            raise UserError(
                f"warehouse {path} has no dbt models yet: run `portal-sync build` (or `sync`) first"
            ) from None
        names = [column[0] for column in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


ENTITY_KINDS = (
    "object",
    "unit",
    "person",
    "document",
    "docuware_document",
    "serial_letter",
    "ticket_type",
    "ticket",
    "note",
    "order",
    "media",
    "portal_ticket",
)


def why(settings: Settings, kind: str, entity_id: str) -> dict[str, Any]:
    """D3: the sync status of one entity from `marts.entity_sync_status`.

    Raises:
        UserError: unknown kind, or an entity the warehouse does not know.
    """
    normalized = kind.strip().lower().replace("-", "_")
    if normalized not in ENTITY_KINDS:
        raise UserError(f"unknown kind {kind!r}: expected one of {', '.join(ENTITY_KINDS)}")
    rows = _query(
        settings,
        "select entity_kind, entity_id, entity_label, is_synced, reason_code, reason_text_de,"
        " reason_text_en from marts.entity_sync_status where entity_kind = ? and entity_id = ?",
        [normalized, entity_id.strip()],
    )
    if not rows:
        raise UserError(
            f"{normalized} {entity_id} is not in the warehouse: not in the source system, "
            "or not loaded yet (run `portal-sync sync`)"
        )
    return rows[0]


@dataclass
class RouteReport:
    """E1–E3: the route per person for a choice of templates, and the hint (or None)."""

    routes: list[tuple[int, str]]
    hint: str | None
    excluded_templates: list[int]


def _ids(text: str, what: str) -> list[int]:
    values: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit():
            raise UserError(f"--{what}: {part!r} is not a number (expected e.g. 1,2)")
        values.append(int(part))
    if not values:
        raise UserError(f"--{what}: give at least one id, e.g. 1,2")
    return values


def delivery_routes(settings: Settings, templates: str, persons: str | None = None) -> RouteReport:
    """The delivery route of each person for the chosen templates (E1) and the hint (E2).

    When one of the chosen templates may not go to the portal, the portal route is not
    offered for the choice. Without `persons`, the recipients of the serial letters of the
    chosen templates are listed.

    Raises:
        UserError: unknown template or person ids, or malformed id lists.
    """
    template_ids = _ids(templates, "templates")
    placeholders = ", ".join("?" for _ in template_ids)
    template_rows = _query(
        settings,
        "select template_id, is_portal_allowed, hint_template_de"
        f" from intermediate.int_templates_portal_checked where template_id in ({placeholders})",
        list(template_ids),
    )
    known = {int(row["template_id"]) for row in template_rows}
    missing = [t for t in template_ids if t not in known]
    if missing:
        raise UserError(f"unknown template id(s): {', '.join(map(str, missing))}")
    excluded = sorted(
        int(row["template_id"]) for row in template_rows if not row["is_portal_allowed"]
    )
    if persons is not None:
        person_ids = _ids(persons, "persons")
    else:
        person_ids = [
            int(row["person_id"])
            for row in _query(
                settings,
                "select distinct person_id from intermediate.int_serial_letters_routed"
                f" where template_id in ({placeholders}) order by person_id",
                list(template_ids),
            )
        ]
    routes: list[tuple[int, str]] = []
    if person_ids:
        person_placeholders = ", ".join("?" for _ in person_ids)
        rows = _query(
            settings,
            "select person_id, route_if_portal_allowed, route_if_portal_excluded"
            f" from intermediate.int_persons_delivery_routed where person_id in ({person_placeholders})",
            list(person_ids),
        )
        by_person = {int(row["person_id"]): row for row in rows}
        unknown = [p for p in person_ids if p not in by_person]
        if unknown:
            raise UserError(f"unknown person id(s): {', '.join(map(str, unknown))}")
        column = "route_if_portal_excluded" if excluded else "route_if_portal_allowed"
        routes = [(p, str(by_person[p][column])) for p in person_ids]
    hint = None
    if excluded:
        template = str(template_rows[0]["hint_template_de"])
        hint = template.replace("{template_ids}", ", ".join(map(str, excluded)))
    return RouteReport(routes=routes, hint=hint, excluded_templates=excluded)


def docs(settings: Settings, port: int = 8080, serve: bool = True) -> Path:
    """D5: generate the dbt docs site for the warehouse of `settings` and serve it.

    Returns the folder of the generated site (`index.html`, `catalog.json`, ...).
    """
    run_dbt(settings, ["docs", "generate"])
    target = dbt_target(settings)
    if serve:
        run_dbt(settings, ["docs", "serve", "--port", str(port), "--no-browser"])
    return target


def _main(argv: list[str] | None = None) -> int:
    """`python -m portal_sync.dbt docs [--port N] [--no-serve]` (used by `make docs`)."""
    import argparse

    from portal_sync.settings import SettingsError, load_settings

    parser = argparse.ArgumentParser(prog="python -m portal_sync.dbt")
    parser.add_argument("command", choices=["docs"])
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--no-serve", action="store_true")
    parser.add_argument("--config", default=None)
    options = parser.parse_args(argv)
    try:
        target = docs(load_settings(options.config), options.port, serve=not options.no_serve)
    except (UserError, SettingsError) as exc:
        print(f"error: {exc}")
        return 1
    print(f"dbt docs site: {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
