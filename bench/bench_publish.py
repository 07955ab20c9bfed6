"""Benchmark: publish throughput and no-change sync wall time (issue 6).

1. Publish throughput on the medium world: casavi emulator with 20 ms latency and a rate
   limit of 50 requests/s, the client at `requests_per_second = 50`; figure = requests per
   second while publishing, as a share of the rate limit (target >= 80 %).
2. No-change `portal-sync sync` wall time (median of 3) on small and medium (targets
   < 15 s and < 30 s): after the first sync, syncs run until one changes nothing in either
   direction (the next syncs read the echo of the previous writes; printed as "settling"),
   then three more are timed.

Runs the real CLI in subprocesses, in a temp folder. `BENCH_SCALES=small` limits the run;
`BENCH_THROTTLE=small,medium` chooses the scales published against the throttled emulator.
"""

from __future__ import annotations

import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

CLI = str(Path(sys.executable).with_name("portal-sync"))
TODAY = "2026-06-15"
RATE = 50


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(kind: str, state: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    log = state.with_suffix(".log").open("ab")
    process = subprocess.Popen(
        [CLI, "emulate", kind, "--port", str(port), "--state", str(state)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(f"{base}/emulator/clock", timeout=1)
            return process, base
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit(f"{kind} emulator did not start")


def sync(folder: Path) -> tuple[float, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PORTAL_SYNC", "CASAVI_", "DOCUWARE_"))
    }
    env.update(
        {
            "PORTAL_SYNC_TODAY": TODAY,
            "PORTAL_SYNC_CONFIG": str(folder / "portal-sync.toml"),
            "COLUMNS": "200",
        }
    )
    started = time.perf_counter()
    result = subprocess.run(
        [CLI, "sync"], cwd=folder, env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"sync failed ({result.returncode}): {result.stderr.strip()[-500:]}")
    return seconds, result.stdout


def world(
    scale: str, root: Path, throttle: bool
) -> tuple[Path, list[subprocess.Popen[bytes]], str]:
    folder = root / scale
    folder.mkdir()
    subprocess.run(
        [CLI, "demo", "--scale", scale, "--out", str(folder / "ixhaus.sqlite")],
        env={**os.environ, "PORTAL_SYNC_TODAY": TODAY},
        check=True,
        capture_output=True,
    )
    casavi, casavi_url = start("casavi", folder / "casavi.sqlite")
    docuware, docuware_url = start("docuware", folder / "docuware.sqlite")
    httpx.post(f"{casavi_url}/emulator/clock", json={"now": f"{TODAY}T10:00:00.000Z"}, timeout=10)
    if throttle:
        httpx.post(
            f"{casavi_url}/emulator/faults",
            json={"rules": [], "latency_ms": 20, "rate_limit_per_second": RATE},
            timeout=10,
        ).raise_for_status()
    (folder / "portal-sync.toml").write_text(
        f"""
[warehouse]
path = "warehouse/portal.duckdb"
[ixhaus]
url = "sqlite:///{folder / "ixhaus.sqlite"}"
[portal]
object_range = "1000-1999, 2500"
[casavi]
url = "{casavi_url}"
concurrency = 8
requests_per_second = {RATE if throttle else 1000}
[docuware]
url = "{docuware_url}/DocuWare/Platform"
""",
        encoding="utf-8",
    )
    return folder, [casavi, docuware], casavi_url


def settle(folder: Path, limit: int = 5) -> list[float]:
    """Sync until a sync writes nothing in either direction; their wall times.

    The sync after a publishing one reads casavi's echo of what was published (and the one
    after a write-back the echo in iX-Haus), so "no change" starts once a sync changed
    nothing anywhere.
    """
    times: list[float] = []
    for _ in range(limit):
        seconds, out = sync(folder)
        times.append(seconds)
        if "(0 requests)" in out and "write-back:" not in out:
            return times
    raise SystemExit(f"no quiet sync after {limit} syncs:\n{out[-1500:]}")


def main() -> None:
    scales = os.environ.get("BENCH_SCALES", "small,medium").split(",")
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as tmp:
        root = Path(tmp)
        for scale in scales:
            throttle = scale in os.environ.get("BENCH_THROTTLE", "medium").split(",")
            folder, processes, _ = world(scale, root, throttle)
            try:
                seconds, out = sync(folder)
                match = re.search(r"publish\s+done in ([\d.]+) s \((\d+) requests\)", out)
                if match and throttle:
                    publish_s, requests = float(match.group(1)), int(match.group(2))
                    rate = requests / publish_s if publish_s else 0.0
                    print(
                        f"{scale}: first sync {seconds:.1f} s; publish {requests} requests in {publish_s:.1f} s "
                        f"= {rate:.1f}/s = {rate / RATE:.0%} of the {RATE}/s rate limit (latency 20 ms; target >= 80 %)"
                    )
                elif match:
                    print(f"{scale}: first sync {seconds:.1f} s ({match.group(2)} requests)")
                settled = settle(folder)
                print(
                    f"{scale}: settling syncs (each reads the echo of the previous one's writes): "
                    + ", ".join(f"{t:.1f} s" for t in settled)
                )
                times = [sync(folder)[0] for _ in range(3)]
                target = {"small": 15, "medium": 30}.get(scale)
                print(
                    f"{scale}: no-change sync wall time median {statistics.median(times):.1f} s "
                    f"(runs: {', '.join(f'{t:.1f}' for t in times)}; target < {target} s)"
                )
            finally:
                for process in processes:
                    process.terminate()
                    process.wait(timeout=10)


if __name__ == "__main__":
    main()
