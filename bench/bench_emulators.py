"""Throughput and start-up time of the casavi and DocuWare emulators.

Starts each emulator as a subprocess (`portal-sync emulate …`) and drives it with a small
asyncio HTTP/1.1 keep-alive client (lighter than httpx, so the client is not the
bottleneck on 2 cores). Prints medians of 3 runs. Run: `.venv/bin/python bench/bench_emulators.py`.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fixtures.emulators import Emulator  # noqa: E402

CONNECTIONS = 16
DURATION_S = 3.0
RUNS = 3

RequestFactory = Callable[[int], bytes]


def http_request(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{key}: {value}" for key, value in headers.items()]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _worker(
    port: int, make: RequestFactory, worker: int, stop_at: float, statuses: Counter[int]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    n = 0
    try:
        while time.perf_counter() < stop_at:
            writer.write(make(worker * 1_000_000 + n))
            n += 1
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            statuses[status] += 1
    finally:
        writer.close()


async def _load(port: int, make: RequestFactory) -> tuple[float, Counter[int]]:
    statuses: Counter[int] = Counter()
    start = time.perf_counter()
    stop_at = start + DURATION_S
    await asyncio.gather(*(_worker(port, make, w, stop_at, statuses) for w in range(CONNECTIONS)))
    return sum(statuses.values()) / (time.perf_counter() - start), statuses


def measure(port: int, make: RequestFactory) -> tuple[float, Counter[int]]:
    """Median req/s of RUNS runs, and the status codes of the last run."""
    rates, statuses = [], Counter[int]()
    for _ in range(RUNS):
        rate, statuses = asyncio.run(_load(port, make))
        rates.append(rate)
    return statistics.median(rates), statuses


def startup_time(kind: str, folder: Path) -> float:
    times = []
    for run in range(RUNS):
        emulator = Emulator(kind, folder / f"startup-{kind}-{run}.sqlite")
        began = time.perf_counter()
        emulator.start()
        times.append(time.perf_counter() - began)
        emulator.stop()
    return statistics.median(times)


def report(label: str, rate: float, statuses: Counter[int]) -> None:
    codes = ", ".join(f"{code}×{count}" for code, count in sorted(statuses.items()))
    print(f"  {label:<46} {rate:8.0f} req/s   (last run: {codes})")


def bench_casavi(folder: Path) -> None:
    print(f"casavi emulator: start-up {startup_time('casavi', folder):.2f} s (median of {RUNS})")
    with Emulator("casavi", folder / "casavi.sqlite").start() as emulator, emulator.client() as api:
        token = api.headers["token"]
        api.put("/v2/properties/P-1", json={"name": "Haus 1"}).raise_for_status()
        for i in range(500):
            api.put(
                f"/v2/units/E-{i}", json={"propertyId": "P-1", "number": str(i)}
            ).raise_for_status()
        headers = {"token": token, "Content-Type": "application/json"}
        get = {i: http_request("GET", f"/v2/units/E-{i}", headers) for i in range(500)}
        rate, statuses = measure(emulator.port, lambda n: get[n % 500])
        report("GET /v2/units/{id}", rate, statuses)
        page = http_request("GET", "/v2/units?pageSize=100&page=2", headers)
        rate, statuses = measure(emulator.port, lambda n: page)
        report("GET /v2/units?pageSize=100 (100 items/page)", rate, statuses)

        def put(n: int) -> bytes:
            body = json.dumps({"propertyId": "P-1", "number": str(n), "name": f"Unit {n}"}).encode()
            return http_request("PUT", f"/v2/units/B-{n % 5000}", headers, body)

        rate, statuses = measure(emulator.port, put)
        report("PUT /v2/units/{id}", rate, statuses)


def bench_docuware(folder: Path) -> None:
    from datetime import datetime, timedelta

    from emulators.docuware.store import ARCHIVE_ID, SEARCH_DIALOG_ID, NewDocument, seed_documents

    print(
        f"DocuWare emulator: start-up {startup_time('docuware', folder):.2f} s (median of {RUNS})"
    )
    state = folder / "docuware.sqlite"
    base = datetime(2026, 1, 1, 8, 0)
    began = time.perf_counter()
    count = seed_documents(
        state,
        (
            NewDocument(
                {
                    "DWDOCID": i,
                    "DWSTOREDATETIME": base + timedelta(minutes=i),
                    "EMPFAENGERID": str(10_000 + i % 5000),
                    "EMPFAENGERTYP": "P",
                    "DOKUMENTTYP": "Nebenkostenabrechnung",
                    "DOKUMENTDATUM": (base + timedelta(minutes=i)).date(),
                    "OBJEKTNR": str(1000 + i % 300),
                },
                f"nk-{i}.txt",
                "text/plain",
                b"Nebenkostenabrechnung %d" % i,
            )
            for i in range(1, 200_001)
        ),
    )
    print(f"  seed_documents: {count} documents in {time.perf_counter() - began:.1f} s")
    with Emulator("docuware", state).start() as emulator, emulator.client() as api:
        headers = {"Authorization": api.headers["Authorization"], "Accept": "application/json"}
        docs = f"/DocuWare/Platform/FileCabinets/{ARCHIVE_ID}/Documents"
        get = {i: http_request("GET", f"{docs}/{i + 1}", headers) for i in range(1000)}
        rate, statuses = measure(emulator.port, lambda n: get[n % 1000])
        report("GET …/Documents/{id}", rate, statuses)
        query_path = f"/DocuWare/Platform/FileCabinets/{ARCHIVE_ID}/Query/DialogExpression?dialogId={SEARCH_DIALOG_ID}&start=1000&count=100"
        body = json.dumps(
            {
                "Condition": [
                    {"DBName": "DWMODDATETIME", "Value": ["/Date(1767225600000)/", None]}
                ],
                "SortOrder": [{"Field": "DWMODDATETIME", "Direction": "Asc"}],
            }
        ).encode()
        query = http_request(
            "POST", query_path, {**headers, "Content-Type": "application/json"}, body
        )
        rate, statuses = measure(emulator.port, lambda n: query)
        report("POST …/Query/DialogExpression (100 of 200,000)", rate, statuses)
        boundary = "benchboundary"

        def add(n: int) -> bytes:
            fields = json.dumps(
                {"DWDOCID": 300_000 + n % 5000, "EMPFAENGERTYP": "P", "EMPFAENGERID": "1"}
            )
            payload = (
                f'--{boundary}\r\nContent-Disposition: form-data; name="fields"\r\n\r\n{fields}\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n'
                f"Content-Type: text/plain\r\n\r\nhello {n}\r\n--{boundary}--\r\n"
            ).encode()
            content_type = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
            return http_request("POST", "/emulator/documents", content_type, payload)

        rate, statuses = measure(emulator.port, add)
        report("POST /emulator/documents (multipart write)", rate, statuses)


def main() -> None:
    print(
        f"{CONNECTIONS} keep-alive connections, {DURATION_S:.0f} s per run, median of {RUNS} runs"
    )
    with tempfile.TemporaryDirectory() as folder:
        bench_casavi(Path(folder))
        bench_docuware(Path(folder))


if __name__ == "__main__":
    main()
