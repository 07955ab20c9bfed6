"""Fixtures of the dbt tests: a warehouse loaded from the small demo world and built once."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from portal_sync.settings import Settings, load_settings
from tests.dbt.raw_loader import load_world
from tests.fixtures.world import DemoWorld

SETTINGS_TEXT = """
[warehouse]
path = "{warehouse}"

[portal]
object_range = "1000-1999, 2500"
{portal_extra}

[docuware]
enabled = {docuware_enabled}
{docuware_extra}
"""


def write_settings(
    folder: Path,
    warehouse: Path,
    portal_extra: str = "",
    docuware_enabled: bool = True,
    docuware_extra: str = "",
) -> Path:
    """A settings file for a test warehouse (the shipped demo rules unless changed)."""
    path = folder / "portal-sync.toml"
    path.write_text(
        SETTINGS_TEXT.format(
            warehouse=warehouse,
            portal_extra=portal_extra,
            docuware_enabled=str(docuware_enabled).lower(),
            docuware_extra=docuware_extra,
        ),
        encoding="utf-8",
    )
    return path


@dataclass(frozen=True)
class BuiltWarehouse:
    """A warehouse built by `dbt build` (with unit tests) on the small demo world."""

    path: Path
    settings: Settings
    settings_file: Path
    environ: dict[str, str]
    statuses: dict[str, str]
    world: DemoWorld


@pytest.fixture(scope="session")
def built_warehouse(
    small_world: DemoWorld, tmp_path_factory: pytest.TempPathFactory
) -> BuiltWarehouse:
    """The small demo world's raw tables, built once per session. Do not change it."""
    from portal_sync.dbt import build

    folder = tmp_path_factory.mktemp("dbt_warehouse")
    warehouse = folder / "portal.duckdb"
    load_world(warehouse, small_world.ixhaus, small_world.docuware_state)
    settings_file = write_settings(folder, warehouse)
    environ = {"PORTAL_SYNC_TODAY": small_world.today.isoformat()}
    settings = load_settings(settings_file, environ=environ)
    outcome = build(settings, unit_tests=True, environ=environ)
    return BuiltWarehouse(
        warehouse, settings, settings_file, environ, outcome.statuses, small_world
    )


@pytest.fixture
def warehouse_copy(built_warehouse: BuiltWarehouse, tmp_path: Path) -> Path:
    """A private copy of the built warehouse file for tests that change raw data."""
    target = tmp_path / "portal.duckdb"
    shutil.copyfile(built_warehouse.path, target)
    return target
