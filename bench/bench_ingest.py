"""Benchmark: `portal-sync ingest` of the medium (and, with BENCH_LARGE=1, large) demo world.

For each scale: generate the world, seed the casavi emulator with one property / unit /
contact per iX-Haus object / unit / person (a populated portal), start both emulators, then
measure in a fresh subprocess each:
- full ingest (`--full`: iX-Haus, DocuWare and casavi re-read and replaced),
- no-change incremental ingest.
Prints median wall time, rows/s, CPU time of the ingest process (user + system: its own
work, less sensitive than wall time to other load on the machine; the emulators' work is
not in it) and the peak memory (ru_maxrss) over BENCH_RUNS runs (default 3). Targets: large
full < 3 min, no-change incremental < 5 s.

Run: `.venv/bin/python bench/bench_ingest.py` (or `make bench`).
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fixtures.emulators import run_casavi, run_docuware  # noqa: E402

CLI = str(Path(sys.executable).with_name("portal-sync"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))

MEASURE = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
seconds = time.perf_counter() - started
if done.returncode:
    sys.exit(done.stderr)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "maxrss_kb": usage.ru_maxrss}))
"""


def seed_casavi(ixhaus: Path, state: Path) -> int:
    """A populated portal: one property / unit / contact per object / unit / person.

    Their `modifiedAt` are spread over the past (20 ms apart), as after many earlier syncs.
    """
    from emulators.casavi.store import Store

    source = sqlite3.connect(ixhaus)
    store = Store(state)
    start = int(datetime.now(UTC).timestamp() * 1000) - 10_000_000
    count = 0

    def save(collection: str, body: dict[str, Any]) -> None:
        nonlocal count
        count += 1
        ms = start + 20 * count
        moment = datetime.fromtimestamp(ms / 1000, UTC)
        text = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
        meta = {"internalId": store.next_internal_id(), "createdAt": text, "modifiedAt": text,
                "managedExternally": True, "source": "ERP"}  # fmt: skip
        store.save(collection, {**body, **meta}, ms)

    store.conn.execute("BEGIN")
    for number, name, street, postal, city in source.execute(
        "select object_number, name, street, postal_code, city from objects"
    ):
        save("properties", {"id": f"O-{number}", "name": name, "number": number, "street": street,
                            "postalCode": postal, "city": city, "country": "DE", "responsibilities": []})  # fmt: skip
    for unit_id, number, object_number in source.execute(
        "select u.unit_id, u.unit_number, o.object_number from units u join objects o using (object_id)"
    ):
        save("units", {"id": f"U-{unit_id}", "propertyId": f"O-{object_number}", "number": number,
                       "name": number, "floor": None})  # fmt: skip
    for person_id, first, last, email in source.execute(
        "select person_id, first_name, last_name, email from persons"
    ):
        save("contacts", {"id": f"P-{person_id}", "firstName": first, "lastName": last, "email": email,
                          "contracts": [], "isRegistered": False, "isInvited": False,
                          "preferredWayOfContact": None})  # fmt: skip
    store.conn.execute("COMMIT")
    store.conn.close()
    source.close()
    return count


def measure(config: Path, *args: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, CLI, "ingest", "-c", str(config), *args],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    result = json.loads(done.stdout)
    con = duckdb.connect(str(config.parent / "warehouse" / "portal.duckdb"), read_only=True)
    rows = con.execute(
        "select coalesce(sum(rows), 0) from portal_sync.ingest_tables "
        "where run_id = (select max(run_id) from portal_sync.runs)"
    ).fetchone()
    con.close()
    result["rows"] = int(rows[0]) if rows else 0
    return result


def report(label: str, runs: list[dict[str, float]]) -> None:
    seconds = statistics.median(run["seconds"] for run in runs)
    rows = statistics.median(run["rows"] for run in runs)
    cpu = statistics.median(run["cpu"] for run in runs)
    peak = max(run["maxrss_kb"] for run in runs) / 1024
    print(
        f"  {label:<28} {seconds:7.2f} s   {rows:>10,.0f} rows   {rows / seconds:>10,.0f} rows/s   "
        f"cpu {cpu:6.1f} s   peak {peak:6.0f} MB"
    )


def bench(scale: str) -> None:
    with tempfile.TemporaryDirectory(prefix=f"bench-ingest-{scale}-") as tmp:
        folder = Path(tmp)
        ixhaus = folder / "ixhaus.sqlite"
        subprocess.run(
            [CLI, "demo", "--scale", scale, "--out", str(ixhaus), "--docuware-state", str(folder / "docuware.sqlite")],
            check=True, capture_output=True,
        )  # fmt: skip
        seeded = seed_casavi(ixhaus, folder / "casavi.sqlite")
        casavi = run_casavi(folder / "casavi.sqlite")
        docuware = run_docuware(folder / "docuware.sqlite")
        try:
            config = folder / "portal-sync.toml"
            config.write_text(
                f'[warehouse]\npath = "warehouse/portal.duckdb"\n[ixhaus]\nurl = "sqlite:///{ixhaus}"\n'
                f'[casavi]\nurl = "{casavi.url}"\n[docuware]\nurl = "{docuware.url}"\n',
                encoding="utf-8",
            )
            print(
                f"{scale} world (casavi seeded with {seeded:,} resources), {RUNS} runs each, medians:"
            )
            measure(config)  # first load (creates the warehouse)
            report("full ingest (--full)", [measure(config, "--full") for _ in range(RUNS)])
            report("no-change incremental", [measure(config) for _ in range(RUNS)])
        finally:
            casavi.stop()
            docuware.stop()


def main() -> None:
    env_scales = ["medium", "large"] if os.environ.get("BENCH_LARGE") == "1" else ["medium"]
    for scale in env_scales:
        bench(scale)


if __name__ == "__main__":
    main()
