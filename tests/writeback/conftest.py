"""Fixtures of the write-back tests: iX-Haus on SQLite and PostgreSQL, a warehouse, a file server."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from portal_sync.settings import Settings
from tests.fixtures.postgres import create_database
from tests.writeback.helpers import (
    ATTACHMENTS,
    make_settings,
    seed_ixhaus,
    standard_models,
    write_config,
)

TOKEN = "tok-9f8e7d-secret"


@dataclass
class FileServer:
    """casavi's attachment content endpoint on loopback, with faults per attachment id."""

    url: str = ""
    files: dict[str, bytes] = field(default_factory=dict)
    drop: dict[str, int] = field(default_factory=dict)  # close the connection without answering
    truncate: dict[str, int] = field(default_factory=dict)  # announce all bytes, send half
    gets: dict[str, int] = field(default_factory=dict)
    stall: set[str] = field(default_factory=set)  # send half, then hang until `released`
    half_sent: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)


def _handler(server_state: FileServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _json(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            if self.path == "/v2/authenticate" and body == {"key": "demo", "secret": "demo"}:
                self._json(200, {"token": TOKEN, "expiresAt": "2099-01-01T00:00:00.000Z"})
            else:
                self._json(401, {"status": 401, "message": "bad credentials"})

        def do_GET(self) -> None:
            parts = self.path.split("/")
            if (
                len(parts) != 5
                or parts[1:3] != ["v2", "ticket-attachments"]
                or parts[4] != "content"
            ):
                self._json(404, {"status": 404, "message": "no such path"})
                return
            if self.headers.get("token") != TOKEN:
                self._json(401, {"status": 401, "message": "token"})
                return
            key = parts[3]
            server_state.gets[key] = server_state.gets.get(key, 0) + 1
            if key not in server_state.files:
                self._json(404, {"status": 404, "message": "not found"})
                return
            if server_state.drop.get(key, 0) > 0:
                server_state.drop[key] -= 1
                self.close_connection = True
                self.connection.close()
                return
            data = server_state.files[key]
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if key in server_state.stall:
                server_state.stall.discard(key)
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                server_state.half_sent.set()
                server_state.released.wait(60)
                self.close_connection = True
                return
            if server_state.truncate.get(key, 0) > 0:
                server_state.truncate[key] -= 1
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.close()
                return
            self.wfile.write(data)

    return Handler


@pytest.fixture
def file_server() -> Iterator[FileServer]:
    state = FileServer(files=dict(ATTACHMENTS))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    state.released.set()
    httpd.shutdown()
    httpd.server_close()


def _postgres_database(request: pytest.FixtureRequest) -> str:
    """A new, empty database on the session's PostgreSQL server."""
    server_url = request.getfixturevalue("postgres_url")
    return create_database(server_url, f"wb_{uuid.uuid4().hex[:12]}")


def _ixhaus_database(
    request: pytest.FixtureRequest, tmp_path: Path, backend: str, portal_unique: bool
) -> str:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'ixhaus.sqlite'}"
    else:
        url = _postgres_database(request)
    seed_ixhaus(url, portal_unique=portal_unique)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ixhaus_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, seeded iX-Haus database: a SQLite file or a new PostgreSQL database."""
    return _ixhaus_database(request, tmp_path, request.param, True)


@dataclass
class WritebackSetup:
    ixhaus_url: str
    warehouse: Path
    config: Path
    files: FileServer

    @property
    def settings(self) -> Settings:
        return make_settings(self.ixhaus_url, self.files.url, self.warehouse)


def _setup(ixhaus_url: str, tmp_path: Path, file_server: FileServer) -> WritebackSetup:
    warehouse = tmp_path / "portal.duckdb"
    standard_models(warehouse)
    config = write_config(tmp_path / "portal-sync.toml", ixhaus_url, file_server.url, warehouse)
    return WritebackSetup(ixhaus_url, warehouse, config, file_server)


@pytest.fixture
def setup(ixhaus_url: str, tmp_path: Path, file_server: FileServer) -> WritebackSetup:
    """iX-Haus + a warehouse holding the standard write-back models + settings for both."""
    return _setup(ixhaus_url, tmp_path, file_server)


SetupFactory = Callable[[str, bool], WritebackSetup]


@pytest.fixture
def make_setup(
    request: pytest.FixtureRequest, tmp_path: Path, file_server: FileServer
) -> SetupFactory:
    """`make_setup(backend, portal_unique)`: like `setup`, for tests that choose the database."""

    def make(backend: str, portal_unique: bool = True) -> WritebackSetup:
        return _setup(
            _ixhaus_database(request, tmp_path, backend, portal_unique), tmp_path, file_server
        )

    return make
