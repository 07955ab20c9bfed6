"""iX-Haus → raw_ixhaus, against SQLite and a real PostgreSQL (the same tests)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import dlt
import duckdb
import pytest
import sqlalchemy as sa

from dlt_pipelines import common, ixhaus
from dlt_pipelines.run import ingest_unlocked
from portal_sync import ixhaus_schema
from portal_sync.errors import UserError
from tests.dlt_pipelines import tiny_world
from tests.dlt_pipelines.conftest import IxhausDb, columns, query, settings_for

IXHAUS = ("ixhaus",)


def _later(value: Any) -> datetime:
    return (value if isinstance(value, datetime) else datetime.fromisoformat(value)) + timedelta(
        minutes=1
    )


def test_updates_arrive_incrementally_and_deletions_after_a_full_run(
    ixhaus_db: IxhausDb, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path, ixhaus_url=ixhaus_db.url)
    first = ingest_unlocked(settings, sources=IXHAUS)
    assert first.results[0].full  # the first run of a source is a full one
    person_id = ixhaus_db.scalar("select min(person_id) from persons")
    ixhaus_db.execute(
        "update persons set last_name = 'Neumann', updated_at = :stamp where person_id = :pid",
        stamp=_later(ixhaus_db.scalar("select max(updated_at) from persons")),
        pid=person_id,
    )
    media_id = ixhaus_db.scalar("select min(media_id) from ticket_media")
    ixhaus_db.execute("delete from ticket_media where media_id = :mid", mid=media_id)
    media_present = "select count(*) from raw_ixhaus.ticket_media where media_id = ?"

    second = ingest_unlocked(settings, sources=IXHAUS)

    result = second.results[0]
    assert not result.full
    assert result.rows["persons"] == 1
    assert sum(result.rows.values()) - result.rows["system_settings"] == 1  # nothing else re-read
    assert query(
        settings, "select last_name from raw_ixhaus.persons where person_id = ?", [person_id]
    ) == [("Neumann",)]
    assert query(settings, media_present, [media_id]) == [
        (1,)
    ]  # incremental runs cannot see deletions

    full = ingest_unlocked(settings, sources=IXHAUS, full=True)

    assert full.results[0].full
    assert query(settings, media_present, [media_id]) == [(0,)]
    for table in ixhaus_schema.READ_TABLES:  # every other row is still there
        expected = ixhaus_db.scalar(f"select count(*) from {table}")
        assert query(settings, f"select count(*) from raw_ixhaus.{table}") == [(expected,)], table
    # the contract's columns with the contract's types, and no BLOB
    duck = {
        "bigint": "BIGINT",
        "text": "VARCHAR",
        "date": "DATE",
        "timestamp": "TIMESTAMP",
        "bool": "BOOLEAN",
    }
    for table in ixhaus_schema.READ_TABLES:
        expected_columns = {
            col.name: duck[ixhaus.dlt_type(col)] for col in ixhaus.contract_columns(table)
        }
        assert columns(settings, "raw_ixhaus", table) == expected_columns, table
    assert "content" not in columns(settings, "raw_ixhaus", "documents")
    assert "content" not in columns(settings, "raw_ixhaus", "ticket_media")


def test_unchanged_tables_are_not_loaded_and_every_kind_of_change_is_seen(
    ixhaus_db: IxhausDb, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path, ixhaus_url=ixhaus_db.url)
    ingest_unlocked(settings, sources=IXHAUS)
    loads = "select count(*) from raw_ixhaus._dlt_loads"
    before = query(settings, loads)

    quiet = ingest_unlocked(settings, sources=IXHAUS).results[0]

    assert not quiet.full and set(quiet.rows.values()) == {0}
    assert query(settings, loads) == before  # nothing changed: dlt did not run

    def changed() -> list[str]:
        engine = sa.create_engine(ixhaus_db.url)
        try:
            with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
                return ixhaus.changed_tables(engine, con)
        finally:
            engine.dispose()

    # a new row with the same stamp as the newest one already loaded
    ixhaus_db.execute(
        "insert into tenancies (tenancy_id, unit_id, person_id, move_in_date, move_out_date, updated_at) "
        "select tenancy_id + 1000000, unit_id, person_id, move_in_date, move_out_date, updated_at "
        "from tenancies where tenancy_id = (select min(tenancy_id) from tenancies "
        "where updated_at = (select max(updated_at) from tenancies))"
    )
    ixhaus_db.execute(
        "update system_settings set setting_value = 'Neue Verwaltung GmbH' "
        "where setting_key = 'Mandant/Name'"
    )
    assert sorted(changed()) == ["system_settings", "tenancies"]

    loaded = ingest_unlocked(settings, sources=IXHAUS).results[0]

    assert {table: rows for table, rows in loaded.rows.items() if rows} == {
        "system_settings": 4,
        "tenancies": 1,
    }
    assert changed() == []
    assert query(
        settings,
        "select setting_value from raw_ixhaus.system_settings where setting_key = 'Mandant/Name'",
    ) == [("Neue Verwaltung GmbH",)]


def test_a_full_reconciliation_is_automatic_once_the_last_is_older_than_a_day(
    tmp_path: Path,
) -> None:
    ixhaus_db = IxhausDb("sqlite", tiny_world.create(tmp_path / "ix.sqlite"))
    settings = settings_for(tmp_path, ixhaus_url=ixhaus_db.url)
    ingest_unlocked(settings, sources=IXHAUS)
    note_id = ixhaus_db.scalar("select max(note_id) from ticket_notes")
    ixhaus_db.execute("delete from ticket_notes where note_id = :nid", nid=note_id)
    assert not ingest_unlocked(settings, sources=IXHAUS).results[0].full
    con = duckdb.connect(str(settings.warehouse_path))
    con.execute(
        "update portal_sync.ingest_full_runs set finished_at = finished_at - interval 25 hours"
    )
    con.close()

    report = ingest_unlocked(settings, sources=IXHAUS)

    assert report.results[0].full
    assert query(
        settings, "select count(*) from raw_ixhaus.ticket_notes where note_id = ?", [note_id]
    ) == [(0,)]
    assert query(
        settings, "select count(*) from portal_sync.ingest_full_runs where dataset = 'raw_ixhaus'"
    ) == [(2,)]


def _load_source(engine: sa.Engine, folder: Path, full: bool = True) -> duckdb.DuckDBPyConnection:
    warehouse = folder / "wh" / "portal.duckdb"
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse))
    pipeline = common.make_pipeline("ixhaus", "raw_ixhaus", con, warehouse)
    pipeline.run(ixhaus.ixhaus_source(engine, full=full))
    return con


def test_blob_columns_are_never_selected(tmp_path: Path) -> None:
    engine = sa.create_engine(tiny_world.create(tmp_path / "ix.sqlite"))
    statements: list[str] = []
    sa.event.listen(
        engine, "before_cursor_execute", lambda *args: statements.append(str(args[2]).lower())
    )

    con = _load_source(engine, tmp_path)

    reads = [sql for sql in statements if "from documents" in sql or "from ticket_media" in sql]
    assert reads, "the BLOB tables were read"
    assert all("content" not in sql for sql in reads), reads
    assert con.execute("select count(*) from raw_ixhaus.ticket_media").fetchone() == (3,)
    con.close()
    engine.dispose()


def _oracle_like(path: Path) -> sa.Engine:
    """The tiny world as Oracle delivers it: NUMBER → float, DATE → datetime, NUMBER(1) booleans."""
    metadata = sa.MetaData()
    for table in ixhaus_schema.metadata.sorted_tables:
        cols = []
        for col in table.columns:
            kind: Any = col.type
            if isinstance(col.type, sa.Boolean | sa.Integer):
                kind = sa.Float()
            elif isinstance(col.type, sa.Date) and not isinstance(col.type, sa.DateTime):
                kind = sa.DateTime()
            cols.append(sa.Column(col.name, kind, primary_key=col.primary_key))
        sa.Table(table.name, metadata, *cols)
    engine = sa.create_engine(f"sqlite:///{path}")
    metadata.create_all(engine)
    with engine.begin() as conn:
        for name, rows in tiny_world.rows().items():
            converted = [
                {
                    key: float(value) if isinstance(value, bool | int) else
                    datetime(value.year, value.month, value.day) if type(value).__name__ == "date" else value
                    for key, value in row.items()
                }
                for row in rows
            ]  # fmt: skip
            if converted:
                conn.execute(metadata.tables[name].insert(), converted)
    return engine


def test_oracle_style_numbers_dates_and_booleans_arrive_typed(tmp_path: Path) -> None:
    engine = _oracle_like(tmp_path / "oracle-like.sqlite")

    con = _load_source(engine, tmp_path)

    types = dict(
        con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'raw_ixhaus' and table_name = 'tenancies'"
        ).fetchall()
    )
    assert types["tenancy_id"] == "BIGINT" and types["move_in_date"] == "DATE"
    row = con.execute(
        "select t.tenancy_id, t.move_in_date, tt.portal_locked, tt.release_tenant "
        "from raw_ixhaus.tenancies t, raw_ixhaus.ticket_types tt order by t.tenancy_id limit 1"
    ).fetchone()
    assert row == (1, datetime(2020, 1, 1).date(), False, True)
    con.close()
    engine.dispose()


def test_a_missing_contract_table_is_named(tmp_path: Path) -> None:
    url = tiny_world.create(tmp_path / "ix.sqlite")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("drop table ticket_orders"))
    engine.dispose()
    settings = settings_for(tmp_path, ixhaus_url=url)

    with pytest.raises(Exception, match="table or view ticket_orders is missing"):
        ingest_unlocked(settings, sources=IXHAUS)


def test_dlt_runs_without_telemetry(tmp_path: Path) -> None:
    engine = sa.create_engine(tiny_world.create(tmp_path / "ix.sqlite"))
    _load_source(engine, tmp_path).close()
    engine.dispose()
    assert dlt.config["runtime.dlthub_telemetry"] in (False, "false")


@pytest.mark.postgres
def test_postgresql_and_sqlite_give_the_same_raw_tables(
    small_world: Any, postgres_url: str, postgres_world: str, tmp_path: Path
) -> None:
    from tests.fixtures.postgres import create_database

    pg_url = create_database(postgres_url, "same_tables", template=postgres_world)
    (tmp_path / "sqlite").mkdir()
    (tmp_path / "postgres").mkdir()
    from_sqlite = settings_for(tmp_path / "sqlite", ixhaus_url=small_world.ixhaus_url)
    from_postgres = settings_for(tmp_path / "postgres", ixhaus_url=pg_url)
    ingest_unlocked(from_sqlite, sources=IXHAUS)
    ingest_unlocked(from_postgres, sources=IXHAUS)

    for table in ixhaus_schema.READ_TABLES:
        assert columns(from_sqlite, "raw_ixhaus", table) == columns(
            from_postgres, "raw_ixhaus", table
        ), table
        names = ", ".join(columns(from_sqlite, "raw_ixhaus", table))
        sql = f"select {names} from raw_ixhaus.{table} order by all"
        rows = query(from_sqlite, sql)
        assert rows, f"{table} is empty in the demo world"
        assert rows == query(from_postgres, sql), table


def test_a_row_without_updated_at_fails_the_full_run_naming_the_table(tmp_path: Path) -> None:
    """The contract has `updated_at` NOT NULL: incremental reads are `updated_at >= :cursor`."""
    url = tiny_world.create(tmp_path / "ix.sqlite")
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # a broken iX-Haus view
        conn.execute(sa.text("alter table trades rename to trades_base"))
        conn.execute(
            sa.text(
                "create view trades as select trade_id, name, release_tenant, release_caretaker, "
                "release_owner, "
                "case when trade_id = (select min(trade_id) from trades_base) then null "
                "else updated_at end as updated_at from trades_base"
            )
        )
    engine.dispose()
    settings = settings_for(tmp_path, ixhaus_url=url)

    with pytest.raises(UserError, match=r"^iX-Haus table trades: a row has no updated_at"):
        ingest_unlocked(settings, sources=IXHAUS)
