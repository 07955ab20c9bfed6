"""The DocuWare documents of the demo world, stored through the emulator's `seed_documents`.

A curated set first (every recipient kind, unknown recipients and types, drafts, missing
names and dates, the business-year boundary, PDF/PNG/JPEG/plain text), then random
documents addressed to the world's tenants, owners and objects.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from portal_sync.demo import files
from portal_sync.demo.world import PARTNER_OFFSET, UNKNOWN_PERSON_ID, previous_business_year_start

if TYPE_CHECKING:
    from portal_sync.demo.world import World

RELEASED_TYPES = ("Nebenkostenabrechnung", "Mietvertrag", "Mahnung")
UNRELEASED_TYPES = ("Angebot", "Rechnung", "Kündigungsbestätigung")
_KINDS = {
    "pdf": (files.PDF, "pdf"),
    "png": (files.PNG, "png"),
    "jpeg": (files.JPEG, "jpg"),
    "text": (files.TEXT, "txt"),
}


class _Factory:
    """Builds NewDocument values with consecutive DWDOCIDs."""

    def __init__(self, world: World, new_document: Callable[..., Any], rng: random.Random) -> None:
        self.world = world
        self.new_document = new_document
        self.rng = rng
        self.next_id = 1

    def moment(self, offset: int) -> datetime:
        seconds = 25_200 + self.rng.randrange(39_600)
        day = self.world.today + timedelta(days=offset)
        return datetime.combine(day, time(seconds // 3600, seconds // 60 % 60, seconds % 60), UTC)

    def make(
        self,
        recipient_type: str | None,
        recipient_id: str | int | None,
        document_type: str,
        *,
        stored: int = -10,
        document_date: date | int | None = 0,
        name: str | None = "",
        object_number: str | None = None,
        status: str = "ARCHIVIERT",
        kind: str = "pdf",
    ) -> Any:
        """One document; `document_date` 0 = the day it was stored, None = empty."""
        docid = self.next_id
        self.next_id += 1
        stored_at = self.moment(stored)
        modified = stored_at + timedelta(
            days=self.rng.randint(0, 20), minutes=self.rng.randint(0, 600)
        )
        latest = datetime.combine(self.world.today, time(0), UTC) - timedelta(minutes=1)
        modified = min(modified, latest)
        if document_date == 0:
            document_date = stored_at.date()
        elif isinstance(document_date, int):
            document_date = self.world.today + timedelta(days=document_date)
        if name == "":
            year = (document_date or stored_at.date()).year
            name = f"{document_type} {year}"
        content_type, extension = _KINDS[kind]
        label = f"DW {docid} {document_type}"
        content = files.content_for(content_type, label, docid)
        return self.new_document(
            fields={
                "DWDOCID": docid,
                "DWSTOREDATETIME": stored_at,
                "DWMODDATETIME": modified,
                "EMPFAENGERID": None if recipient_id is None else str(recipient_id),
                "EMPFAENGERTYP": recipient_type,
                "DOKUMENTTYP": document_type,
                "DOKUMENTNAME": name,
                "DOKUMENTDATUM": document_date,
                "OBJEKTNR": object_number,
                "STATUS": status,
            },
            file_name=f"{document_type.lower()}_{docid:07d}.{extension}",
            content_type=content_type,
            content=content,
        )


def _curated(make: Callable[..., Any], world: World) -> Iterator[Any]:
    c = world.curated
    today = world.today
    boundary = (previous_business_year_start(today) - today).days
    partner = PARTNER_OFFSET + c.partner_tenant
    nk, lease, dunning = RELEASED_TYPES
    # Recipients: P, Partner, Objekt, O (B6).
    yield make("P", c.tenant, nk, object_number="1001")
    yield make("P", c.tenant, lease, stored=-1200, object_number="1001")
    yield make("P", c.tenant, dunning, stored=-30, object_number="1001")
    yield make("Partner", partner, nk, object_number="1001")
    yield make("Partner", partner, dunning, stored=-40, object_number="1001")
    yield make("Objekt", "1001", nk, object_number="1001")
    yield make("Objekt", "2500", lease, stored=-50, object_number="2500")
    yield make("O", "1001", nk, object_number="1001")
    yield make("O", "2500", dunning, object_number="2500")
    # Unknown recipients and recipient types.
    yield make("P", UNKNOWN_PERSON_ID, nk, object_number="1001")
    yield make("Partner", UNKNOWN_PERSON_ID, nk, object_number="1001")
    yield make(
        "Partner", c.partner_tenant, nk, object_number="1001"
    )  # a person id, not a partner id
    yield make("Objekt", "9999", nk, object_number="9999")
    yield make("Mandant", "1001", nk, object_number="1001")
    yield make(None, None, nk)
    # Unreleased document types, drafts, missing names and dates.
    yield make("P", c.tenant, UNRELEASED_TYPES[0], object_number="1001")
    yield make("Objekt", "1001", UNRELEASED_TYPES[1], object_number="1001")
    yield make("P", c.tenant, nk, status="ENTWURF", object_number="1001")
    yield make("Objekt", "1001", dunning, status="ENTWURF", object_number="1001")
    yield make("P", c.tenant, nk, name=None, object_number="1001")
    yield make("Objekt", "2500", lease, name=None, object_number="2500")
    yield make("P", c.tenant, nk, document_date=None, stored=-15, object_number="1001")
    yield make("P", c.tenant, nk, document_date=None, stored=boundary - 400, object_number="1001")
    # The business-year boundary (B5's time filter on DOKUMENTDATUM).
    yield make("P", c.tenant, nk, document_date=boundary - 800, stored=boundary - 790)
    yield make("P", c.tenant, nk, document_date=boundary - 1, stored=-100)
    yield make("P", c.tenant, nk, document_date=boundary, stored=-100)
    yield make("P", c.tenant, lease, document_date=boundary - 2000, stored=-5)
    # File formats: the emulator converts images and text to PDF.
    yield make("P", c.tenant, nk, kind="png", object_number="1001")
    yield make("P", c.tenant, nk, kind="jpeg", object_number="1001")
    yield make("P", c.tenant, dunning, kind="text", object_number="1001")
    yield make("Objekt", "1001", nk, kind="text", object_number="1001")
    # Recipients that are not synced.
    for number, person in sorted(c.outside_tenants.items()):
        yield make("P", person, nk, object_number=number)
        yield make("Objekt", number, nk, object_number=number)
    yield make("O", "3001", nk, object_number="3001")
    yield make("P", c.former_tenant, nk, object_number="1001")
    yield make("P", c.unreleased_tenant, nk, object_number="1001")


def _random(make: Callable[..., Any], world: World, rng: random.Random) -> Any:
    index = rng.randrange(len(world.dw_persons))
    person = world.dw_persons[index]
    number = world.object_numbers[world.dw_objects[index]]
    draw = rng.random()
    if draw < 0.15 and world.has_partner[person]:
        recipient: tuple[str | None, str | int | None] = ("Partner", PARTNER_OFFSET + person)
    elif draw < 0.70:
        recipient = ("P", person)
    elif draw < 0.85:
        recipient = ("Objekt", number)
    elif draw < 0.95:
        recipient = ("O", number)
    elif draw < 0.98:
        recipient = ("P", UNKNOWN_PERSON_ID + rng.randrange(1000))
    else:
        recipient = (rng.choice(("Mandant", "X", None)), number)
    document_type = (
        rng.choice(RELEASED_TYPES) if rng.random() < 0.8 else rng.choice(UNRELEASED_TYPES)
    )
    stored = -rng.randint(1, 2200)
    document_date: int | None = stored - rng.randint(0, 20) if rng.random() < 0.9 else None
    kind_draw = rng.random()
    kind = (
        "pdf"
        if kind_draw < 0.75
        else "jpeg"
        if kind_draw < 0.83
        else "png"
        if kind_draw < 0.9
        else "text"
    )
    return make(
        *recipient,
        document_type,
        stored=stored,
        document_date=document_date,
        name="" if rng.random() < 0.9 else None,
        object_number=number,
        status="ENTWURF" if rng.random() < 0.07 else "ARCHIVIERT",
        kind=kind,
    )


def documents(world: World, count: int, new_document: Callable[..., Any]) -> Iterator[Any]:
    """The world's DocuWare documents (curated first), streamed; DWDOCID 1…"""
    rng = random.Random(f"docuware:{world.seed}")
    factory = _Factory(world, new_document, rng)
    produced = 0
    for document in _curated(factory.make, world):
        yield document
        produced += 1
    while produced < count:
        yield _random(factory.make, world, rng)
        produced += 1


def write_docuware(world: World, count: int, state: Path) -> int | None:
    """Replace the DocuWare emulator state at `state` with the world's documents.

    Returns the number of documents stored, or None when the emulator package is missing.
    """
    try:
        from emulators.docuware.store import NewDocument, seed_documents
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("emulators"):
            return None
        raise
    state.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        state.with_name(state.name + suffix).unlink(missing_ok=True)
    return seed_documents(state, documents(world, count, NewDocument))
