"""A small scriptable casavi-like HTTP server on loopback for the client's protocol tests.

The casavi emulator (tests/fixtures/emulators.py) covers the API; this one lets a test
script exact answers per request (401 with a fresh token, 429 with Retry-After, a dropped
connection after applying a write) to pin the client's retry and re-auth behaviour.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Script:
    """Answers to hand out before normal handling: (method, path) -> list of actions."""

    actions: dict[tuple[str, str], list[Any]] = field(default_factory=dict)
    tokens_issued: int = 0
    valid_tokens: set[str] = field(default_factory=set)
    stored: dict[str, Any] = field(default_factory=dict)
    log: list[tuple[str, str, str | None]] = field(default_factory=list)  # method, path, token
    bodies: list[bytes] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def then(self, method: str, path: str, *answers: Any) -> None:
        self.actions.setdefault((method, path), []).extend(answers)

    def expire_tokens(self) -> None:
        self.valid_tokens.clear()


def _handler(script: Script) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _answer(
            self, status: int, body: Any = None, headers: dict[str, str] | None = None
        ) -> None:
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            token = self.headers.get("token")
            with script.lock:
                script.log.append((self.command, self.path, token))
                script.bodies.append(body)
                queue = script.actions.get((self.command, self.path)) or []
                action = queue.pop(0) if queue else None
            if self.path == "/v2/authenticate":
                credentials = json.loads(body or b"{}")
                if credentials != {"key": "k", "secret": "s"}:
                    self._answer(401, {"status": 401, "message": "bad key"})
                    return
                with script.lock:
                    script.tokens_issued += 1
                    new = f"tok-{script.tokens_issued}"
                    script.valid_tokens.add(new)
                self._answer(200, {"token": new, "expiresAt": "2099-01-01T00:00:00.000Z"})
                return
            if token not in script.valid_tokens:
                self._answer(401, {"status": 401, "message": "token expired"})
                return
            if isinstance(action, int):
                self._answer(action, {"status": action, "message": f"scripted {action}"})
                return
            if isinstance(action, tuple) and action[0] == 429:
                self._answer(
                    429, {"status": 429, "message": "slow down"}, {"Retry-After": str(action[1])}
                )
                return
            key = self.path
            if self.command == "PUT":
                created = key not in script.stored
                script.stored[key] = body
                if action == "lose":  # applied, then the connection drops without an answer
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                self._answer(201 if created else 200, {"id": key.rsplit("/", 1)[-1]})
            elif self.command == "DELETE":
                if key not in script.stored:
                    self._answer(404, {"status": 404, "message": "not found"})
                    return
                del script.stored[key]
                if action == "lose":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                self._answer(204)
            else:
                self._answer(404, {"status": 404, "message": "no route"})

        do_PUT = do_DELETE = do_POST = do_GET = _handle

    return Handler


@contextmanager
def serve() -> Iterator[tuple[str, Script]]:
    script = Script()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(script))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", script
    finally:
        server.shutdown()
        server.server_close()
