"""Fixtures of the ingest tests: an iX-Haus database (SQLite or PostgreSQL) and settings."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlalchemy as sa

from portal_sync.settings import Settings, load_settings
from tests.fixtures.postgres import copy_ixhaus, create_database
from tests.fixtures.world import DemoWorld

POSTGRES_TEMPLATE = "small_world"


@dataclass
class IxhausDb:
    """A private iX-Haus database with the small demo world."""

    kind: str
    url: str

    def execute(self, sql: str, **params: Any) -> None:
        engine = sa.create_engine(self.url)
        try:
            with engine.begin() as conn:
                conn.execute(sa.text(sql), params)
        finally:
            engine.dispose()

    def scalar(self, sql: str, **params: Any) -> Any:
        engine = sa.create_engine(self.url)
        try:
            with engine.connect() as conn:
                return conn.execute(sa.text(sql), params).scalar()
        finally:
            engine.dispose()


@pytest.fixture(scope="session")
def postgres_world(postgres_url: str, small_world: DemoWorld) -> str:
    """A template database on the test server holding the small world (session)."""
    url = create_database(postgres_url, POSTGRES_TEMPLATE)
    copy_ixhaus(small_world.ixhaus_url, url)
    return POSTGRES_TEMPLATE


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ixhaus_db(request: pytest.FixtureRequest, world_copy: DemoWorld) -> IxhausDb:
    """The small world as SQLite file and as PostgreSQL database (the same tests run on both)."""
    if request.param == "sqlite":
        return IxhausDb("sqlite", world_copy.ixhaus_url)
    postgres_url = request.getfixturevalue("postgres_url")
    template = request.getfixturevalue("postgres_world")
    url = create_database(postgres_url, f"t_{uuid.uuid4().hex[:12]}", template=template)
    return IxhausDb("postgres", url)


def write_settings(
    folder: Path,
    *,
    ixhaus_url: str,
    casavi_url: str = "http://127.0.0.1:9",
    docuware_url: str = "http://127.0.0.1:9/DocuWare/Platform",
    docuware_enabled: bool = True,
    extra: str = "",
) -> Path:
    """A settings file in `folder` (warehouse in `folder/warehouse`)."""
    path = folder / "portal-sync.toml"
    path.write_text(
        f"""
[warehouse]
path = "warehouse/portal.duckdb"

[ixhaus]
url = "{ixhaus_url}"

[casavi]
url = "{casavi_url}"
max_retries = 1

[docuware]
enabled = {"true" if docuware_enabled else "false"}
url = "{docuware_url}"
{extra}
""",
        encoding="utf-8",
    )
    return path


def settings_for(folder: Path, **kwargs: Any) -> Settings:
    return load_settings(write_settings(folder, **kwargs), environ={})


@pytest.fixture
def no_secrets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No secrets from the developer's environment or `.dlt/secrets.toml`."""
    for name in (
        "CASAVI_KEY",
        "CASAVI_SECRET",
        "DOCUWARE_USERNAME",
        "DOCUWARE_PASSWORD",
        "IXHAUS_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PORTAL_SYNC_SECRETS", str(tmp_path / "no-secrets.toml"))


def query(settings: Settings, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    """Rows from the warehouse (opened read-only, closed again)."""
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def columns(settings: Settings, schema: str, table: str) -> dict[str, str]:
    return dict(
        query(
            settings,
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, table],
        )
    )
