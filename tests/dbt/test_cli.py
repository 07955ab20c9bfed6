"""The `why` (D3) and `delivery-route` (E1-E3) commands on a built warehouse, through the real CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb

from tests.dbt.conftest import BuiltWarehouse

SEEDS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "reason_codes.csv"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "portal_sync.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _one(path: Path, sql: str) -> tuple:
    con = duckdb.connect(str(path), read_only=True)
    try:
        row = con.execute(sql).fetchone()
    finally:
        con.close()
    assert row is not None, sql
    return row


def test_why_names_the_reason_for_a_person_of_an_unreleased_type(
    built_warehouse: BuiltWarehouse,
) -> None:
    released = built_warehouse.settings.portal.person_types
    placeholders = ", ".join(f"'{t}'" for t in released)
    (person_id,) = _one(
        built_warehouse.path,
        f"select min(person_id) from raw_ixhaus.persons where person_type not in ({placeholders})",
    )
    # one query on why_not_synced answers it
    reason = _one(
        built_warehouse.path,
        f"select reason_code, reason_text_de from marts.why_not_synced"
        f" where entity_kind = 'person' and entity_id = '{person_id}'",
    )
    assert reason[0] == "PERSON_TYPE_NOT_RELEASED"
    assert reason[1] in SEEDS.read_text(encoding="utf-8")

    result = _cli("why", "person", str(person_id), "--config", str(built_warehouse.settings_file))
    assert result.returncode == 0, result.stderr
    assert "not synced — PERSON_TYPE_NOT_RELEASED" in result.stdout
    assert reason[1] in result.stdout


def test_why_says_synced_for_a_synced_person(built_warehouse: BuiltWarehouse) -> None:
    (contact_id,) = _one(built_warehouse.path, "select min(id) from marts.desired_contacts")
    person_id = contact_id.removeprefix("P-")
    result = _cli("why", "person", person_id, "--config", str(built_warehouse.settings_file))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(": synced")


def test_why_for_an_unknown_person_is_one_line_and_exit_1(built_warehouse: BuiltWarehouse) -> None:
    result = _cli("why", "person", "99999999", "--config", str(built_warehouse.settings_file))
    assert result.returncode == 1
    assert "person 99999999 is not in the warehouse" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_delivery_route_prints_the_exact_hint_for_an_excluded_template(
    built_warehouse: BuiltWarehouse,
) -> None:
    released = built_warehouse.settings.portal.document_types
    placeholders = ", ".join(f"'{t}'" for t in released)
    (allowed,) = _one(
        built_warehouse.path,
        "select min(template_id) from raw_ixhaus.templates"
        f" where not coalesce(portal_excluded, false) and document_type in ({placeholders})",
    )
    (excluded,) = _one(
        built_warehouse.path,
        "select min(template_id) from raw_ixhaus.templates"
        f" where portal_excluded or document_type not in ({placeholders})",
    )
    (person_id,) = _one(
        built_warehouse.path,
        "select min(person_id) from raw_ixhaus.persons where email is not null",
    )
    config = str(built_warehouse.settings_file)

    result = _cli(
        "delivery-route",
        "--templates",
        f"{allowed},{excluded}",
        "--persons",
        str(person_id),
        "--config",
        config,
    )
    assert result.returncode == 0, result.stderr
    hint = (
        f"Die ausgewählten Vorlagen: {excluded} können nicht über das Serviceportal übermittelt werden. "
        "Der Versand erfolgt per E-Mail."
    )
    assert hint in result.stdout
    assert f"person {person_id}: EMAIL" in result.stdout

    only_allowed = _cli(
        "delivery-route",
        "--templates",
        str(allowed),
        "--persons",
        str(person_id),
        "--config",
        config,
    )
    assert only_allowed.returncode == 0, only_allowed.stderr
    assert "Die ausgewählten Vorlagen" not in only_allowed.stdout


def test_delivery_route_rejects_unknown_templates(built_warehouse: BuiltWarehouse) -> None:
    result = _cli(
        "delivery-route", "--templates", "1,987654", "--config", str(built_warehouse.settings_file)
    )
    assert result.returncode == 1
    assert "unknown template id(s): 987654" in result.stderr
