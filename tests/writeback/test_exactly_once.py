"""C5: the process is killed (SIGKILL) at named points; the next run neither duplicates nor loses.

Each test runs the write-back in a child process (`tests.writeback.runner`) with
`PORTAL_SYNC_CRASH_AT=<point>[:n]`, which kills itself there (no rollback, no cleanup),
then runs it again with the same models — iX-Haus is not re-read in between, so the models
still list what the killed run may already have written — and checks iX-Haus row by row.
"""

from __future__ import annotations

import signal
import subprocess
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, insert

from portal_sync import ixhaus_schema as ix
from publishers.ixhaus import writeback
from tests.writeback.conftest import SetupFactory, WritebackSetup
from tests.writeback.helpers import (
    PDF,
    PHOTO,
    PYTHON,
    ROOT,
    T0,
    book_rows,
    child_env,
    ixhaus_rows,
    parse_counts,
    put_rows,
    run_subprocess,
    snapshot,
)

EXPECTED_NOTES = {"C-M1": "C-1", "C-M2": "C-1", "C-M3": "C-2", "C-M4": None}


def assert_everything_once(setup: WritebackSetup) -> None:
    """Every portal id exactly once, nothing missing, every value as the models say."""
    tickets = ixhaus_rows(setup.ixhaus_url, "tickets", "ticket_id")
    portal = Counter(row["portal_ticket_id"] for row in tickets if row["portal_ticket_id"])
    assert portal == {"C-1": 1, "C-2": 1}
    ticket_of = {row["portal_ticket_id"]: row["ticket_id"] for row in tickets}
    ticket_of[None] = 7

    notes = ixhaus_rows(setup.ixhaus_url, "ticket_notes", "note_id")
    assert Counter(row["portal_message_id"] for row in notes) == dict.fromkeys(EXPECTED_NOTES, 1)
    for row in notes:
        assert row["ticket_id"] == ticket_of[EXPECTED_NOTES[row["portal_message_id"]]]
        assert row["created_by"] == "PORTAL"

    media = ixhaus_rows(setup.ixhaus_url, "ticket_media", "media_id")
    assert Counter(row["portal_attachment_id"] for row in media) == {"C-A1": 1, "C-A2": 1}
    content = {row["portal_attachment_id"]: (row["ticket_id"], row["content"]) for row in media}
    assert content == {"C-A1": (ticket_of["C-1"], PHOTO), "C-A2": (7, PDF)}

    persons = {
        row["person_id"]: row["contact_preference"]
        for row in ixhaus_rows(setup.ixhaus_url, "persons", "person_id")
    }
    assert persons == {100: "POSTAL", 101: None}
    letters = ixhaus_rows(setup.ixhaus_url, "serial_letters", "letter_id")
    assert [row["delivery_route"] for row in letters] == ["LETTER", None]
    (state,) = ixhaus_rows(setup.ixhaus_url, "ticket_portal_state", "ticket_id")
    assert (state["ticket_id"], state["portal_status"], state["last_portal_change_at"]) == (
        7,
        "TRANSFERRED",
        T0,
    )

    book = book_rows(setup.warehouse)
    assert {key: row["status"] for key, row in book.items()} == dict.fromkeys(book, "written")
    expected_keys = {("ticket", "C-1"), ("ticket", "C-2"), ("media", "C-A1"), ("media", "C-A2")}
    expected_keys |= {("note", key) for key in EXPECTED_NOTES}
    assert expected_keys <= set(book)


def kill_then_rerun(setup: WritebackSetup, point: str) -> dict[str, int]:
    killed = run_subprocess(setup.config, 1, crash_at=point)
    assert killed.returncode == -signal.SIGKILL, f"not killed at {point}: {killed.stderr[-2000:]}"
    return parse_counts(run_subprocess(setup.config, 2))


POINTS = [
    "ticket.inserted",  # inserted, not committed
    "ticket.committed:2",  # committed in iX-Haus, not in the bookkeeping
    "ticket.booked",  # after the bookkeeping
    "note.inserted:2",
    "note.committed:3",
    "media.fetched",  # downloaded, nothing written
    "media.inserted",
    "media.committed:2",
    "contact_preference.committed",
    "ticket_portal_state.committed",
]


@pytest.mark.parametrize("point", POINTS)
def test_a_kill_at_any_point_neither_duplicates_nor_loses_sqlite(
    make_setup: SetupFactory, point: str
) -> None:
    setup = make_setup("sqlite", True)
    kill_then_rerun(setup, point)
    assert_everything_once(setup)


@pytest.mark.postgres
@pytest.mark.parametrize(
    "point", ["ticket.inserted", "ticket.committed:2", "note.committed:3", "media.inserted"]
)
def test_a_kill_at_any_point_neither_duplicates_nor_loses_postgres(
    make_setup: SetupFactory, point: str
) -> None:
    setup = make_setup("postgres", True)
    kill_then_rerun(setup, point)
    assert_everything_once(setup)


@pytest.mark.parametrize(
    "point", ["ticket.committed", "note.committed:2", "media.committed:2", "ticket.booked"]
)
def test_exactly_once_does_not_need_the_unique_constraints(
    make_setup: SetupFactory, point: str
) -> None:
    """A DBA's view may not enforce UNIQUE on the portal ids: the lookup alone must hold."""
    setup = make_setup("sqlite", False)
    kill_then_rerun(setup, point)
    assert_everything_once(setup)


def test_the_crashed_attempt_is_counted_and_the_rerun_finds_the_committed_row(
    make_setup: SetupFactory,
) -> None:
    setup = make_setup("sqlite", True)
    counts = kill_then_rerun(setup, "ticket.committed:2")

    assert "tickets.created" not in counts
    assert counts["tickets.exists"] == 2  # C-1 booked before the kill, C-2 committed just before it
    book = book_rows(setup.warehouse)
    assert (book[("ticket", "C-1")]["attempts"], book[("ticket", "C-1")]["run_id"]) == (1, 1)
    assert (book[("ticket", "C-2")]["attempts"], book[("ticket", "C-2")]["run_id"]) == (2, 2)
    assert book[("ticket", "C-2")]["action"] == "exists"
    assert_everything_once(setup)


def test_a_kill_in_the_middle_of_an_attachment_download(make_setup: SetupFactory) -> None:
    """Half the photo has arrived when the process dies; the next run stores all of it, once."""
    setup = make_setup("sqlite", True)
    setup.files.stall.add("C-A1")
    child = subprocess.Popen(
        [PYTHON, "-m", "tests.writeback.runner", "1"],
        cwd=ROOT,
        env=child_env(setup.config),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert setup.files.half_sent.wait(60), "the download never started"
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    finally:
        setup.files.released.set()
        if child.poll() is None:
            child.kill()
        child.communicate()
    assert child.returncode == -signal.SIGKILL
    assert ixhaus_rows(setup.ixhaus_url, "ticket_media", "media_id") == []
    assert book_rows(setup.warehouse)[("media", "C-A1")]["status"] == "pending"

    counts = parse_counts(run_subprocess(setup.config, 2))

    assert counts["media.created"] == 2
    assert_everything_once(setup)


def test_lost_responses_and_a_kill_in_the_middle(make_setup: SetupFactory) -> None:
    setup = make_setup("sqlite", True)
    setup.files.drop.update({"C-A1": 2, "C-A2": 1})  # the answer never arrives, twice / once
    kill_then_rerun(setup, "media.committed")
    assert setup.files.gets["C-A1"] == 3  # retried until delivered, not fetched again once stored
    assert_everything_once(setup)


# -- the UNIQUE constraint as the last line of defence (a concurrent writer) ---------------


class _ConcurrentWriter:
    """Just before the write-back's INSERT reaches iX-Haus, another writer commits a row."""

    def __init__(self, url: str, table: str, row: dict[str, Any]) -> None:
        self.engine = create_engine(url)
        self.table = ix.metadata.tables[table]
        self.row = row
        self.fired = False

    def __call__(
        self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        if self.fired or conn.engine is self.engine:
            return
        if statement.lstrip().upper().startswith(f"INSERT INTO {self.table.name.upper()} "):
            self.fired = True
            with self.engine.begin() as other:
                other.execute(insert(self.table).values(self.row))


@pytest.fixture
def concurrent_writer() -> Any:
    listeners: list[_ConcurrentWriter] = []

    def install(url: str, table: str, row: dict[str, Any]) -> _ConcurrentWriter:
        writer = _ConcurrentWriter(url, table, row)
        event.listen(Engine, "before_cursor_execute", writer)
        listeners.append(writer)
        return writer

    yield install
    for writer in listeners:
        event.remove(Engine, "before_cursor_execute", writer)
        writer.engine.dispose()


def test_a_concurrent_insert_of_the_same_portal_id_is_taken_as_already_there(
    setup: WritebackSetup, concurrent_writer: Any
) -> None:
    row = {
        "ticket_id": 50, "ticket_type_id": 1, "object_id": 1, "priority_id": 1, "status_id": 1,
        "title": "Wasserhahn tropft", "created_by": "PORTAL", "created_at": T0, "updated_at": T0,
        "portal_ticket_id": "C-1",
    }  # fmt: skip
    writer = concurrent_writer(setup.ixhaus_url, "tickets", row)

    counts = writeback(setup.settings, setup.warehouse, 1)

    assert writer.fired
    assert (counts["tickets.exists"], counts["tickets.created"]) == (1, 1)
    tickets = {
        row["portal_ticket_id"]: row["ticket_id"]
        for row in ixhaus_rows(setup.ixhaus_url, "tickets", "ticket_id")
    }
    assert tickets == {None: 7, "C-1": 50, "C-2": 51}
    notes = {
        row["portal_message_id"]: row["ticket_id"]
        for row in ixhaus_rows(setup.ixhaus_url, "ticket_notes", "note_id")
    }
    assert notes["C-M1"] == 50


def test_a_ticket_id_taken_by_a_concurrent_writer_is_retried_with_the_next_one(
    setup: WritebackSetup, concurrent_writer: Any
) -> None:
    row = {
        "ticket_id": 8, "ticket_type_id": 1, "object_id": 1, "priority_id": 1, "status_id": 1,
        "title": "angelegt von Frau Admin", "created_by": "ADMIN", "created_at": T0, "updated_at": T0,
    }  # fmt: skip
    writer = concurrent_writer(setup.ixhaus_url, "tickets", row)

    counts = writeback(setup.settings, setup.warehouse, 1)

    assert writer.fired and counts["tickets.created"] == 2
    tickets = {
        row["ticket_id"]: row["portal_ticket_id"]
        for row in ixhaus_rows(setup.ixhaus_url, "tickets", "ticket_id")
    }
    assert tickets == {7: None, 8: None, 9: "C-1", 10: "C-2"}


@pytest.mark.postgres
def test_a_row_the_database_refuses_is_reported_not_retried_forever(
    make_setup: SetupFactory,
) -> None:
    """PostgreSQL enforces the foreign keys: an unknown ticket type is the item's error."""
    setup = make_setup("postgres", True)
    put_rows(
        setup.warehouse,
        "writeback_portal_tickets",
        [
            {"portal_ticket_id": "C-5", "ticket_type_id": 999, "object_id": 1, "priority_id": 1, "status_id": 1,
             "title": "x", "created_at": T0},
        ],
    )  # fmt: skip
    before = snapshot(setup.ixhaus_url)["tickets"]
    counts = writeback(setup.settings, setup.warehouse, 1)
    assert counts["tickets.failed"] == 1
    error = book_rows(setup.warehouse)[("ticket", "C-5")]["last_error"]
    assert error.startswith("ticket C-5: insert into tickets failed: ForeignKeyViolation")
    assert snapshot(setup.ixhaus_url)["tickets"] == before
