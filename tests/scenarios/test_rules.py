"""Section B through the real CLI, checked in the casavi emulator (feed and collections).

One world and one pair of emulators for the module: the cases are set up in the demo
iX-Haus database, one sync publishes them, later tests change iX-Haus and sync again.
Tests run in file order and build on each other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from portal_sync import ixhaus_schema as ix
from tests.scenarios.conftest import (
    Portal,
    add_note,
    add_person,
    add_tenancy,
    add_ticket,
    first_unit,
)

HAUSMITTEILUNG = 4  # ticket type: portal_bulletin
SCHADENSMELDUNG = 1  # released for tenants, caretakers, owners
INTERNE_PRUEFUNG = 3  # portal_locked
OBJEKTMELDUNG = 6  # portal_object_ticket, tenants + caretakers
ERLEDIGT = 4  # status: closed


@dataclass
class Cases:
    object_id: int
    unit_id: int
    tenant: int
    neighbour: int
    left_400: int
    left_200: int
    moves_in_soon: int
    moves_in_later: int
    unreleased: int
    bulletin: int
    own_ticket: int
    locked_ticket: int
    object_ticket: int
    public_note: int
    internal_note: int


@pytest.fixture(scope="module")
def world(make_portal: Any) -> tuple[Portal, Cases]:
    portal: Portal = make_portal()
    object_id, unit_id = first_unit(portal, "1001")
    other_unit = int(
        portal.scalar(
            sa.select(sa.func.max(ix.units.c.unit_id)).where(ix.units.c.object_id == object_id)
        )
    )
    tenant, neighbour = add_person(portal), add_person(portal)
    add_tenancy(portal, tenant, unit_id, -900)
    add_tenancy(portal, neighbour, other_unit, -300)
    left_400, left_200 = add_person(portal), add_person(portal)
    add_tenancy(portal, left_400, unit_id, -2000, -400)
    add_tenancy(portal, left_200, unit_id, -1500, -200)
    moves_in_soon, moves_in_later = add_person(portal), add_person(portal)
    add_tenancy(portal, moves_in_soon, other_unit, 20)
    add_tenancy(portal, moves_in_later, other_unit, 60)
    unreleased = add_person(portal, "INTERESSENT")
    add_tenancy(portal, unreleased, unit_id, -100)
    bulletin = add_ticket(portal, HAUSMITTEILUNG, object_id, None, None)
    own_ticket = add_ticket(portal, SCHADENSMELDUNG, object_id, tenant, unit_id, status_id=2)
    locked_ticket = add_ticket(portal, INTERNE_PRUEFUNG, object_id, tenant, unit_id)
    object_ticket = add_ticket(portal, OBJEKTMELDUNG, object_id, neighbour, None)
    cases = Cases(
        object_id,
        unit_id,
        tenant,
        neighbour,
        left_400,
        left_200,
        moves_in_soon,
        moves_in_later,
        unreleased,
        bulletin,
        own_ticket,
        locked_ticket,
        object_ticket,
        add_note(portal, own_ticket, public=True),
        add_note(portal, own_ticket, public=False),
    )
    result = portal.sync()
    assert result.returncode == 0, result.stdout + result.stderr
    return portal, cases


def test_first_sync_publishes_and_prints_what_it_did(world: tuple[Portal, Cases]) -> None:
    portal, _ = world
    assert portal.last_run()[1] == "success"
    assert portal.writes() > 0
    assert set(portal.ids("properties")) == {"O-1001", "O-1004", "O-2500"}


def test_objects_outside_the_range_or_ended_are_not_published(world: tuple[Portal, Cases]) -> None:
    portal, _ = world
    properties = set(portal.ids("properties"))
    assert "O-2501" not in properties and "O-3001" not in properties  # outside 1001-1004, 2500
    assert "O-1002" not in properties and "O-1003" not in properties  # ended yesterday / today
    assert "O-1004" in properties  # ends tomorrow


def test_tenant_who_left_400_days_ago_has_no_access_200_days_keeps_it(
    world: tuple[Portal, Cases],
) -> None:
    portal, cases = world
    assert not portal.exists("contacts", f"P-{cases.left_400}")
    assert portal.exists("contacts", f"P-{cases.left_200}")
    assert portal.exists("contacts", f"P-{cases.moves_in_soon}")  # 20 days before move-in
    assert not portal.exists("contacts", f"P-{cases.moves_in_later}")  # 60 days before
    assert not portal.exists("contacts", f"P-{cases.unreleased}")  # INTERESSENT is not released


def test_tenant_sees_own_ticket_and_the_board_but_not_locked_types(
    world: tuple[Portal, Cases],
) -> None:
    portal, cases = world
    feed = portal.feed(cases.tenant)
    assert f"T-{cases.own_ticket}" in feed["tickets"]
    assert f"T-{cases.locked_ticket}" not in feed["tickets"]
    assert f"T-{cases.object_ticket}" in feed["tickets"]  # Objektmeldung: everyone of the object
    assert f"B-{cases.bulletin}" in feed["posts"]  # Hausmitteilung: a post, not a ticket
    assert not portal.exists("tickets", f"T-{cases.bulletin}")
    neighbour = portal.feed(cases.neighbour)
    assert f"T-{cases.own_ticket}" not in neighbour["tickets"]  # someone else's ticket


def test_internal_note_never_reaches_the_portal(world: tuple[Portal, Cases]) -> None:
    portal, cases = world
    assert portal.exists("ticket-messages", f"N-{cases.public_note}")
    assert not portal.exists("ticket-messages", f"N-{cases.internal_note}")


def test_a_second_sync_right_after_sends_zero_writes(world: tuple[Portal, Cases]) -> None:
    portal, _ = world
    before = portal.writes()
    result = portal.sync()
    assert result.returncode == 0, result.stdout + result.stderr
    assert portal.writes() == before
    assert "nothing to publish" in result.stdout


def test_once_nothing_changes_a_sync_skips_the_dbt_build(world: tuple[Portal, Cases]) -> None:
    """The syncs after a publishing one read its echo (casavi, then the write-back in iX-Haus);
    then nothing changes anywhere, and the build is skipped: its inputs are the same."""
    portal, _ = world
    before = portal.writes()
    outputs = []
    for _ in range(3):
        result = portal.sync()
        assert result.returncode == 0, result.stdout + result.stderr
        outputs.append(result.stdout)
        if "skipped" in result.stdout:
            break
    assert "dbt build done" in outputs[-1] and "skipped: its inputs are unchanged" in outputs[-1]
    assert portal.writes() == before
    counts = portal.query("select counts from portal_sync.runs order by run_id desc limit 1")[0][0]
    assert json.loads(counts)["dbt.build.skipped"] == 1


def test_plan_shows_a_change_without_sending_it(world: tuple[Portal, Cases]) -> None:
    portal, cases = world
    portal.execute(
        sa.update(ix.tickets)
        .where(ix.tickets.c.ticket_id == cases.bulletin)
        .values(status_id=ERLEDIGT, updated_at=portal.stamp())
    )
    before = portal.writes()
    result = portal.cli("plan", "--details")
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"- posts/B-{cases.bulletin}" in result.stdout
    assert "skipped" not in result.stdout  # a changed input: built again
    assert portal.writes() == before


def test_hausmitteilung_leaves_the_board_when_its_ticket_is_closed(
    world: tuple[Portal, Cases],
) -> None:
    portal, cases = world
    result = portal.sync()
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"B-{cases.bulletin}" not in portal.feed(cases.tenant)["posts"]
    assert not portal.exists("posts", f"B-{cases.bulletin}")


def test_object_whose_management_ends_today_disappears_with_everything(
    world: tuple[Portal, Cases],
) -> None:
    portal, _ = world
    object_id = portal.scalar(
        sa.select(ix.objects.c.object_id).where(ix.objects.c.object_number == "1004")
    )
    units = {
        f"U-{u}" for u in _column(portal, ix.units.c.unit_id, ix.units.c.object_id == object_id)
    }
    published_units = set(portal.ids("units"))
    assert units and units <= published_units
    only_here = _persons_only_in(portal, object_id)
    assert only_here and {f"P-{p}" for p in only_here} <= set(portal.ids("contacts"))
    portal.execute(
        sa.update(ix.objects)
        .where(ix.objects.c.object_id == object_id)
        .values(management_end_date=portal.today, updated_at=portal.stamp())
    )
    result = portal.sync("--force")  # one of four objects: more than the 10 % delete threshold
    assert result.returncode == 0, result.stdout + result.stderr
    assert "O-1004" not in portal.ids("properties")
    assert not units & set(portal.ids("units"))
    assert not {f"P-{p}" for p in only_here} & set(portal.ids("contacts"))
    assert [d["id"] for d in portal.items("documents") if d.get("propertyId") == "O-1004"] == []


def _column(portal: Portal, column: Any, where: Any) -> list[int]:
    engine = portal.ixhaus()
    with engine.connect() as connection:
        values = [int(v) for v in connection.execute(sa.select(column).where(where)).scalars()]
    engine.dispose()
    return values


def _persons_only_in(portal: Portal, object_id: int) -> set[int]:
    """Current tenants of the object with no role anywhere else."""
    engine = portal.ixhaus()
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "select t.person_id from tenancies t join units u using (unit_id) "
                "join persons p using (person_id) where u.object_id = :o and t.move_out_date is null "
                "and p.person_type = 'MIETER' and t.person_id not in ("
                "  select t2.person_id from tenancies t2 join units u2 using (unit_id) where u2.object_id <> :o"
                "  union select person_id from ownerships union select person_id from caretakers)"
            ),
            {"o": object_id},
        ).scalars()
        found = {int(v) for v in rows}
    engine.dispose()
    return found
