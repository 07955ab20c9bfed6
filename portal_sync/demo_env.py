"""The embedded demo around `make sync` / `make plan` (`--with-emulators`).

When no real endpoints are configured (the casavi / DocuWare URLs point at this machine),
the demo world is built if missing (`portal-sync demo`) and both emulators are started on
the ports of their URLs with their state in the demo folder, for one run; they are stopped
afterwards and their state persists. An emulator already listening on its port is used as
it is (and left running).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from rich.console import Console

from portal_sync.errors import UserError
from portal_sync.settings import Settings

START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0


def _loopback_port(url: str) -> tuple[str, int] | None:
    from dlt_pipelines.http import is_loopback

    parts = urlsplit(url)
    if not is_loopback(url):
        return None
    return parts.hostname or "127.0.0.1", parts.port or (443 if parts.scheme == "https" else 80)


def _listening(host: str, port: int) -> bool:
    with socket.socket(
        socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM
    ) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def demo_dir(settings: Settings) -> Path:
    """The folder of the demo iX-Haus SQLite file (else `demo/` beside the settings file)."""
    url = settings.ixhaus_url
    if url.startswith("sqlite:///"):
        return Path(url[len("sqlite:///") :]).parent
    return settings.resolve("demo")


def ensure_world(settings: Settings, console: Console) -> None:
    """Build the small demo world when the demo iX-Haus SQLite file is missing."""
    url = settings.ixhaus_url
    if not url.startswith("sqlite:///"):
        return
    database = Path(url[len("sqlite:///") :])
    if database.exists():
        return
    from portal_sync.demo.world import generate

    console.print(f"building the demo world (small) → {database}")
    database.parent.mkdir(parents=True, exist_ok=True)
    console.print(generate("small", 42, database, database.with_name("docuware.sqlite")))


def _start(
    kind: str, host: str, port: int, state: Path, console: Console
) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "portal_sync.cli",
        "emulate",
        kind,
        "--host",
        host,
        "--port",
        str(port),
    ]
    command += ["--state", str(state)]
    log = state.with_suffix(".log")
    with log.open("ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not _listening(host, port):
        if process.poll() is not None:
            raise UserError(f"the {kind} emulator did not start on {host}:{port} (see {log})")
        if time.monotonic() > deadline:
            _stop(process)
            raise UserError(
                f"the {kind} emulator did not answer on {host}:{port} within {START_TIMEOUT_SECONDS:.0f} s (see {log})"
            )
        time.sleep(0.1)
    console.print(f"started the {kind} emulator on {host}:{port} (state {state})")
    return process


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def emulators(settings: Settings, console: Console) -> Iterator[None]:
    """Build the demo world if missing; run the loopback emulators for the duration."""
    ensure_world(settings, console)
    folder = demo_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    wanted = [("casavi", settings.casavi.url)]
    if settings.docuware.enabled:
        wanted.append(("docuware", settings.docuware.url))
    with ExitStack() as stack:
        for kind, url in wanted:
            where = _loopback_port(url)
            if where is None or _listening(*where):
                continue  # a real endpoint, or an emulator someone already runs
            process = _start(kind, where[0], where[1], folder / f"{kind}.sqlite", console)
            stack.callback(
                console.print,
                f"stopped the {kind} emulator (state kept in {folder / f'{kind}.sqlite'})",
            )
            stack.callback(_stop, process)
        yield
