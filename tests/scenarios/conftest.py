"""Scenario helpers: a world copy, both emulators and the real CLI in a subprocess.

A `Portal` is shared by the tests of one module (syncs are the slow part): the demo world
is copied, the emulators run on free ports with their clock on the world's "today", and
`portal-sync` runs with a settings file in the module's temp folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
import sqlalchemy as sa

from portal_sync import ixhaus_schema as ix
from tests.fixtures.emulators import Emulator, run_casavi, run_docuware
from tests.fixtures.world import DemoWorld

CLI = str(Path(sys.executable).with_name("portal-sync"))
#: The scenarios publish objects 1001-1004 (1004 ends tomorrow, 1003 today) and 2500.
OBJECT_RANGE = "1001-1004, 2500"


@dataclass
class Portal:
    folder: Path
    world: DemoWorld
    casavi: Emulator
    docuware: Emulator
    config: Path

    @property
    def today(self) -> date:
        return self.world.today

    @property
    def warehouse(self) -> Path:
        return self.folder / "warehouse" / "portal.duckdb"

    def cli(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        environ = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("PORTAL_SYNC", "CASAVI_", "DOCUWARE_"))
        }
        environ.update(
            {"PORTAL_SYNC_TODAY": self.today.isoformat(), "PORTAL_SYNC_CONFIG": str(self.config)}
        )
        environ["PORTAL_SYNC_SECRETS"] = str(self.folder / "no-secrets.toml")
        environ["COLUMNS"] = "200"
        environ.update(env or {})
        return subprocess.run(
            [CLI, *args],
            cwd=self.folder,
            env=environ,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    def sync(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return self.cli("sync", *args, env=env)

    # -- iX-Haus -------------------------------------------------------------------------------
    def ixhaus(self) -> sa.Engine:
        return sa.create_engine(self.world.ixhaus_url)

    def execute(self, statement: Any) -> None:
        engine = self.ixhaus()
        with engine.begin() as connection:
            connection.execute(statement)
        engine.dispose()

    def scalar(self, statement: Any) -> Any:
        engine = self.ixhaus()
        with engine.connect() as connection:
            value = connection.execute(statement).scalar()
        engine.dispose()
        return value

    def next_id(self, table: sa.Table, column: str) -> int:
        return int(self.scalar(sa.select(sa.func.max(table.c[column]))) or 0) + 1000

    def stamp(self) -> datetime:
        return datetime.now(UTC).replace(tzinfo=None)

    def day(self, offset: int) -> date:
        return self.today + timedelta(days=offset)

    # -- casavi (checked through the emulator) ------------------------------------------------
    def get(self, collection: str, resource_id: str) -> httpx.Response:
        with self.casavi.client() as client:
            return client.get(f"/v2/{collection}/{resource_id}")

    def exists(self, collection: str, resource_id: str) -> bool:
        response = self.get(collection, resource_id)
        assert response.status_code in (200, 404), response.text
        return response.status_code == 200

    def ids(self, collection: str) -> list[str]:
        return [item["id"] for item in self.items(collection)]

    def items(self, collection: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        with self.casavi.client() as client:
            page = 1
            while True:
                answer = client.get(
                    f"/v2/{collection}", params={"page": page, "pageSize": 500}
                ).json()
                found += [item for item in answer["list"] if not item.get("deleted")]
                if not answer.get("_links", {}).get("next"):
                    return found
                page += 1

    def feed(self, person_id: int) -> dict[str, list[str]]:
        response = httpx.get(
            f"{self.casavi.base}/community/v1/contacts/P-{person_id}/feed", timeout=10
        )
        response.raise_for_status()
        body = response.json()
        return {
            key: [item["id"] for item in body.get(key, [])]
            for key in ("tickets", "posts", "documents")
        }

    def writes(self) -> int:
        """PUT and DELETE requests the emulator received since its reset."""
        return sum(
            n for key, n in self.casavi.requests().items() if key.startswith(("PUT ", "DELETE "))
        )

    # -- warehouse -----------------------------------------------------------------------------
    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def last_run(self) -> tuple[Any, ...]:
        return self.query(
            "select run_id, status, error from portal_sync.runs order by run_id desc limit 1"
        )[0]


def write_config(
    folder: Path, world: DemoWorld, casavi: Emulator, docuware: Emulator, **portal: Any
) -> Path:
    extra = "".join(f"{key} = {value!r}\n".replace("'", '"') for key, value in portal.items())
    config = folder / "portal-sync.toml"
    config.write_text(
        f"""
[warehouse]
path = "warehouse/portal.duckdb"
[ixhaus]
url = "{world.ixhaus_url}"
[portal]
object_range = "{OBJECT_RANGE}"
{extra}
[casavi]
url = "{casavi.url}"
concurrency = 8
requests_per_second = 1000
max_retries = 6
[docuware]
url = "{docuware.url}"
""",
        encoding="utf-8",
    )
    return config


@pytest.fixture(scope="module")
def make_portal(small_world: DemoWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Factory for module-shared portals: `make_portal(**portal_settings)`."""
    started: list[Emulator] = []

    def make(**portal: Any) -> Portal:
        folder = tmp_path_factory.mktemp("scenario")
        world = DemoWorld(
            folder / "ixhaus.sqlite",
            folder / "docuware.sqlite",
            small_world.today,
            small_world.seed,
        )
        shutil.copyfile(small_world.ixhaus, world.ixhaus)
        shutil.copyfile(small_world.docuware_state, world.docuware_state)
        casavi = run_casavi(folder / "casavi.sqlite")
        started.append(casavi)
        docuware = run_docuware(world.docuware_state)
        started.append(docuware)
        casavi.set_clock(f"{world.today.isoformat()}T10:00:00.000Z")
        return Portal(
            folder, world, casavi, docuware, write_config(folder, world, casavi, docuware, **portal)
        )

    try:
        yield make
    finally:
        for emulator in started:
            emulator.stop()


def add_person(portal: Portal, person_type: str = "MIETER", last_name: str = "Scenario") -> int:
    person_id = portal.next_id(ix.persons, "person_id")
    portal.execute(
        sa.insert(ix.persons).values(
            person_id=person_id,
            person_type=person_type,
            salutation="Frau",
            first_name="Erika",
            last_name=last_name,
            email=f"scenario{person_id}@example.org",
            updated_at=portal.stamp(),
        )
    )
    return person_id


def add_tenancy(
    portal: Portal, person_id: int, unit_id: int, move_in: int, move_out: int | None = None
) -> None:
    portal.execute(
        sa.insert(ix.tenancies).values(
            tenancy_id=portal.next_id(ix.tenancies, "tenancy_id"),
            unit_id=unit_id,
            person_id=person_id,
            move_in_date=portal.day(move_in),
            move_out_date=None if move_out is None else portal.day(move_out),
            updated_at=portal.stamp(),
        )
    )


def add_ticket(
    portal: Portal,
    type_id: int,
    object_id: int,
    reporter: int | None,
    unit_id: int | None,
    status_id: int = 1,
) -> int:
    ticket_id = portal.next_id(ix.tickets, "ticket_id")
    portal.execute(
        sa.insert(ix.tickets).values(
            ticket_id=ticket_id,
            ticket_type_id=type_id,
            object_id=object_id,
            unit_id=unit_id,
            reporter_person_id=reporter,
            priority_id=1,
            status_id=status_id,
            title=f"Scenario ticket {ticket_id}",
            description="set up by a scenario test",
            created_by="SACHBEARBEITER",
            created_at=portal.stamp(),
            updated_at=portal.stamp(),
        )
    )
    return ticket_id


def add_note(portal: Portal, ticket_id: int, public: bool) -> int:
    note_id = portal.next_id(ix.ticket_notes, "note_id")
    portal.execute(
        sa.insert(ix.ticket_notes).values(
            note_id=note_id,
            ticket_id=ticket_id,
            text="öffentlich" if public else "intern: nicht für Mieter",
            is_public=public,
            created_by="SACHBEARBEITER",
            created_at=portal.stamp(),
            updated_at=portal.stamp(),
        )
    )
    return note_id


def first_unit(portal: Portal, object_number: str) -> tuple[int, int]:
    """(object_id, unit_id) of the first unit of an object."""
    object_id = portal.scalar(
        sa.select(ix.objects.c.object_id).where(ix.objects.c.object_number == object_number)
    )
    unit_id = portal.scalar(
        sa.select(sa.func.min(ix.units.c.unit_id)).where(ix.units.c.object_id == object_id)
    )
    return int(object_id), int(unit_id)
