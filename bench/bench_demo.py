"""Benchmark `portal-sync demo`: generation time and peak memory per scale.

Each run is a separate process (`portal-sync demo …`); its own peak RSS comes from
`os.wait4` (the child's rusage, like `getrusage(RUSAGE_CHILDREN)` but per child). Small and medium: median of several runs; large:
once, only with BENCH_LARGE=1 (about a minute; the issue's limit is 5 min and 2 GB).

    .venv/bin/python bench/bench_demo.py            # small + medium
    BENCH_LARGE=1 .venv/bin/python bench/bench_demo.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLI = Path(sys.executable).with_name("portal-sync")


def run_once(scale: str, folder: Path) -> tuple[float, float]:
    """One generation in a child process: (seconds, peak RSS of that child in MB)."""
    env = {**os.environ, "PORTAL_SYNC_TODAY": "2026-06-15"}
    command = [
        str(CLI), "demo", "--scale", scale, "--seed", "42", "--out", str(folder / f"{scale}.sqlite"),
        "--docuware-state", str(folder / f"{scale}-docuware.sqlite"),
    ]  # fmt: skip
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(
            f"portal-sync demo --scale {scale} failed with exit code {child.returncode}"
        )
    return seconds, usage.ru_maxrss / 1024  # Linux: kilobytes


def main() -> None:
    plans = [("small", 5), ("medium", 3)]
    if os.environ.get("BENCH_LARGE") == "1":
        plans.append(("large", 1))
    print("scale   runs  median s  peak RSS MB  iX-Haus MB  DocuWare MB")
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        for scale, runs in plans:
            results = [run_once(scale, folder) for _ in range(runs)]
            seconds = statistics.median(r[0] for r in results)
            peak = max(r[1] for r in results)
            size = (folder / f"{scale}.sqlite").stat().st_size / 1e6
            dw = folder / f"{scale}-docuware.sqlite"
            dw_size = dw.stat().st_size / 1e6 if dw.exists() else 0.0
            print(
                f"{scale:7} {runs:4}  {seconds:8.1f}  {peak:11.0f}  {size:10.0f}  {dw_size:11.0f}"
            )
    if os.environ.get("BENCH_LARGE") != "1":
        print("(large: set BENCH_LARGE=1)")


if __name__ == "__main__":
    main()
