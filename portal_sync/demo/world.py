"""Generate the demo iX-Haus world (`portal-sync demo`).

The database has exactly the tables of the iX-Haus contract (DDL from
`portal_sync.ixhaus_schema`), filled with German data that is deterministic for a seed and
a "today" (`PORTAL_SYNC_TODAY`, else the current date in Europe/Berlin). Every date is an
offset from today. Rows are streamed object by object into buffered `executemany` batches,
so memory stays flat even for the large world.

Every scale starts with the same curated objects (1001–1005, 2500, 2501, 3001, 3002) that
exercise the rules of requirements sections B, C and E with hand-picked edge cases
(move-in in exactly 30 days, move-out exactly 365 days ago, ...); the rest is bulk data.

Demo shortcut (B7): an "oversized" document records `size_bytes` above 100 MB but stores
only a small `content`, so the world stays small.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine

from portal_sync import clock
from portal_sync import ixhaus_schema as schema
from portal_sync.demo import catalogues as cat
from portal_sync.demo import files, words
from portal_sync.demo.people import Address, German, PersonData
from portal_sync.errors import UserError

#: partner_id = PARTNER_OFFSET + person_id for persons migrated into partner management;
#: far above every person id, so mixing up the two ids finds nobody.
PARTNER_OFFSET = 500_000
#: A person id that exists nowhere (documents addressed to an unknown recipient).
UNKNOWN_PERSON_ID = 9_999_999
#: B7 demo shortcut: the size recorded for oversized files (150 MB).
OVERSIZED_BYTES = 150 * 1024 * 1024


@dataclass(frozen=True)
class ScaleSpec:
    """How big a world is."""

    objects: int
    units: int
    docuware_documents: int
    tickets_per_unit: float = 2.0


SCALES: dict[str, ScaleSpec] = {
    "small": ScaleSpec(objects=20, units=400, docuware_documents=60),
    "medium": ScaleSpec(objects=500, units=10_000, docuware_documents=5_000),
    "large": ScaleSpec(objects=5_000, units=100_000, docuware_documents=200_000),
}

#: Curated objects: number, management end (days from today, None = open-ended), curated.
#: The shipped object range is "1000-1999, 2500": 2501, 3001 and 3002 lie outside it.
CURATED_OBJECTS: tuple[tuple[str, int | None, bool], ...] = (
    ("1001", None, True),
    ("1002", -1, False),  # management ended yesterday
    ("1003", 0, False),  # ends today
    ("1004", 1, False),  # ends tomorrow
    ("1005", 3650, False),  # ends in ten years
    ("2500", None, True),
    ("2501", None, False),
    ("3001", None, False),
    ("3002", None, False),
)


def previous_business_year_start(today: date, start_month: int = 1) -> date:
    """First day of the previous business year (B5's time filter)."""
    year = today.year if today.month >= start_month else today.year - 1
    return date(year - 1, start_month, 1)


class Writer:
    """Buffered inserts per contract table; `executemany` once a buffer is full."""

    def __init__(self, connection: sqlite3.Connection, batch_rows: int = 20_000) -> None:
        self.connection = connection
        self.batch_rows = batch_rows
        tables = schema.metadata.sorted_tables
        self.width = {table.name: len(table.columns) for table in tables}
        self.sql = {
            table.name: "INSERT INTO {} ({}) VALUES ({})".format(
                table.name,
                ", ".join(column.name for column in table.columns),
                ", ".join("?" * len(table.columns)),
            )
            for table in tables
        }
        self.buffers: dict[str, list[tuple[Any, ...]]] = {table.name: [] for table in tables}
        self.counts = dict.fromkeys(self.width, 0)
        self._last_id = dict.fromkeys(self.width, 0)

    def next_id(self, table: str) -> int:
        self._last_id[table] += 1
        return self._last_id[table]

    def add(self, table: str, row: tuple[Any, ...]) -> None:
        buffer = self.buffers[table]
        buffer.append(row)
        if len(buffer) >= self.batch_rows:
            self.flush(table)

    def flush(self, table: str) -> None:
        buffer = self.buffers[table]
        if not buffer:
            return
        width = self.width[table]
        if len(buffer[0]) != width or len(buffer[-1]) != width:
            raise AssertionError(f"demo generator bug: {table} rows need {width} values")
        self.connection.executemany(self.sql[table], buffer)
        self.counts[table] += len(buffer)
        buffer.clear()

    def flush_all(self) -> None:
        for table in self.buffers:
            self.flush(table)


@dataclass
class Roles:
    """The persons of one object, by role, for reporters, documents and letters."""

    tenants: list[tuple[int, int]] = field(default_factory=list)  # current: (person, unit)
    tenancies: list[tuple[int, int, int, int | None]] = field(default_factory=list)
    owners: list[tuple[int, int | None]] = field(default_factory=list)  # current: (person, unit)
    caretakers: list[int] = field(default_factory=list)  # current
    unreleased: list[int] = field(default_factory=list)  # persons of unreleased types


@dataclass
class Curated:
    """Ids of hand-picked rows the DocuWare documents and other objects refer to."""

    tenant: int = 0  # a current, released tenant with e-mail in 1001
    tenant_unit: int = 0
    partner_tenant: int = 0  # a current tenant of 1001 with a partner id
    former_tenant: int = 0  # left 400 days ago
    unreleased_tenant: int = 0  # INTERESSENT with a tenancy in 1001
    cross_owner: int = 0  # owner in 1001, also tenant in 3001
    outside_tenants: dict[str, int] = field(default_factory=dict)  # object number -> tenant


class World:
    """Generates one world into an open SQLite connection."""

    def __init__(self, spec: ScaleSpec, seed: int, today: date, writer: Writer) -> None:
        self.spec = spec
        self.seed = seed
        self.today = today
        self.rng = random.Random(seed)
        self.german = German(self.rng)
        self.writer = writer
        self.curated = Curated()
        self._days: dict[int, str] = {}
        self._today_ordinal = today.toordinal()
        # Compact recipient lists for the DocuWare documents (persons of synced roles).
        self.dw_persons = array("q")
        self.dw_objects = array("q")  # index into self.object_numbers
        self.object_numbers: list[str] = []
        self.has_partner = bytearray(1)  # indexed by person_id (ids start at 1)
        self._caretaker: tuple[int, int] = (0, 0)  # (person, objects left to serve)

    # -- dates -----------------------------------------------------------------------------

    def day(self, offset: int) -> str:
        """Today + `offset` days as 'YYYY-MM-DD'."""
        text = self._days.get(offset)
        if text is None:
            text = self._days[offset] = date.fromordinal(self._today_ordinal + offset).isoformat()
        return text

    def date_of(self, offset: int) -> date:
        return date.fromordinal(self._today_ordinal + offset)

    def offset_of(self, day: date) -> int:
        return day.toordinal() - self._today_ordinal

    def stamp(self, offset: int) -> str:
        """A timestamp on day today + `offset` (office hours), 'YYYY-MM-DD HH:MM:SS.ffffff'."""
        seconds = 21_600 + self.rng.randrange(50_400)
        micro = self.rng.randrange(1_000_000)
        return (
            f"{self.day(offset)} {seconds // 3600:02d}:{seconds // 60 % 60:02d}:"
            f"{seconds % 60:02d}.{micro:06d}"
        )

    def updated(self, since: int = -700) -> str:
        """`updated_at`: a moment after day `since` (clamped to 700 days ago), before today.

        Office-hour stamps (`stamp`) end at 20:00, so a row created yesterday is updated
        yesterday evening and `updated_at` never precedes the row's own `created_at`.
        """
        if since >= -1:
            seconds = 72_000 + self.rng.randrange(14_400)
            micro = self.rng.randrange(1_000_000)
            return (
                f"{self.day(-1)} {seconds // 3600:02d}:{seconds // 60 % 60:02d}:"
                f"{seconds % 60:02d}.{micro:06d}"
            )
        return self.stamp(self.rng.randint(min(max(since, -700) + 1, -1), -1))

    # -- rows ------------------------------------------------------------------------------

    _UNSET: Any = object()

    def person(
        self,
        person_type: str,
        data: PersonData,
        address: Address,
        *,
        partner: bool | None = None,
        preference: str | None = _UNSET,
    ) -> int:
        rng = self.rng
        person_id = self.writer.next_id("persons")
        if partner is None:
            partner = rng.random() < 0.35
        self.has_partner.append(partner)
        if preference is self._UNSET:
            draw = rng.random()
            preference = "ONLINE" if draw < 0.3 else "POSTAL" if draw < 0.45 else None
        self.writer.add(
            "persons",
            (
                person_id,
                person_type,
                PARTNER_OFFSET + person_id if partner else None,
                data.salutation,
                data.title,
                data.first_name,
                data.last_name,
                data.company_name,
                data.email,
                data.phone,
                data.mobile,
                address.street,
                address.postal_code,
                address.city,
                address.country,
                preference,
                self.updated(),
            ),
        )
        return person_id

    def unit(self, object_id: int, number: str, description: str, floor: str | None) -> int:
        unit_id = self.writer.next_id("units")
        self.writer.add("units", (unit_id, object_id, number, description, floor, self.updated()))
        return unit_id

    def tenancy(self, unit_id: int, person_id: int, move_in: int, move_out: int | None) -> None:
        self.writer.add(
            "tenancies",
            (
                self.writer.next_id("tenancies"),
                unit_id,
                person_id,
                self.day(move_in),
                None if move_out is None else self.day(move_out),
                self.updated(move_in if move_out is None else move_out),
            ),
        )

    def ownership(
        self, object_id: int, unit_id: int | None, person_id: int, start: int, end: int | None
    ) -> None:
        self.writer.add(
            "ownerships",
            (
                self.writer.next_id("ownerships"),
                object_id,
                unit_id,
                person_id,
                self.day(start),
                None if end is None else self.day(end),
                self.updated(start if end is None else end),
            ),
        )

    def caretaker(self, object_id: int, person_id: int, start: int, end: int | None) -> None:
        self.writer.add(
            "caretakers",
            (
                self.writer.next_id("caretakers"),
                object_id,
                person_id,
                self.day(start),
                None if end is None else self.day(end),
                self.updated(start if end is None else end),
            ),
        )

    def document(
        self,
        document_type: str,
        offset: int,
        *,
        object_id: int | None,
        unit_id: int | None = None,
        person_id: int | None = None,
        title: str | None,
        file_stem: str,
        mime_type: str = files.PDF,
        content: bytes | None = None,
        size_bytes: int | None = None,
    ) -> int:
        document_id = self.writer.next_id("documents")
        if content is None:
            content = files.content_for(mime_type, f"{document_type} {document_id}", document_id)
        extension = {files.PDF: "pdf", files.PNG: "png", files.JPEG: "jpg"}.get(mime_type, "txt")
        self.writer.add(
            "documents",
            (
                document_id,
                document_type,
                title,
                f"{file_stem}.{extension}",
                mime_type,
                len(content) if size_bytes is None else size_bytes,
                content,
                self.day(offset),
                object_id,
                unit_id,
                person_id,
                self.updated(offset),
            ),
        )
        return document_id

    def ticket(
        self,
        type_id: int,
        object_id: int,
        unit_id: int | None,
        reporter: int | None,
        priority_id: int,
        status_id: int,
        trade_id: int | None,
        title: str,
        created: int,
        description: str | None = None,
    ) -> int:
        ticket_id = self.writer.next_id("tickets")
        self.writer.add(
            "tickets",
            (
                ticket_id,
                type_id,
                object_id,
                unit_id,
                reporter,
                priority_id,
                status_id,
                trade_id,
                title,
                description,
                self.rng.choice(cat.STAFF_USERS),
                self.stamp(created),
                self.updated(created),
                None,
            ),
        )
        return ticket_id

    def note(self, ticket_id: int, text: str, is_public: bool, created: int) -> None:
        self.writer.add(
            "ticket_notes",
            (
                self.writer.next_id("ticket_notes"),
                ticket_id,
                text,
                is_public,
                self.rng.choice(cat.STAFF_USERS),
                self.stamp(created),
                self.updated(created),
                None,
            ),
        )

    def order(self, ticket_id: int, trade_id: int | None, created: int) -> None:
        self.writer.add(
            "ticket_orders",
            (
                self.writer.next_id("ticket_orders"),
                ticket_id,
                self.german.contractor_name(),
                trade_id,
                self.stamp(created),
                self.updated(created),
            ),
        )

    def media(self, ticket_id: int, mime_type: str, is_public: bool, created: int) -> None:
        media_id = self.writer.next_id("ticket_media")
        content = files.content_for(mime_type, f"Foto {media_id}", media_id)
        name = {files.PNG: "foto", files.JPEG: "IMG", files.PDF: "kostenvoranschlag"}[mime_type]
        extension = {files.PNG: "png", files.JPEG: "jpg", files.PDF: "pdf"}[mime_type]
        self.writer.add(
            "ticket_media",
            (
                media_id,
                ticket_id,
                f"{name}_{media_id:05d}.{extension}",
                mime_type,
                len(content),
                content,
                is_public,
                self.rng.choice(cat.STAFF_USERS),
                self.stamp(created),
                self.updated(created),
                None,
            ),
        )

    def letter(
        self,
        template_id: int,
        person_id: int,
        created: int,
        document_id: int | None = None,
        route: str | None = None,
    ) -> None:
        self.writer.add(
            "serial_letters",
            (
                self.writer.next_id("serial_letters"),
                template_id,
                person_id,
                document_id,
                self.stamp(created),
                route,
                self.updated(created),
            ),
        )

    # -- the world -------------------------------------------------------------------------

    def generate(self) -> None:
        self._catalogues()
        for plan in self._object_plans():
            self._populate(*plan)
        self.writer.flush_all()

    def _catalogues(self) -> None:
        for key, value in cat.SYSTEM_SETTINGS:
            self.writer.add("system_settings", (key, value))
        catalogues: tuple[tuple[str, tuple[tuple[Any, ...], ...]], ...] = (
            ("users", cat.USERS),
            ("document_types", cat.DOCUMENT_TYPES),
            ("templates", cat.TEMPLATES),
            ("ticket_types", cat.TICKET_TYPES),
            ("ticket_priorities", cat.TICKET_PRIORITIES),
            ("ticket_statuses", cat.TICKET_STATUSES),
            ("trades", cat.TRADES),
        )
        for table, rows in catalogues:
            for row in rows:
                self.writer.add(table, (*row, self.updated(-900)))

    def _object_plans(self) -> Iterator[tuple[str, int | None, bool, int]]:
        """(object number, management end offset, curated, number of units) per object."""
        rng = self.rng
        mean = max(2, round(self.spec.units / self.spec.objects))
        low, high = max(1, mean // 2), mean + mean // 2
        for number, end, curated in CURATED_OBJECTS[: self.spec.objects]:
            yield number, end, curated, rng.randint(low, high)
        numbers = (n for n in (*range(1006, 2000), *range(4000, 10_000)))
        for _ in range(self.spec.objects - len(CURATED_OBJECTS)):
            end = rng.randint(-800, 800) if rng.random() < 0.02 else None
            yield str(next(numbers)), end, False, rng.randint(low, high)

    def _populate(self, number: str, end: int | None, curated: bool, unit_count: int) -> None:
        rng = self.rng
        german = self.german
        object_id = self.writer.next_id("objects")
        object_index = len(self.object_numbers)
        self.object_numbers.append(number)
        postal_code, city = rng.choice(words.CITIES)
        street = rng.choice(words.STREETS)
        house = str(rng.randint(1, 120))
        address = Address(f"{street} {house}", postal_code, city)
        name = rng.choice(words.OBJECT_NAME_PATTERNS).format(
            street=street, number=house, last_name=rng.choice(words.LAST_NAMES)
        )
        self.writer.add(
            "objects",
            (
                object_id,
                number,
                name,
                address.street,
                postal_code,
                city,
                "DE",
                None if end is None else self.day(end),
                self.updated(),
            ),
        )
        roles = Roles()
        unit_ids = self._units(object_id, unit_count)
        for unit_id, commercial in unit_ids:
            self._unit_tenancies(unit_id, commercial, address, roles)
        self._ownerships(object_id, [unit_id for unit_id, _ in unit_ids], roles)
        self._caretakers(object_id, roles)
        for _ in range(max(1, unit_count // 20)):
            person = self.person("INTERESSENT", german.private(), german.address())
            roles.unreleased.append(person)
        if rng.random() < 0.5:
            person = self.person("DIENSTLEISTER", german.company(service=True), german.address())
            roles.unreleased.append(person)
        if curated:
            self._curate(object_id, number, address, roles)
        if number in ("3001", "1002") and roles.tenants:
            self.curated.outside_tenants[number] = roles.tenants[0][0]
        if number == "3001" and self.curated.cross_owner:
            unit_id = self.unit(
                object_id, "S 01", "Sonderfall: Mieter auch Eigentümer in 1001", "EG"
            )
            self.tenancy(unit_id, self.curated.cross_owner, -900, None)
        self._documents(object_id, roles)
        self._tickets(object_id, [unit_id for unit_id, _ in unit_ids], roles)
        self._letters(roles)
        for person_id, _ in roles.tenants:
            self.dw_persons.append(person_id)
            self.dw_objects.append(object_index)
        for person_id, _ in roles.owners:
            self.dw_persons.append(person_id)
            self.dw_objects.append(object_index)

    def _units(self, object_id: int, count: int) -> list[tuple[int, bool]]:
        rng = self.rng
        result = []
        parking = count // 8 if count >= 8 else 0
        shops = 1 if count >= 6 and rng.random() < 0.4 else 0
        flats = count - parking - shops
        per_floor = max(2, min(4, flats // 4 or 2))
        for index in range(flats):
            floor_index = min(index // per_floor, len(words.FLOORS) - 1)
            side = words.SIDES[index % per_floor % len(words.SIDES)]
            description = rng.choice(words.UNIT_DESCRIPTIONS)
            floor = words.FLOORS[floor_index]
            result.append(
                (
                    self.unit(
                        object_id, f"W {index + 1:02d}", f"{description}, {floor} {side}", floor
                    ),
                    False,
                )
            )
        for index in range(shops):
            result.append((self.unit(object_id, f"G {index + 1:02d}", "Ladenlokal", "EG"), True))
        for index in range(parking):
            result.append(
                (
                    self.unit(
                        object_id, f"TG {index + 1:02d}", f"Tiefgaragenstellplatz {index + 1}", None
                    ),
                    False,
                )
            )
        return result

    def _unit_tenancies(
        self, unit_id: int, commercial: bool, address: Address, roles: Roles
    ) -> None:
        rng = self.rng
        german = self.german
        occupied = rng.random() < 0.92
        cursor = -rng.randint(20, 6000) if occupied else -rng.randint(1, 700)
        if occupied:
            data = german.company() if commercial else german.private()
            tenant = self.person("MIETER", data, address)
            move_out = rng.randint(5, 120) if rng.random() < 0.04 else None
            self.tenancy(unit_id, tenant, cursor, move_out)
            roles.tenants.append((tenant, unit_id))
            roles.tenancies.append((unit_id, tenant, cursor, move_out))
            if not commercial and rng.random() < 0.25:
                partner = self.person("MIETER", german.private(), address)
                self.tenancy(unit_id, partner, cursor, move_out)
                roles.tenants.append((partner, unit_id))
            if move_out is not None:
                successor = self.person("MIETER", german.private(), address)
                self.tenancy(unit_id, successor, move_out + 1, None)
                roles.tenancies.append((unit_id, successor, move_out + 1, None))
            cursor -= 1
        former = rng.choices((0, 1, 2), (40, 40, 20))[0]
        if not occupied:
            former = max(1, former)
        for _ in range(former):
            move_in = cursor - rng.randint(200, 3500)
            tenant = self.person("MIETER", german.private(), german.address())
            self.tenancy(unit_id, tenant, move_in, cursor)
            roles.tenancies.append((unit_id, tenant, move_in, cursor))
            cursor = move_in - rng.randint(1, 60)

    def _ownerships(self, object_id: int, unit_ids: list[int], roles: Roles) -> None:
        rng = self.rng
        german = self.german
        if rng.random() < 0.3:
            data = german.company() if rng.random() < 0.6 else german.private()
            owner = self.person("EIGENTUEMER", data, german.address())
            start = -rng.randint(400, 9000)
            self.ownership(object_id, None, owner, start, None)
            roles.owners.append((owner, None))
            if rng.random() < 0.15:
                seller = self.person("EIGENTUEMER", german.company(), german.address())
                self.ownership(object_id, None, seller, start - rng.randint(1000, 5000), start - 1)
            return
        index = 0
        while index < len(unit_ids):
            chunk = unit_ids[index : index + rng.choice((1, 1, 1, 2, 2, 3, 4))]
            index += len(chunk)
            data = german.private() if rng.random() < 0.85 else german.company()
            owner = self.person("EIGENTUEMER", data, german.address())
            start = -rng.randint(100, 8000)
            previous: int | None = None
            if rng.random() < 0.1:
                previous = self.person("EIGENTUEMER", german.private(), german.address())
            for unit_id in chunk:
                self.ownership(object_id, unit_id, owner, start, None)
                if previous is not None:
                    self.ownership(
                        object_id, unit_id, previous, start - rng.randint(500, 4000), start - 1
                    )
            roles.owners.append((owner, chunk[0]))

    def _caretakers(self, object_id: int, roles: Roles) -> None:
        rng = self.rng
        german = self.german
        person, left = self._caretaker
        if left <= 0:
            data = german.company(service=True) if rng.random() < 0.4 else german.private()
            person = self.person("HAUSMEISTER", data, german.address())
            left = rng.randint(1, 4)
        self._caretaker = (person, left - 1)
        start = -rng.randint(100, 4000)
        self.caretaker(object_id, person, start, None)
        roles.caretakers.append(person)
        if rng.random() < 0.2:
            previous = self.person("HAUSMEISTER", german.private(), german.address())
            self.caretaker(object_id, previous, start - rng.randint(300, 3000), start - 1)

    def _documents(self, object_id: int, roles: Roles) -> None:
        rng = self.rng
        first_year = self.today.year - 6
        yesterday = -1
        for unit_id, person_id, move_in, move_out in roles.tenancies:
            signed = move_in - rng.randint(10, 60)
            if signed <= yesterday:
                self.document(
                    "MIETVERTRAG", signed, object_id=object_id, unit_id=unit_id, person_id=person_id,
                    title="Mietvertrag", file_stem=f"Mietvertrag_{unit_id}_{person_id}",
                )  # fmt: skip
            if move_in <= yesterday:
                self.document(
                    "PROTOKOLL", move_in, object_id=object_id, unit_id=unit_id,
                    title="Übergabeprotokoll Einzug", file_stem=f"Uebergabe_Einzug_{unit_id}",
                )  # fmt: skip
            start_year = max(first_year, self.date_of(move_in).year)
            end_year = self.today.year - 1
            if move_out is not None:
                end_year = min(end_year, self.date_of(move_out).year)
            for year in range(start_year, end_year + 1):
                issued = self.offset_of(date(year + 1, rng.randint(4, 11), rng.randint(1, 28)))
                if issued > yesterday:
                    continue
                mime = files.PDF if rng.random() < 0.92 else rng.choice((files.PNG, files.JPEG))
                self.document(
                    "NK-ABRECHNUNG", issued, object_id=object_id, unit_id=unit_id,
                    person_id=person_id, mime_type=mime,
                    title=None if rng.random() < 0.08 else f"Nebenkostenabrechnung {year}",
                    file_stem=f"NK-Abrechnung_{year}_{person_id}",
                )  # fmt: skip
            if rng.random() < 0.12:
                latest = yesterday if move_out is None else min(move_out, yesterday)
                if move_in < latest:
                    self.document(
                        "MAHNUNG", rng.randint(move_in, latest), object_id=object_id,
                        unit_id=unit_id, person_id=person_id, title="Zahlungserinnerung",
                        file_stem=f"Mahnung_{person_id}",
                    )  # fmt: skip
            if rng.random() < 0.05:
                self.document(
                    "INTERN", -rng.randint(1, 1500), object_id=object_id, unit_id=unit_id,
                    title="Aktennotiz", file_stem=f"Aktennotiz_{unit_id}",
                )  # fmt: skip
        self.document(
            "HAUSORDNUNG", -rng.randint(300, 4000), object_id=object_id,
            title="Hausordnung", file_stem=f"Hausordnung_{object_id}",
        )  # fmt: skip
        for year in range(self.today.year - 4, self.today.year):
            held = self.offset_of(date(year, rng.randint(3, 10), rng.randint(1, 28)))
            self.document(
                "PROTOKOLL", held, object_id=object_id,
                title=f"Protokoll der Eigentümerversammlung {year}",
                file_stem=f"Protokoll_ETV_{year}_{object_id}",
            )  # fmt: skip

    def _reporter(self, roles: Roles, unit_ids: list[int]) -> tuple[int | None, int | None]:
        """(reporter, unit) for an everyday ticket: mostly tenants, some owners and others."""
        rng = self.rng
        draw = rng.random()
        if draw < 0.65 and roles.tenants:
            return rng.choice(roles.tenants)
        if draw < 0.75 and roles.owners:
            return rng.choice(roles.owners)
        if draw < 0.87 and roles.caretakers:
            return rng.choice(roles.caretakers), None
        if draw < 0.95 or not roles.unreleased:
            return None, rng.choice(unit_ids) if unit_ids and rng.random() < 0.5 else None
        return rng.choice(roles.unreleased), None

    def _tickets(self, object_id: int, unit_ids: list[int], roles: Roles) -> None:
        rng = self.rng
        count = round(len(unit_ids) * self.spec.tickets_per_unit * rng.uniform(0.7, 1.3))
        for _ in range(count):
            type_id = rng.choices(cat.TICKET_TYPE_IDS, cat.TICKET_TYPE_WEIGHTS)[0]
            created = -min(1 + int(rng.expovariate(1 / 250)), 1500)
            description = rng.choice(words.TICKET_DESCRIPTIONS)
            if type_id in cat.BULLETIN_TYPE_IDS:
                reporter, unit_id = None, None
                title = rng.choice(words.BULLETIN_TITLES)
                done = created < -30 and rng.random() < 0.9
            else:
                reporter, unit_id = self._reporter(roles, unit_ids)
                if type_id in cat.OBJECT_TICKET_TYPE_IDS:
                    unit_id = None
                title = rng.choice(words.TICKET_TITLES)
                done = created < -60 and rng.random() < 0.85
            if done:
                status = rng.choices(cat.DONE_STATUS_IDS, cat.DONE_STATUS_WEIGHTS)[0]
            else:
                status = rng.choices(cat.OPEN_STATUS_IDS, cat.OPEN_STATUS_WEIGHTS)[0]
            priority = rng.choices((1, 2, 3, 4, 5), cat.PRIORITY_WEIGHTS)[0]
            trade = rng.choice(cat.TRADE_IDS) if rng.random() < 0.7 else None
            ticket_id = self.ticket(
                type_id,
                object_id,
                unit_id,
                reporter,
                priority,
                status,
                trade,
                title,
                created,
                description,
            )
            for _ in range(rng.randint(0, 6)):
                when = min(created + rng.randint(0, 30), -1)
                if rng.random() < 0.7:
                    self.note(ticket_id, rng.choice(words.PUBLIC_NOTES), True, when)
                else:
                    self.note(ticket_id, rng.choice(words.INTERNAL_NOTES), False, when)
            if rng.random() < 0.2:
                self.order(ticket_id, trade, min(created + rng.randint(0, 10), -1))
            if rng.random() < 0.2:
                for _ in range(rng.randint(1, 2)):
                    mime = rng.choice((files.JPEG, files.JPEG, files.PNG, files.PDF))
                    self.media(
                        ticket_id, mime, rng.random() < 0.75, min(created + rng.randint(0, 5), -1)
                    )

    def _letters(self, roles: Roles) -> None:
        rng = self.rng
        for _ in range(1 + (rng.random() < 0.5)):
            template_id, _, document_type, _ = rng.choice(cat.TEMPLATES)
            created = -rng.randint(2, 700)
            recipients = [
                person for person, _ in (roles.owners if template_id == 3 else roles.tenants)
            ]
            with_documents = rng.random() < 0.3
            for person_id in recipients:
                document_id = None
                if with_documents:
                    document_id = self.document(
                        document_type, created, object_id=None, person_id=person_id,
                        title=cat.TEMPLATES[template_id - 1][1], file_stem=f"Serienbrief_{template_id}_{person_id}",
                    )  # fmt: skip
                route = None
                if created < -60:
                    route = rng.choice(("EMAIL", "LETTER", "PORTAL"))
                self.letter(template_id, person_id, created, document_id, route)

    # -- the curated edge cases (objects 1001 and 2500) -----------------------------------

    def _curate(self, object_id: int, number: str, address: Address, roles: Roles) -> None:
        german = self.german
        first = number == "1001"

        def flat(label: str, description: str) -> int:
            return self.unit(object_id, f"S {label}", f"Sonderfall: {description}", "1. OG")

        def tenant(
            move_in: int, move_out: int | None, label: str, description: str, **kwargs: Any
        ) -> int:
            data = kwargs.pop("data", None) or german.private(email_share=1.0)
            person_type = kwargs.pop("person_type", "MIETER")
            unit_id = flat(label, description)
            home = address if move_out is None or move_out >= 0 else german.address()
            person = self.person(person_type, data, home, **kwargs)
            self.tenancy(unit_id, person, move_in, move_out)
            roles.tenancies.append((unit_id, person, move_in, move_out))
            if (move_out is None or move_out >= 0) and move_in <= 0:
                roles.tenants.append((person, unit_id))
            return person

        # B4: tenants around the account window (30 days before move-in, 365 after move-out).
        for days in (0, 10, 30, 31, 90):
            tenant(
                days,
                None,
                f"E{days:03d}",
                f"Einzug in {days} Tagen",
                partner=False,
                preference=None,
            )
        former = {}
        for days in (200, 365, 366, 400):
            former[days] = tenant(-days - 2000, -days, f"A{days:03d}", f"Auszug vor {days} Tagen")
        tenant(-3000, 1, "W001", "Auszug morgen")
        successor = self.person("MIETER", german.private(), address)
        self.tenancy(roles.tenancies[-1][0], successor, 2, None)

        # B3 / C4 / E1: contact details and preferences.
        main = tenant(
            -800, None, "K01", "Mieterin mit E-Mail, online", partner=False, preference="ONLINE"
        )
        partner_tenant = tenant(
            -1200, None, "K02", "Partnerverwaltung", partner=True, preference="ONLINE"
        )
        no_mail = replace(german.private(), email=None)
        tenant(-500, None, "K03", "ohne E-Mail", data=no_mail, partner=False, preference=None)
        tenant(-600, None, "K04", "Kontaktart Brief", partner=True, preference="POSTAL")
        tenant(
            -700,
            None,
            "K05",
            "Brief, ohne E-Mail",
            data=replace(no_mail, first_name="Käthe"),
            preference="POSTAL",
        )
        unreleased = tenant(
            -300,
            None,
            "K06",
            "Interessent mit Mietvertrag",
            person_type="INTERESSENT",
            preference=None,
        )
        bad_mail = replace(german.private(), email="frau.mueller(at)web.de")
        tenant(-400, None, "K07", "ungültige E-Mail", data=bad_mail, preference=None)
        nameless = PersonData(None, None, None, None, None, "ohne.namen@web.de", None, None)
        tenant(-450, None, "K08", "ohne Namen", data=nameless, preference=None)
        tenant(
            -2000,
            None,
            "K09",
            "Gewerbemieter",
            data=german.company(),
            partner=True,
            preference="ONLINE",
        )
        # B3: persons of released types without any role.
        self.person("MIETER", german.private(), german.address(), preference=None)
        self.person("EIGENTUEMER", german.private(), german.address())

        # B3/B4: owners of units and of the whole object, with start/end windows.
        owners_unit = flat("O01", "Eigentumswohnung mit Eigentümerwechseln")
        for start, end in ((-3000, None), (10, None), (31, None), (-4000, -200), (-5000, -400)):
            person = self.person("EIGENTUEMER", german.private(), german.address())
            self.ownership(object_id, owners_unit, person, start, end)
            if start <= 0 and end is None:
                roles.owners.append((person, owners_unit))
        whole_owner = self.person(
            "EIGENTUEMER", german.company(), german.address(), preference="ONLINE"
        )
        self.ownership(object_id, None, whole_owner, -2500, None)
        roles.owners.append((whole_owner, None))
        for start, end in ((31, None), (-6000, -366), (-6000, -365)):
            person = self.person("EIGENTUEMER", german.private(), german.address())
            self.ownership(object_id, None, person, start, end)
        cross_owner = self.person("EIGENTUEMER", german.private(), german.address())
        self.ownership(object_id, owners_unit, cross_owner, -1000, None)

        # B3/B4: caretakers with windows, one of an unreleased person type.
        for start, end in ((20, None), (60, None), (-2000, -100), (-3000, -500)):
            person = self.person("HAUSMEISTER", german.private(), german.address())
            self.caretaker(object_id, person, start, end)
        service = self.person("DIENSTLEISTER", german.company(service=True), german.address())
        self.caretaker(object_id, service, -900, None)
        roles.unreleased.append(unreleased)

        # B8–B14: every ticket type with reporters of every role, all statuses and priorities.
        reporters: tuple[tuple[int | None, int | None], ...] = (
            (main, roles.tenancies[[t[1] for t in roles.tenancies].index(main)][0]),
            (whole_owner, None),
            (roles.caretakers[0], None),
            (unreleased, None),
            (None, None),
        )
        index = 0
        for type_id in cat.TICKET_TYPE_IDS:
            is_bulletin = type_id in cat.BULLETIN_TYPE_IDS
            for role, (reporter, unit_id) in enumerate(reporters):
                status = cat.TICKET_STATUSES[index % len(cat.TICKET_STATUSES)][0]
                priority = cat.TICKET_PRIORITIES[index % len(cat.TICKET_PRIORITIES)][0]
                trade = cat.TRADE_IDS[index % len(cat.TRADE_IDS)] if index % 4 else None
                title = (
                    words.BULLETIN_TITLES[index % 10]
                    if is_bulletin
                    else words.TICKET_TITLES[index % 25]
                )
                created = -5 - index
                index += 1
                if is_bulletin and reporter is not None:
                    continue
                ticket_id = self.ticket(
                    type_id, object_id, unit_id if type_id not in cat.OBJECT_TICKET_TYPE_IDS else None,
                    reporter, priority, status, trade, title, created,
                    "Sonderfall für die Regeln B8–B14.",
                )  # fmt: skip
                self.note(ticket_id, words.PUBLIC_NOTES[index % 7], True, created + 1)
                self.note(ticket_id, words.INTERNAL_NOTES[index % 5], False, created + 2)
                if role == 0:  # the tenant's tickets: commissioned, with media
                    self.order(ticket_id, trade, created + 2)
                    self.media(ticket_id, files.PNG, True, created + 1)
                    self.media(ticket_id, files.JPEG, False, created + 1)
                    self.media(ticket_id, files.PDF, True, created + 2)
        # B10: bulletins open, closed, cancelled (and closed by an unreleased status).
        for status in (1, 2, 4, 5, 7):
            self.ticket(
                4,
                object_id,
                None,
                None,
                1,
                status,
                None,
                words.BULLETIN_TITLES[status],
                -3 - status,
            )

        # B5/B7: documents of every kind of type, around the business-year boundary.
        start = self.offset_of(previous_business_year_start(self.today))
        main_unit = reporters[0][1]
        dates = {"alt": start - 800, "31-12": start - 1, "01-01": start, "neu": -10}
        recipients = (
            {"person_id": main, "unit_id": main_unit},
            {"person_id": None, "unit_id": main_unit},
            {"person_id": None, "unit_id": None},
        )
        for document_type, type_name in cat.DOCUMENT_TYPES:
            for label, offset in dates.items():
                for recipient in recipients:
                    self.document(
                        document_type, offset, object_id=object_id, **recipient,
                        title=f"{type_name} ({label})", file_stem=f"{document_type}_{label}",
                    )  # fmt: skip
        common: dict[str, Any] = {"object_id": object_id, "unit_id": main_unit, "person_id": main}
        self.document(
            "NK-ABRECHNUNG", -3, **common, title="Leere Datei", file_stem="leer", content=b""
        )
        self.document(
            "NK-ABRECHNUNG", -3, **common, title="Sehr große Datei (150 MB)", file_stem="gross",
            size_bytes=OVERSIZED_BYTES,
        )  # fmt: skip
        self.document("MIETVERTRAG", -20, **common, title=None, file_stem="Mietvertrag_ohne_Titel")
        self.document(
            "NK-ABRECHNUNG", -4, **common, title="Als Bild", file_stem="scan", mime_type=files.JPEG
        )
        self.document(
            "NK-ABRECHNUNG",
            -4,
            object_id=None,
            person_id=former[400],
            title="An Ausgezogene",
            file_stem="alt",
        )
        self.document(
            "NK-ABRECHNUNG",
            -4,
            object_id=None,
            person_id=former[200],
            title="An Ausgezogenen",
            file_stem="neu",
        )
        self.document(
            "NK-ABRECHNUNG",
            -4,
            object_id=None,
            person_id=UNKNOWN_PERSON_ID,
            title="Unbekannt",
            file_stem="x",
        )
        self.document(
            "NK-ABRECHNUNG", -4, object_id=None, title="Ohne Empfänger", file_stem="niemand"
        )
        self.document(
            "NK-ABRECHNUNG",
            -4,
            object_id=None,
            person_id=unreleased,
            title="Interessent",
            file_stem="int",
        )

        # E1/E2: serial letters per template to persons of every kind of contact.
        letter_persons = [person for _, person, _, _ in roles.tenancies[-19:]]
        for template_id in (1, 3, 4, 6):
            for person_id in letter_persons:
                self.letter(template_id, person_id, -2)

        if first:
            self.curated = replace(
                self.curated,
                tenant=main,
                tenant_unit=main_unit or 0,
                partner_tenant=partner_tenant,
                former_tenant=former[400],
                unreleased_tenant=unreleased,
                cross_owner=cross_owner,
            )


def _remove(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + "-journal")):
        candidate.unlink(missing_ok=True)


def create_updated_at_indexes(connection: sqlite3.Connection) -> None:
    """An index on `updated_at` of every table that has one (built after the bulk insert).

    The ingest reads incrementally `where updated_at >= <cursor>`: with the index that is a
    range scan instead of a full table scan. A production DBA has the same indexes on the
    iX-Haus views (README, "Decisions and deviations": demo data).
    """
    for table in schema.metadata.sorted_tables:
        if "updated_at" in table.c:
            connection.execute(
                f"CREATE INDEX IF NOT EXISTS ix_{table.name}_updated_at ON {table.name} (updated_at)"
            )


def write_ixhaus(spec: ScaleSpec, seed: int, today: date, out: Path) -> World:
    """Create the iX-Haus SQLite file at `out` (atomically replaced); return the world."""
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    _remove(temp)
    engine = create_engine(f"sqlite:///{temp}")
    try:
        schema.metadata.create_all(engine)
    finally:
        engine.dispose()
    connection = sqlite3.connect(temp, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=OFF")
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA cache_size=-65536")
        connection.execute("BEGIN")
        world = World(spec, seed, today, Writer(connection))
        world.generate()
        connection.execute("COMMIT")
        create_updated_at_indexes(connection)
    except BaseException:
        connection.close()
        _remove(temp)
        raise
    connection.close()
    os.replace(temp, out)
    return world


def generate(
    scale: str,
    seed: int,
    out: Path,
    docuware_state: Path | None,
    today: date | None = None,
) -> str:
    """Create the demo iX-Haus database at `out` and fill the DocuWare emulator state.

    Args:
        scale: "small", "medium" or "large".
        seed: random seed; the same seed and today give the same tables.
        out: the iX-Haus SQLite file (replaced if it exists).
        docuware_state: the DocuWare emulator's state file (replaced), or None to skip it.
        today: the reference date (default: `PORTAL_SYNC_TODAY` or today in Europe/Berlin).

    Returns:
        A short printable summary.
    """
    spec = SCALES.get(scale)
    if spec is None:
        raise UserError(f"unknown demo scale {scale!r} (choose small, medium or large)")
    today = today or clock.today()
    out = Path(out)
    started = time.perf_counter()
    world = write_ixhaus(spec, seed, today, out)
    counts = world.writer.counts
    lines = [
        f"Demo iX-Haus world ({scale}, seed {seed}, today {today.isoformat()}) → {out}",
        "  {objects} objects, {units} units, {persons} persons, {tenancies} tenancies, "
        "{documents} documents, {tickets} tickets, {ticket_notes} notes, "
        "{ticket_media} media files, {serial_letters} serial letters".format(**counts),
    ]
    if docuware_state is not None:
        from portal_sync.demo.docuware import write_docuware

        written = write_docuware(world, spec.docuware_documents, Path(docuware_state))
        if written is None:
            lines.append(
                "  DocuWare: skipped (the emulator package emulators.docuware is not available)"
            )
        else:
            lines.append(f"  DocuWare: {written} documents → {docuware_state}")
    lines.append(f"  in {time.perf_counter() - started:.1f} s")
    return "\n".join(lines)
