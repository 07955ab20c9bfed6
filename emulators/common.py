"""What both emulators share: SQLite state, the clock, tokens, errors and the `/emulator` controls.

The controls (faults, latency, rate limit, request counts, clock) live in one pure ASGI
middleware, `ControlMiddleware`, wrapped around a bare Starlette `Router`, so each emulator
only writes its handlers and an error renderer.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import logging
import math
import os
import random
import secrets
import sqlite3
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match, Route, Router
from starlette.types import Message, Receive, Scope, Send

from portal_sync import clock

log = logging.getLogger("emulators")

BERLIN = ZoneInfo("Europe/Berlin")
DEFAULT_MAX_FILE_BYTES = 100 * 1024 * 1024
MAX_FILE_ENV = "PORTAL_SYNC_EMULATOR_MAX_FILE_BYTES"
LOST = "response lost on purpose (fault rule lose_response)"

META_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (token TEXT PRIMARY KEY, expires_ms INTEGER NOT NULL);
"""


# --- SQLite -------------------------------------------------------------------------------


def open_state(path: Path, schema: str) -> sqlite3.Connection:
    """Open (and create when new) an emulator state file: WAL, synchronous=NORMAL, autocommit.

    Args:
        path: the SQLite file; parent folders are created.
        schema: `CREATE … IF NOT EXISTS` statements of the emulator's own tables.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=10000")
    conn.executescript(META_SCHEMA + schema)
    return conn


def meta_get(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def meta_set(conn: sqlite3.Connection, key: str, value: str | None) -> None:
    if value is None:
        conn.execute("DELETE FROM meta WHERE key = ?", (key,))
    else:
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))


def max_file_bytes() -> int:
    """The upload limit (100 MB; tests lower it with PORTAL_SYNC_EMULATOR_MAX_FILE_BYTES)."""
    raw = os.environ.get(MAX_FILE_ENV, "").strip()
    return int(raw) if raw else DEFAULT_MAX_FILE_BYTES


# --- time ---------------------------------------------------------------------------------


def iso_ms(ms: int) -> str:
    """`2026-06-15T10:00:00.000Z` for milliseconds since the epoch."""
    stamp = datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{ms % 1000:03d}Z"


def parse_iso(text: str) -> int:
    """Milliseconds since the epoch of an ISO 8601 timestamp (naive = UTC); ValueError if bad."""
    value = datetime.fromisoformat(text.strip().replace("z", "Z"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return math.floor(value.timestamp() * 1000 + 0.5)


def dt_to_ms(value: datetime | date) -> int:
    """Milliseconds since the epoch; naive datetimes are UTC, dates are midnight UTC."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return math.floor(value.timestamp() * 1000 + 0.5)
    return (value - date(1970, 1, 1)).days * 86_400_000


class Clock:
    """The emulator's clock: real time plus an offset kept in the state file.

    A fresh state follows `PORTAL_SYNC_TODAY` when set (that date, current time of day), so
    the emulator's "today" agrees with the demo and dbt; `POST /emulator/clock` moves it.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        stored = meta_get(conn, "clock_offset_ms")
        self.offset_ms = int(stored) if stored is not None else self._default_offset()
        self._last_tick = 0

    @staticmethod
    def _default_offset() -> int:
        if not clock.is_overridden():
            return 0
        real = datetime.now(BERLIN)
        wanted = datetime.combine(clock.today(), real.timetz())
        return dt_to_ms(wanted) - dt_to_ms(real)

    def now_ms(self) -> int:
        return int(time.time() * 1000) + self.offset_ms

    def tick_ms(self) -> int:
        """A write timestamp: the clock, but strictly increasing within bursts (no ties)."""
        now = self.now_ms()
        if self._last_tick - 1000 < now <= self._last_tick:
            now = self._last_tick + 1
        self._last_tick = now
        return now

    def today(self) -> date:
        """The emulator's "today" in Europe/Berlin."""
        return datetime.fromtimestamp(self.now_ms() / 1000, BERLIN).date()

    def set(self, now_iso: str | None) -> None:
        """Move the clock to `now_iso` (it keeps ticking from there); None = real time."""
        self.offset_ms = 0 if now_iso is None else parse_iso(now_iso) - int(time.time() * 1000)
        self._last_tick = 0
        meta_set(self._conn, "clock_offset_ms", str(self.offset_ms))

    def reset(self) -> None:
        meta_set(self._conn, "clock_offset_ms", None)
        self.offset_ms = self._default_offset()
        self._last_tick = 0

    def describe(self) -> dict[str, Any]:
        return {"now": iso_ms(self.now_ms()), "today": self.today().isoformat()}


class TokenStore:
    """Opaque bearer tokens with an expiry on the emulator clock, kept across restarts."""

    def __init__(self, conn: sqlite3.Connection, clock: Clock) -> None:
        self._conn = conn
        self._clock = clock
        self._tokens = dict(conn.execute("SELECT token, expires_ms FROM tokens").fetchall())

    def issue(self, lifetime: timedelta) -> tuple[str, int]:
        token = secrets.token_urlsafe(32)
        expires = self._clock.now_ms() + int(lifetime.total_seconds() * 1000)
        self._conn.execute("INSERT INTO tokens (token, expires_ms) VALUES (?, ?)", (token, expires))
        self._tokens[token] = expires
        return token, expires

    def valid(self, token: str | None) -> bool:
        expires = self._tokens.get(token or "")
        return expires is not None and self._clock.now_ms() < expires

    def clear(self) -> None:
        self._conn.execute("DELETE FROM tokens")
        self._tokens.clear()


# --- errors -------------------------------------------------------------------------------


class ApiError(Exception):
    """An error answer; each emulator renders it in its own body shape."""

    def __init__(
        self,
        status: int,
        message: str,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details or []
        self.headers = headers or {}


ErrorRenderer = Callable[[ApiError, Scope], Response]


async def read_json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, or a 400 ApiError."""
    raw = await request.body()
    try:
        body = json.loads(raw)
    except ValueError:
        raise ApiError(
            400, "body is not valid JSON", [{"field": "body", "message": "invalid JSON"}]
        ) from None
    if not isinstance(body, dict):
        raise ApiError(
            400, "body must be a JSON object", [{"field": "body", "message": "not an object"}]
        )
    return body


@dataclass
class Upload:
    """The file part of a multipart request."""

    file_name: str
    content_type: str
    content: bytes


async def read_multipart(
    request: Request, file_part: str = "file"
) -> tuple[dict[str, str], Upload | None]:
    """The text parts and the file part of a multipart body; 413 over `max_file_bytes()`.

    A body whose Content-Length is far over the limit is drained without being stored.
    Text parts sent as files (with a filename) are decoded as UTF-8.
    """
    limit = max_file_bytes()
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit + 65536:
        async for _ in request.stream():
            pass
        raise ApiError(
            413,
            f"file exceeds the limit of {limit} bytes",
            [{"field": file_part, "message": "too large"}],
        )
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise ApiError(
            400,
            "multipart/form-data body expected",
            [{"field": "body", "message": "not multipart"}],
        )
    form = await request.form(max_part_size=4 * 1024 * 1024)
    try:
        texts: dict[str, str] = {}
        upload: Upload | None = None
        for name, value in form.multi_items():
            if isinstance(value, UploadFile) and name == file_part:
                if value.size is not None and value.size > limit:
                    raise ApiError(
                        413,
                        f"file exceeds the limit of {limit} bytes",
                        [{"field": file_part, "message": "too large"}],
                    )
                content = await value.read()
                if len(content) > limit:
                    raise ApiError(
                        413,
                        f"file exceeds the limit of {limit} bytes",
                        [{"field": file_part, "message": "too large"}],
                    )
                upload = Upload(
                    value.filename or "file",
                    value.content_type or "application/octet-stream",
                    content,
                )
            elif isinstance(value, UploadFile):
                texts[name] = (await value.read()).decode("utf-8", errors="replace")
            else:
                texts[name] = value
        return texts, upload
    finally:
        await form.close()


def json_text_response(text: str, status: int = 200) -> Response:
    """A response from already serialised JSON (avoids a parse/dump round trip)."""
    return Response(text, status_code=status, media_type="application/json")


# --- controls -----------------------------------------------------------------------------


@dataclass
class FaultRule:
    """One fault rule of `POST /emulator/faults`."""

    path: str = "*"
    method: str | None = None
    status: int | None = None
    lose_response: bool = False
    delay_ms: int = 0
    times: int | None = None
    probability: float | None = None

    @classmethod
    def parse(cls, raw: Any, index: int) -> FaultRule:
        where = f"rules[{index}]"
        if not isinstance(raw, dict):
            raise ApiError(
                400, f"{where} must be an object", [{"field": where, "message": "not an object"}]
            )
        known = {"method", "path", "status", "lose_response", "delay_ms", "times", "probability"}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ApiError(
                400,
                f"{where} has unknown fields",
                [{"field": f"{where}.{k}", "message": "unknown field"} for k in unknown],
            )
        rule = cls(
            path=str(raw.get("path") or "*"),
            method=(str(raw["method"]).upper() if raw.get("method") not in (None, "*") else None),
            status=raw.get("status"),
            lose_response=bool(raw.get("lose_response", False)),
            delay_ms=int(raw.get("delay_ms") or 0),
            times=raw.get("times"),
            probability=raw.get("probability"),
        )
        actions = sum([rule.status is not None, rule.lose_response, rule.delay_ms > 0])
        if actions != 1:
            raise ApiError(
                400,
                f"{where} needs exactly one of status, lose_response, delay_ms",
                [{"field": where, "message": "one action"}],
            )
        if rule.status is not None and not (
            isinstance(rule.status, int) and 400 <= rule.status <= 599
        ):
            raise ApiError(
                400,
                f"{where}.status must be 400..599",
                [{"field": f"{where}.status", "message": "400..599"}],
            )
        if rule.times is not None and not (isinstance(rule.times, int) and rule.times >= 0):
            raise ApiError(
                400,
                f"{where}.times must be a non-negative integer",
                [{"field": f"{where}.times", "message": "integer >= 0"}],
            )
        if rule.probability is not None and not (
            isinstance(rule.probability, int | float) and 0 <= rule.probability <= 1
        ):
            raise ApiError(
                400,
                f"{where}.probability must be within 0..1",
                [{"field": f"{where}.probability", "message": "0..1"}],
            )
        return rule

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if self.method is not None and self.method != method:
            return False
        if not fnmatch.fnmatchcase(path, self.path):
            return False
        if self.probability is not None and random.random() >= self.probability:
            return False
        if self.times is not None:
            self.times -= 1
        return True

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"method": self.method or "*", "path": self.path}
        if self.status is not None:
            out["status"] = self.status
        if self.lose_response:
            out["lose_response"] = True
        if self.delay_ms:
            out["delay_ms"] = self.delay_ms
        if self.times is not None:
            out["times"] = self.times
        if self.probability is not None:
            out["probability"] = self.probability
        return out


class Controls:
    """Process-wide control state: faults, latency, rate limit and request counts."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.rules: list[FaultRule] = []
        self.latency_ms = 0
        self.rate_limit: float | None = None
        self.counts: Counter[str] = Counter()
        self._window_start = 0.0
        self._window_count = 0

    def reset(self) -> None:
        self.rules = []
        self.latency_ms = 0
        self.rate_limit = None
        self.counts.clear()
        self._window_count = 0

    def configure(self, body: dict[str, Any]) -> None:
        """Replace the fault configuration with `body` (missing keys = off)."""
        raw_rules = body.get("rules") or []
        if not isinstance(raw_rules, list):
            raise ApiError(
                400, "rules must be a list", [{"field": "rules", "message": "not a list"}]
            )
        rules = [FaultRule.parse(raw, i) for i, raw in enumerate(raw_rules)]
        latency = body.get("latency_ms") or 0
        rate = body.get("rate_limit_per_second")
        if not isinstance(latency, int | float) or latency < 0:
            raise ApiError(
                400, "latency_ms must be >= 0", [{"field": "latency_ms", "message": "number >= 0"}]
            )
        if rate is not None and (not isinstance(rate, int | float) or rate <= 0):
            raise ApiError(
                400,
                "rate_limit_per_second must be > 0",
                [{"field": "rate_limit_per_second", "message": "number > 0"}],
            )
        self.rules, self.latency_ms, self.rate_limit = rules, int(latency), rate
        self._window_count = 0

    def describe(self) -> dict[str, Any]:
        return {
            "rules": [rule.describe() for rule in self.rules],
            "latency_ms": self.latency_ms,
            "rate_limit_per_second": self.rate_limit,
        }

    def pick_fault(self, method: str, path: str) -> FaultRule | None:
        for rule in self.rules:
            if rule.matches(method, path):
                return rule
        return None

    def over_rate_limit(self) -> int | None:
        """Seconds to wait when this request exceeds the rate limit, else None."""
        if self.rate_limit is None:
            return None
        now = time.monotonic()
        if now - self._window_start >= 1.0:
            self._window_start, self._window_count = now, 0
        self._window_count += 1
        if self._window_count <= self.rate_limit:
            return None
        return max(1, math.ceil(1.0 - (now - self._window_start)))


def path_template(router: Router, scope: Scope) -> str:
    """The route template a request matches (`/v2/units/{id}`), else its raw path."""
    route = scope.get("route")
    if isinstance(route, Route):
        return route.path
    for candidate in router.routes:
        match, _ = candidate.matches(scope)
        if match is Match.FULL and isinstance(candidate, Route):
            return candidate.path
    return str(scope["path"])


class ControlMiddleware:
    """Latency, rate limit, fault rules and request counting around the emulator's router.

    `/emulator/*` (the control API) is never faulted, delayed or counted.
    """

    def __init__(self, router: Router, controls: Controls, render: ErrorRenderer) -> None:
        self.router = router
        self.controls = controls
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> Any:
        if scope["type"] != "http":
            return None
        scope["app"] = self  # makes Starlette raise HTTPException (405) instead of plain text
        path: str = scope["path"]
        if path.startswith("/emulator"):
            await self._dispatch(scope, receive, send)
            return None
        controls = self.controls
        method: str = scope["method"]
        # counted on arrival: once a client has its answer, the count includes the request,
        # and a request its client gave up on (latency, delay) is not counted after a reset
        controls.counts[f"{method} {path_template(self.router, scope)}"] += 1
        if controls.latency_ms:
            await asyncio.sleep(controls.latency_ms / 1000)
        wait = controls.over_rate_limit()
        if wait is not None:
            error = ApiError(429, "rate limit exceeded", headers={"Retry-After": str(wait)})
            await self.render(error, scope)(scope, receive, send)
            return None
        rule = controls.pick_fault(method, path) if controls.rules else None
        if rule is not None and rule.delay_ms:
            await asyncio.sleep(rule.delay_ms / 1000)
        if rule is not None and rule.status is not None:
            headers = {"Retry-After": "1"} if rule.status in (429, 503) else {}
            error = ApiError(rule.status, f"injected fault {rule.status}", headers=headers)
            await self.render(error, scope)(scope, receive, send)
            return None
        if rule is not None and rule.lose_response:
            await self._dispatch(scope, receive, _discard)
            # A non-None return makes uvicorn close the connection without answering.
            return LOST
        await self._dispatch(scope, receive, send)
        return None

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.router(scope, receive, tracking_send)
        except ApiError as error:
            if not started:
                await self.render(error, scope)(scope, receive, send)
        except HTTPException as exc:
            if not started:
                await self.render(ApiError(exc.status_code, str(exc.detail)), scope)(
                    scope, receive, send
                )
        except Exception:
            log.exception("handler failed: %s %s", scope["method"], scope["path"])
            if not started:
                await self.render(ApiError(500, "internal error of the emulator"), scope)(
                    scope, receive, send
                )
            else:
                raise


async def _discard(message: Message) -> None:
    return None


def control_routes(controls: Controls, reset: Callable[[], Awaitable[None]]) -> list[Route]:
    """`/emulator/reset|faults|requests|clock`, shared by both emulators.

    Args:
        controls: the process's control state.
        reset: clears the emulator's own data (the controls and clock are reset here).
    """

    async def do_reset(request: Request) -> Response:
        await reset()
        controls.reset()
        controls.clock.reset()
        return JSONResponse({"reset": True})

    async def get_faults(request: Request) -> Response:
        return JSONResponse(controls.describe())

    async def set_faults(request: Request) -> Response:
        controls.configure(await read_json_object(request))
        return JSONResponse(controls.describe())

    async def get_requests(request: Request) -> Response:
        return JSONResponse(dict(sorted(controls.counts.items())))

    async def get_clock(request: Request) -> Response:
        return JSONResponse(controls.clock.describe())

    async def set_clock(request: Request) -> Response:
        body = await read_json_object(request)
        now = body.get("now")
        try:
            controls.clock.set(None if now is None else str(now))
        except ValueError:
            raise ApiError(
                400,
                "now must be an ISO 8601 timestamp",
                [{"field": "now", "message": "not ISO 8601"}],
            ) from None
        return JSONResponse(controls.clock.describe())

    return [
        Route("/emulator/reset", do_reset, methods=["POST"]),
        Route("/emulator/faults", get_faults, methods=["GET"]),
        Route("/emulator/faults", set_faults, methods=["POST"]),
        Route("/emulator/requests", get_requests, methods=["GET"]),
        Route("/emulator/clock", get_clock, methods=["GET"]),
        Route("/emulator/clock", set_clock, methods=["POST"]),
    ]


class _DropLostResponseLog(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return LOST not in record.getMessage()


def run_server(app: ControlMiddleware, host: str, port: int) -> None:
    """Serve `app` with uvicorn until interrupted (blocking)."""
    import uvicorn

    logging.getLogger("uvicorn.error").addFilter(_DropLostResponseLog())
    logging.basicConfig(level=logging.WARNING)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        proxy_headers=False,
        server_header=False,
    )
    server = uvicorn.Server(config)
    print(f"emulator listening on http://{host}:{port}", flush=True)
    server.run()
