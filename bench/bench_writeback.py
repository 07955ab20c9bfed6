"""Throughput of the iX-Haus write-back (publishers/ixhaus) on SQLite.

Builds a small iX-Haus (tests/writeback/helpers.py) and write-back models with many rows,
then times `writeback()`: portal tickets and notes (one transaction + bookkeeping each,
exactly once), portal states and delivery routes (batched "set to this value"), and a
second run with the same models (everything found, nothing written). Medians of 3 runs.
Run: `.venv/bin/python bench/bench_writeback.py`.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402
from sqlalchemy import create_engine, insert  # noqa: E402

from portal_sync import ixhaus_schema as ix  # noqa: E402
from publishers.ixhaus import writeback  # noqa: E402
from tests.writeback.helpers import create_models, make_settings, seed_ixhaus  # noqa: E402

TICKETS = 200
NOTES_PER_TICKET = 2
STATES = 5000
LETTERS = 2000
RUNS = 3
T0 = datetime(2025, 3, 1, 8, 0)


def build(folder: Path) -> tuple[str, Path]:
    url = f"sqlite:///{folder / 'ixhaus.sqlite'}"
    seed_ixhaus(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            insert(ix.tickets),
            [
                {"ticket_id": 1000 + i, "ticket_type_id": 1, "object_id": 1, "priority_id": 1, "status_id": 1,
                 "title": f"t{i}", "created_by": "ADMIN", "created_at": T0, "updated_at": T0}
                for i in range(STATES)
            ],
        )  # fmt: skip
        conn.execute(
            insert(ix.serial_letters),
            [
                {"letter_id": 10_000 + i, "template_id": 1, "person_id": 100, "created_at": T0, "updated_at": T0}
                for i in range(LETTERS)
            ],
        )  # fmt: skip
    engine.dispose()
    warehouse = folder / "portal.duckdb"
    create_models(warehouse)
    con = duckdb.connect(str(warehouse))
    con.execute(
        f"""insert into marts.writeback_portal_tickets
        select 'C-' || i, 1, 1, 10, 100, 1, 1, null, 'Titel ' || i, null, timestamp '2025-03-01 08:00'
        from range({TICKETS}) t(i)"""
    )
    con.execute(
        f"""insert into marts.writeback_ticket_notes
        select 'C-M' || i || '-' || n, 'C-' || i, null, 'Nachricht ' || n, timestamp '2025-03-01 09:00'
        from range({TICKETS}) t(i), range({NOTES_PER_TICKET}) m(n)"""
    )
    con.execute(
        f"""insert into marts.writeback_ticket_portal_state
        select 1000 + i, 'NOT_TRANSFERRED', null, 'TICKET_TYPE_PORTAL_LOCKED', 'gesperrt', null, null
        from range({STATES}) t(i)"""
    )
    con.execute(
        f"insert into marts.writeback_delivery_routes select 10000 + i, 'LETTER' from range({LETTERS}) t(i)"
    )
    con.close()
    return url, warehouse


def once() -> tuple[float, float, dict[str, int]]:
    with tempfile.TemporaryDirectory() as tmp:
        url, warehouse = build(Path(tmp))
        settings = make_settings(url, "http://127.0.0.1:9", warehouse)
        started = time.perf_counter()
        counts = writeback(settings, warehouse, 1)
        first = time.perf_counter() - started
        started = time.perf_counter()
        writeback(settings, warehouse, 2)
        second = time.perf_counter() - started
    return first, second, counts


def main() -> None:
    results = [once() for _ in range(RUNS)]
    first = statistics.median(r[0] for r in results)
    second = statistics.median(r[1] for r in results)
    counts = results[0][2]
    inserts = TICKETS * (1 + NOTES_PER_TICKET)
    print(f"write-back on SQLite, medians of {RUNS} runs")
    print(f"  items: {counts}")
    print(
        f"  first run:  {first:.2f} s  ({inserts} inserts exactly-once + {STATES + LETTERS} set-value rows)"
    )
    print(
        f"  second run: {second:.2f} s  (same models: {inserts} found already there, nothing written)"
    )


if __name__ == "__main__":
    main()
