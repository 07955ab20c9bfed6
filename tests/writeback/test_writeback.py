"""The write-back entry point against a real iX-Haus database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import create_engine, insert, update

from portal_sync import ixhaus_schema as ix
from portal_sync.errors import UserError
from publishers.ixhaus import writeback
from tests.writeback.conftest import TOKEN, SetupFactory, WritebackSetup
from tests.writeback.helpers import (
    PDF,
    PHOTO,
    T0,
    book_rows,
    ixhaus_rows,
    make_settings,
    put_rows,
    snapshot,
)


def _run(setup: WritebackSetup, run_id: int = 1) -> dict[str, int]:
    return writeback(setup.settings, setup.warehouse, run_id)


def test_portal_tickets_notes_and_media_arrive_once_created_by_the_technical_user(
    setup: WritebackSetup,
) -> None:
    counts = _run(setup)

    assert counts == {
        "contact_preferences.updated": 1,
        "delivery_routes.updated": 1,
        "media.created": 2,
        "notes.created": 4,
        "ticket_portal_state.inserted": 1,
        "tickets.created": 2,
    }
    tickets = {
        row["portal_ticket_id"]: row
        for row in ixhaus_rows(setup.ixhaus_url, "tickets", "ticket_id")
    }
    assert set(tickets) == {None, "C-1", "C-2"}
    first = tickets["C-1"]
    assert first["ticket_id"] == 8  # max + 1 after the iX-Haus ticket 7
    assert tickets["C-2"]["ticket_id"] == 9
    assert (
        first["created_by"],
        first["reporter_person_id"],
        first["unit_id"],
        first["trade_id"],
    ) == (
        "PORTAL",
        100,
        10,
        3,
    )
    assert (first["title"], first["description"], first["created_at"]) == (
        "Wasserhahn tropft",
        "Küche, seit gestern",
        T0,
    )

    notes = {
        row["portal_message_id"]: row
        for row in ixhaus_rows(setup.ixhaus_url, "ticket_notes", "note_id")
    }
    assert {key: (row["ticket_id"], row["text"]) for key, row in notes.items()} == {
        "C-M1": (8, "Foto anbei."),
        "C-M2": (8, "Wann kommt jemand?"),
        "C-M3": (9, "Danke"),
        "C-M4": (7, "Immer noch kalt"),
    }
    assert all(row["is_public"] and row["created_by"] == "PORTAL" for row in notes.values())

    media = {
        row["portal_attachment_id"]: row
        for row in ixhaus_rows(setup.ixhaus_url, "ticket_media", "media_id")
    }
    assert media["C-A1"]["content"] == PHOTO
    assert (
        media["C-A1"]["ticket_id"],
        media["C-A1"]["size_bytes"],
        media["C-A1"]["file_name"],
    ) == (
        8,
        len(PHOTO),
        "hahn.jpg",
    )
    assert media["C-A2"]["content"] == PDF and media["C-A2"]["ticket_id"] == 7
    assert all(row["created_by"] == "PORTAL" and row["is_public"] for row in media.values())

    persons = {
        row["person_id"]: row for row in ixhaus_rows(setup.ixhaus_url, "persons", "person_id")
    }
    assert persons[100]["contact_preference"] == "POSTAL"
    assert persons[100]["updated_at"] > datetime(2025, 1, 1)
    assert persons[101]["updated_at"] == datetime(2025, 1, 1)  # not in the model: untouched
    letters = {
        row["letter_id"]: row
        for row in ixhaus_rows(setup.ixhaus_url, "serial_letters", "letter_id")
    }
    assert (letters[500]["delivery_route"], letters[501]["delivery_route"]) == ("LETTER", None)

    book = book_rows(setup.warehouse)
    assert book[("ticket", "C-1")]["status"] == "written"
    assert book[("ticket", "C-1")]["ixhaus_id"] == 8
    assert book[("media", "C-A1")]["attempts"] == 1
    assert {status["status"] for status in book.values()} == {"written"}


def test_a_second_run_writes_nothing(setup: WritebackSetup) -> None:
    _run(setup, 1)
    before = snapshot(setup.ixhaus_url)
    gets_before = dict(setup.files.gets)

    counts = _run(setup, 2)

    # the models still list everything (iX-Haus not re-read): all found, nothing written
    assert counts == {"media.exists": 2, "notes.exists": 4, "tickets.exists": 2}
    assert snapshot(setup.ixhaus_url) == before
    assert setup.files.gets == gets_before  # no attachment downloaded again


def test_a_portal_id_already_in_ixhaus_is_not_inserted_again(setup: WritebackSetup) -> None:
    """The bookkeeping lost (e.g. a fresh warehouse): iX-Haus itself knows what is there."""
    _run(setup, 1)
    setup.warehouse.unlink()
    from tests.writeback.helpers import standard_models

    standard_models(setup.warehouse)

    counts = _run(setup, 2)

    assert counts == {"media.exists": 2, "notes.exists": 4, "tickets.exists": 2}
    assert len(ixhaus_rows(setup.ixhaus_url, "tickets", "ticket_id")) == 3
    assert len(ixhaus_rows(setup.ixhaus_url, "ticket_notes", "note_id")) == 4
    assert book_rows(setup.warehouse)[("media", "C-A1")]["action"] == "exists"


def test_a_note_whose_ticket_is_missing_waits_and_is_written_later(setup: WritebackSetup) -> None:
    put_rows(
        setup.warehouse,
        "writeback_ticket_notes",
        [
            {
                "portal_message_id": "C-M9",
                "portal_ticket_id": "C-9",
                "text": "Hallo?",
                "created_at": T0,
            }
        ],
    )
    counts = _run(setup, 1)
    assert (counts["notes.failed"], counts["failed"]) == (1, 1)
    book = book_rows(setup.warehouse)[("note", "C-M9")]
    assert book["status"] == "failed"
    assert book["last_error"] == "note C-M9: its ticket C-9 is not in iX-Haus yet"
    with duckdb.connect(str(setup.warehouse), read_only=True) as con:
        errors = con.execute(
            "select run_id, stage, item, message from portal_sync.run_errors"
        ).fetchall()
    assert errors == [
        (1, "writeback", "note/C-M9", "note C-M9: its ticket C-9 is not in iX-Haus yet")
    ]

    put_rows(
        setup.warehouse,
        "writeback_portal_tickets",
        [
            {"portal_ticket_id": "C-9", "ticket_type_id": 1, "object_id": 1, "reporter_person_id": 101,
             "priority_id": 1, "status_id": 1, "title": "Neu", "created_at": T0},
        ],
    )  # fmt: skip
    counts = _run(setup, 2)
    assert counts["tickets.created"] == 1 and counts["notes.created"] == 1
    book = book_rows(setup.warehouse)[("note", "C-M9")]
    assert (book["status"], book["attempts"], book["run_id"]) == ("written", 2, 2)
    (note,) = [
        row
        for row in ixhaus_rows(setup.ixhaus_url, "ticket_notes", "note_id")
        if row["text"] == "Hallo?"
    ]
    assert note["ticket_id"] == 10


def test_a_lost_connection_during_the_download_is_retried(setup: WritebackSetup) -> None:
    setup.files.drop["C-A1"] = 1
    setup.files.truncate["C-A2"] = 1

    counts = _run(setup)

    assert counts["media.created"] == 2
    assert setup.files.gets == {"C-A1": 2, "C-A2": 2}
    media = {
        row["portal_attachment_id"]: row
        for row in ixhaus_rows(setup.ixhaus_url, "ticket_media", "media_id")
    }
    assert (media["C-A1"]["content"], media["C-A2"]["content"]) == (PHOTO, PDF)


def test_an_attachment_that_cannot_be_downloaded_is_retried_on_the_next_run(
    setup: WritebackSetup,
) -> None:
    setup.files.drop["C-A1"] = 100

    counts = _run(setup, 1)

    assert counts["media.failed"] == 1 and counts["media.created"] == 1
    book = book_rows(setup.warehouse)[("media", "C-A1")]
    assert book["status"] == "failed"
    assert book["last_error"] == (
        "media C-A1: content download failed: ticket-attachments/C-A1/content: "
        "no answer after 4 attempts: RemoteProtocolError"
    )
    assert TOKEN not in book["last_error"]
    assert [
        row["portal_attachment_id"]
        for row in ixhaus_rows(setup.ixhaus_url, "ticket_media", "media_id")
    ] == ["C-A2"]

    setup.files.drop["C-A1"] = 0
    counts = _run(setup, 2)
    assert counts == {"media.created": 1, "media.exists": 1, "notes.exists": 4, "tickets.exists": 2}
    assert book_rows(setup.warehouse)[("media", "C-A1")]["attempts"] == 2


def test_an_attachment_of_another_size_than_announced_is_not_stored(setup: WritebackSetup) -> None:
    setup.files.files["C-A1"] = PHOTO[:-1]

    counts = _run(setup)

    assert counts["media.failed"] == 1
    assert book_rows(setup.warehouse)[("media", "C-A1")]["last_error"] == (
        f"media C-A1: content has {len(PHOTO) - 1} bytes, casavi announced {len(PHOTO)}"
    )


def test_an_attachment_unknown_in_casavi_is_reported(setup: WritebackSetup) -> None:
    del setup.files.files["C-A2"]
    counts = _run(setup)
    assert counts["media.failed"] == 1
    assert book_rows(setup.warehouse)[("media", "C-A2")]["last_error"].startswith(
        "media C-A2: content download failed: ticket-attachments/C-A2/content: HTTP 404"
    )


def test_a_ticket_deleted_in_ixhaus_after_the_import_is_not_brought_back(
    setup: WritebackSetup,
) -> None:
    put_rows(setup.warehouse, "writeback_ticket_notes", [])
    put_rows(setup.warehouse, "writeback_ticket_media", [])
    _run(setup, 1)
    engine = create_engine(setup.ixhaus_url)
    with engine.begin() as conn:
        conn.execute(ix.tickets.delete().where(ix.tickets.c.portal_ticket_id == "C-2"))
    engine.dispose()

    counts = _run(setup, 2)

    assert counts == {"tickets.deleted_in_ixhaus": 1, "tickets.exists": 1}
    assert [
        row["portal_ticket_id"] for row in ixhaus_rows(setup.ixhaus_url, "tickets", "ticket_id")
    ] == [None, "C-1"]


def test_portal_state_is_upserted_only_where_it_changed(setup: WritebackSetup) -> None:
    engine = create_engine(setup.ixhaus_url)
    with engine.begin() as conn:
        conn.execute(
            insert(ix.tickets).values(
                ticket_id=20, ticket_type_id=1, object_id=1, priority_id=1, status_id=1, title="Keller",
                created_by="ADMIN", created_at=T0, updated_at=T0,
            )
        )  # fmt: skip
        conn.execute(
            insert(ix.ticket_portal_state),
            [
                {"ticket_id": 20, "portal_status": "PENDING", "updated_at": T0},
                {
                    "ticket_id": 55,
                    "portal_status": "TRANSFERRED",
                    "updated_at": T0,
                },  # ticket 55 was deleted
            ],
        )
    engine.dispose()
    state = [
        {"ticket_id": 7, "portal_status": "TRANSFERRED", "portal_state_label": "offen",
         "last_portal_change_at": T0, "last_portal_change_kind": "MESSAGE"},
        {"ticket_id": 20, "portal_status": "NOT_TRANSFERRED", "reason_code": "TICKET_TYPE_PORTAL_LOCKED",
         "reason_text": "Die Meldungsart ist für das Serviceportal gesperrt."},
    ]  # fmt: skip
    put_rows(setup.warehouse, "writeback_ticket_portal_state", state)

    counts = _run(setup, 1)
    assert (counts["ticket_portal_state.inserted"], counts["ticket_portal_state.updated"]) == (1, 1)
    assert counts["ticket_portal_state.deleted"] == 1
    rows = {
        row["ticket_id"]: row
        for row in ixhaus_rows(setup.ixhaus_url, "ticket_portal_state", "ticket_id")
    }
    assert set(rows) == {7, 20}
    assert (rows[20]["portal_status"], rows[20]["reason_code"]) == (
        "NOT_TRANSFERRED",
        "TICKET_TYPE_PORTAL_LOCKED",
    )
    assert (
        rows[7]["last_portal_change_at"] == T0 and rows[7]["last_portal_change_kind"] == "MESSAGE"
    )

    # D2: the news is cleared (the ticket was changed in iX-Haus): only ticket 7 changes
    before = rows
    state[0] = {**state[0], "last_portal_change_at": None, "last_portal_change_kind": None}
    put_rows(setup.warehouse, "writeback_ticket_portal_state", state)
    counts = _run(setup, 2)
    assert (
        counts["ticket_portal_state.updated"] == 1 and "ticket_portal_state.inserted" not in counts
    )
    after = {
        row["ticket_id"]: row
        for row in ixhaus_rows(setup.ixhaus_url, "ticket_portal_state", "ticket_id")
    }
    assert after[20] == before[20]
    assert (
        after[7]["last_portal_change_at"] is None
        and after[7]["updated_at"] > before[7]["updated_at"]
    )


def test_timezone_aware_model_timestamps_are_stored_as_utc(setup: WritebackSetup) -> None:
    with duckdb.connect(str(setup.warehouse)) as con:
        con.execute("set timezone = 'Europe/Berlin'")
        con.execute(
            "create or replace table marts.writeback_ticket_portal_state as select 7::bigint as ticket_id, "
            "'TRANSFERRED' as portal_status, 'offen' as portal_state_label, null::text as reason_code, "
            "null::text as reason_text, timestamptz '2025-03-01 09:00:00+01' as last_portal_change_at, "
            "'STATUS' as last_portal_change_kind"
        )
    _run(setup, 1)
    (row,) = ixhaus_rows(setup.ixhaus_url, "ticket_portal_state", "ticket_id")
    assert row["last_portal_change_at"] == T0
    assert _run(setup, 2).get("ticket_portal_state.updated") is None


def test_a_preference_or_route_already_in_place_is_not_touched(setup: WritebackSetup) -> None:
    engine = create_engine(setup.ixhaus_url)
    with engine.begin() as conn:
        conn.execute(
            update(ix.persons)
            .where(ix.persons.c.person_id == 100)
            .values(contact_preference="POSTAL")
        )
    engine.dispose()
    put_rows(
        setup.warehouse, "writeback_delivery_routes", [{"letter_id": 501, "delivery_route": None}]
    )

    counts = _run(setup)

    assert "contact_preferences.updated" not in counts and "delivery_routes.updated" not in counts
    persons = {
        row["person_id"]: row for row in ixhaus_rows(setup.ixhaus_url, "persons", "person_id")
    }
    assert persons[100]["updated_at"] == datetime(2025, 1, 1)


def test_an_unknown_technical_user_is_one_clear_error(setup: WritebackSetup) -> None:
    settings = setup.settings.model_copy(
        update={"ixhaus": setup.settings.ixhaus.model_copy(update={"technical_user": "NOBODY"})}
    )
    with pytest.raises(
        UserError,
        match=r"technical user 'NOBODY' \(\[ixhaus\] technical_user\) is not an iX-Haus user",
    ):
        writeback(settings, setup.warehouse, 1)
    assert ixhaus_rows(setup.ixhaus_url, "ticket_notes", "note_id") == []


def test_a_missing_model_is_one_clear_error(tmp_path: Path) -> None:
    warehouse = tmp_path / "empty.duckdb"
    settings = make_settings(f"sqlite:///{tmp_path / 'x.sqlite'}", "http://127.0.0.1:9", warehouse)
    with pytest.raises(
        UserError, match=r"write-back model marts.writeback_portal_tickets is missing"
    ):
        writeback(settings, warehouse, 1)


def test_an_unreachable_ixhaus_database_is_one_line_without_the_password(
    setup: WritebackSetup,
) -> None:
    url = "postgresql+psycopg://sync:s3cr3t-pw@127.0.0.1:9/ixhaus"
    settings = make_settings(url, setup.files.url, setup.warehouse)
    with pytest.raises(UserError) as caught:
        writeback(settings, setup.warehouse, 1)
    message = str(caught.value)
    assert message.startswith(
        "iX-Haus database postgresql+psycopg://sync:***@127.0.0.1:9/ixhaus: cannot connect"
    )
    assert "s3cr3t-pw" not in message and "\n" not in message


def test_an_open_connection_can_be_passed_in(setup: WritebackSetup) -> None:
    with duckdb.connect(str(setup.warehouse)) as con:
        counts = writeback(setup.settings, con, 5)
        assert con.execute(
            "select distinct run_id from portal_sync.writeback_items"
        ).fetchall() == [(5,)]
    assert counts["tickets.created"] == 2


@pytest.mark.postgres
def test_a_row_the_database_refuses_fails_alone_in_its_batch(make_setup: SetupFactory) -> None:
    """Portal states are written in batches; a refused row is redone alone, the others land."""
    setup = make_setup("postgres", True)
    state = [
        {"ticket_id": 7, "portal_status": "TRANSFERRED"},
        {"ticket_id": 2**40, "portal_status": "TRANSFERRED"},  # out of INTEGER range
    ]
    put_rows(setup.warehouse, "writeback_ticket_portal_state", state)

    counts = _run(setup)

    assert (counts["ticket_portal_state.inserted"], counts["ticket_portal_state.failed"]) == (1, 1)
    assert [
        row["ticket_id"]
        for row in ixhaus_rows(setup.ixhaus_url, "ticket_portal_state", "ticket_id")
    ] == [7]
    error = book_rows(setup.warehouse)[("ticket_portal_state", str(2**40))]["last_error"]
    assert error.startswith(f"ticket_portal_state {2**40}: NumericValueOutOfRange")
