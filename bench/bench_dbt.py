"""Benchmark: `portal-sync build` (dbt build of the whole project, as a sync runs it).

For each scale (small, medium; large with BENCH_LARGE=1): generate the demo world, load its
raw iX-Haus and DocuWare tables into a fresh warehouse (as ingest lays them out; an empty
casavi = first publish), then run `portal-sync build` BENCH_RUNS times (default 3) in fresh
processes. Prints the median wall time including dbt start-up, the peak memory of the build
process, its CPU time (a steadier figure on a busy machine) and the row counts. Targets: small < 15 s, large < 60 s.

Run: `.venv/bin/python bench/bench_dbt.py` (or `make bench`).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.dbt.raw_loader import load_world  # noqa: E402

CLI = str(Path(sys.executable).with_name("portal-sync"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
TODAY = "2026-06-15"


def _run(command: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MiB) of one child process."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    out, err = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{out}\n{err}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def bench(scale: str, folder: Path) -> None:
    env = {**os.environ, "PORTAL_SYNC_TODAY": TODAY}
    world = folder / scale
    world.mkdir()
    ixhaus, docuware = world / "ixhaus.sqlite", world / "docuware.sqlite"
    subprocess.run(
        [CLI, "demo", "--scale", scale, "--out", str(ixhaus), "--docuware-state", str(docuware)],
        env=env,
        check=True,
        capture_output=True,
    )
    warehouse = world / "portal.duckdb"
    load_world(warehouse, ixhaus, docuware)
    config = world / "portal-sync.toml"
    config.write_text(
        f'[warehouse]\npath = "{warehouse}"\n[portal]\nobject_range = "1000-1999, 2500"\n'
    )
    times, cpu, peaks = [], [], []
    for _ in range(RUNS):
        seconds, cpu_seconds, peak = _run([CLI, "build", "--config", str(config)], env)
        times.append(seconds)
        cpu.append(cpu_seconds)
        peaks.append(peak)
    results = json.loads((world / "dbt" / "target" / "run_results.json").read_text())["results"]
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        persons = con.execute("select count(*) from raw_ixhaus.persons").fetchone()[0]
        documents = con.execute("select count(*) from raw_ixhaus.documents").fetchone()[0]
        tickets = con.execute("select count(*) from raw_ixhaus.tickets").fetchone()[0]
        planned = con.execute("select count(*) from marts.plan_changes").fetchone()[0]
        nodes = con.execute(
            "select count(*) from information_schema.tables where table_schema in"
            " ('staging', 'intermediate', 'marts', 'seeds')"
        ).fetchone()[0]
    finally:
        con.close()
    print(
        f"{scale:>6}: dbt build median {statistics.median(times):6.1f} s"
        f" (min {min(times):.1f}, max {max(times):.1f}, {RUNS} runs, incl. start-up),"
        f" CPU {statistics.median(cpu):5.1f} s,"
        f" peak RSS {max(peaks):6.0f} MiB | {persons} persons, {documents} documents,"
        f" {tickets} tickets → {planned} planned changes, {nodes} relations,"
        f" {len(results)} dbt nodes"
    )


def main() -> None:
    scales = ["small", "medium"] + (["large"] if os.environ.get("BENCH_LARGE") == "1" else [])
    with tempfile.TemporaryDirectory(prefix="bench_dbt_") as tmp:
        for scale in scales:
            bench(scale, Path(tmp))
    print(
        f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f} (other work slows the figures)"
    )


if __name__ == "__main__":
    main()
