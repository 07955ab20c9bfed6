"""The `unique_not_null` generic test (one node per key instead of a unique + not_null pair)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from portal_sync.dbt import DbtOutcome, run_dbt
from portal_sync.errors import UserError
from portal_sync.settings import load_settings
from tests.dbt.conftest import write_settings
from tests.dbt.raw_loader import load_world
from tests.fixtures.world import DemoWorld

REPEAT = "insert into raw_ixhaus.units select * from raw_ixhaus.units order by unit_id limit 1"


def _build_units(settings_file: Path, environ: dict[str, str]) -> DbtOutcome:
    """Build the units staging model and only its own tests."""
    settings = load_settings(settings_file, environ=environ)
    args = ["build", "--select", "stg_ixhaus__units", "--indirect-selection", "cautious"]
    return run_dbt(settings, args, environ)


NULL_KEY = (
    "insert into raw_ixhaus.units"
    " select * replace (null as unit_id) from raw_ixhaus.units order by unit_id limit 1"
)


@pytest.mark.parametrize(("change", "failing_value"), [(REPEAT, "min"), (NULL_KEY, None)])
def test_a_repeated_or_null_key_fails_the_key_test(
    small_world: DemoWorld, tmp_path: Path, change: str, failing_value: str | None
) -> None:
    warehouse = tmp_path / "portal.duckdb"
    load_world(warehouse, small_world.ixhaus, small_world.docuware_state)
    con = duckdb.connect(str(warehouse))
    try:
        first = con.execute("select min(unit_id) from raw_ixhaus.units").fetchone()
        con.execute(change)
    finally:
        con.close()
    environ = {"PORTAL_SYNC_TODAY": small_world.today.isoformat()}
    with pytest.raises(UserError, match=r"unique_not_null_stg_ixhaus__units_unit_id: Got 1 result"):
        _build_units(write_settings(tmp_path, warehouse), environ)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:  # the failing row is the offending key value
        rows = con.execute(
            "select unit_id from staging.stg_ixhaus__units"
            " group by unit_id having unit_id is null or count(*) > 1"
        ).fetchall()
    finally:
        con.close()
    expected = first[0] if failing_value == "min" and first else None
    assert rows == [(expected,)]


def test_distinct_keys_pass_the_key_test(small_world: DemoWorld, tmp_path: Path) -> None:
    warehouse = tmp_path / "portal.duckdb"
    load_world(warehouse, small_world.ixhaus, small_world.docuware_state)
    environ = {"PORTAL_SYNC_TODAY": small_world.today.isoformat()}
    outcome = _build_units(write_settings(tmp_path, warehouse), environ)
    assert outcome.statuses["unique_not_null_stg_ixhaus__units_unit_id"] == "pass"
