"""Skip a sync's `dbt build` when nothing the models read has changed since the last clean one.

A build is a pure function of its inputs: the dbt vars (the settings and `today`), the
project files, dbt's version, and the contents of the source tables (the `raw_*` datasets
and the publisher's and write-back's bookkeeping in `portal_sync`). When all of them equal
the inputs of the last *clean* build (every model built, every test passed), the marts are
exactly what a new build would produce, so `sync` and `plan` use them as they are.

Not inputs: `portal_sync.runs` and `portal_sync.casavi_snapshots`, which get rows on every
run: only staging views read them (views are always current) and no table is built from
them (`tests/dbt/test_buildinputs.py` keeps it so).

The inputs of the last clean build are kept in `<dbt target>/build_inputs.json`.
`portal_sync.dbt.run_dbt` removes that file before every dbt invocation, so a failed,
partial or hand-made build can never leave a stale record behind.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import duckdb

FILE_NAME = "build_inputs.json"
#: Source tables with new rows on every run that no model table is built from.
NOT_INPUTS = frozenset({("portal_sync", "runs"), ("portal_sync", "casavi_snapshots")})
#: dlt's own columns (load ids change on every load, whatever the data).
_DLT_PREFIX = "_dlt"
_PROJECT_FILES = ("dbt_project.yml", "profiles.yml")
_PROJECT_DIRS = ("dbt_project",)


def record_path(target: Path) -> Path:
    return target / FILE_NAME


def forget(target: Path) -> None:
    """Remove the record (before any dbt invocation)."""
    record_path(target).unlink(missing_ok=True)


def project_digest(project_dir: Path) -> str:
    """Hash of every project file dbt reads (models, macros, seeds, tests, docs, profiles)."""
    digest = hashlib.sha256()
    paths = [project_dir / name for name in _PROJECT_FILES]
    for folder in _PROJECT_DIRS:
        paths += sorted(p for p in (project_dir / folder).rglob("*") if p.is_file())
    for path in paths:
        if path.exists():
            digest.update(str(path.relative_to(project_dir)).encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()


def source_tables(manifest_path: Path) -> list[tuple[str, str]]:
    """(schema, table) of every dbt source in the manifest, without `NOT_INPUTS`."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    tables = {
        (str(source["schema"]), str(source.get("identifier") or source["name"]))
        for source in manifest.get("sources", {}).values()
    }
    return sorted(tables - NOT_INPUTS)


def data_digest(con: duckdb.DuckDBPyConnection, tables: list[tuple[str, str]]) -> str:
    """Hash of the contents of `tables`: per table, the row count and the sum of row hashes.

    Order-independent (a reload in another order is no change); dlt's `_dlt_*` columns are
    left out. A missing table hashes as missing.
    """
    columns: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in con.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where list_contains(?, table_schema) order by table_schema, table_name, ordinal_position",
        [sorted({schema for schema, _ in tables})],
    ).fetchall():
        if not str(column).startswith(_DLT_PREFIX):
            columns.setdefault((schema, table), []).append(str(column))
    parts: list[Any] = []
    for schema, table in tables:
        names = columns.get((schema, table))
        if not names:
            parts.append([schema, table, "missing"])
            continue
        quoted = ", ".join(_quote(name) for name in names)
        row = con.execute(
            f"select count(*), coalesce(sum(hash({quoted})), 0)::text "
            f"from {_quote(schema)}.{_quote(table)}"
        ).fetchone()
        parts.append([schema, table, names, *(row or [])])
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def inputs(
    con: duckdb.DuckDBPyConnection,
    variables: dict[str, Any],
    project_dir: Path,
    tables: list[tuple[str, str]],
) -> str:
    """The fingerprint of a build's inputs."""
    from dbt.version import __version__

    return hashlib.sha256(
        json.dumps(
            {
                "vars": variables,
                "dbt": __version__,
                "project": project_digest(project_dir),
                "data": data_digest(con, tables),
            },
            sort_keys=True,
            default=str,
        ).encode()
    ).hexdigest()


def model_tables(manifest_path: Path) -> list[tuple[str, str]]:
    """(schema, table) of every model the build materialises as a table."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    return sorted(
        (str(node["schema"]), str(node.get("alias") or node["name"]))
        for node in manifest.get("nodes", {}).values()
        if node.get("resource_type") == "model"
        and node.get("config", {}).get("materialized") in {"table", "incremental"}
    )


def tables_exist(con: duckdb.DuckDBPyConnection, tables: list[tuple[str, str]]) -> bool:
    """Whether every (schema, table) exists (nobody dropped a mart since the build)."""
    present = set(
        con.execute("select table_schema, table_name from information_schema.tables").fetchall()
    )
    return all(pair in present for pair in tables)


def last_clean(target: Path) -> dict[str, Any] | None:
    """The record of the last clean build: `{fingerprint, tables, outputs, run_id}`, or None."""
    try:
        record = json.loads(record_path(target).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("fingerprint"), str):
        return None
    for key in ("tables", "outputs"):
        record[key] = [tuple(pair) for pair in record.get(key) or []]
    return record


def remember(
    target: Path,
    fingerprint: str,
    tables: list[tuple[str, str]],
    outputs: list[tuple[str, str]],
    run_id: int | None,
) -> None:
    """Record a clean build: its inputs' fingerprint, its source and model tables (atomically)."""
    path = record_path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    record = {"fingerprint": fingerprint, "tables": tables, "outputs": outputs, "run_id": run_id}
    temporary.write_text(json.dumps(record), encoding="utf-8")
    temporary.replace(path)
