"""The casavi API client: every path, header and payload mapping lives here.

`spec/casavi-api.md` is partly our assumption of the real API; correct it against the real
service in this one module without touching the plan, the apply logic or the models.

Delivery is robust: a token bucket shared by all worker threads keeps the client below
`casavi.requests_per_second`; 429 / 5xx / timeouts / dropped connections are retried with
exponential backoff and full jitter (honouring `Retry-After`); a 401 re-authenticates once.
PUT and DELETE by reference id are idempotent, so a retry after a lost response is safe.
The token is sent only in the `token` header and never appears in a message.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import quote

import httpx

from dlt_pipelines.casavi import credentials
from portal_sync.errors import UserError
from portal_sync.settings import Settings

AUTHENTICATE_PATH = "/v2/authenticate"
#: Collections written as multipart (`meta` JSON part + `file` part).
MULTIPART_COLLECTIONS = frozenset({"ticket-attachments", "documents"})
COLLECTIONS = (
    "properties",
    "units",
    "contacts",
    "ticket-types",
    "trades",
    "tickets",
    "ticket-messages",
    "ticket-attachments",
    "posts",
    "documents",
)
_ERROR_TEXT_LIMIT = 300


def resource_path(collection: str, resource_id: str) -> str:
    """`/v2/<collection>/<id>` with the reference id escaped."""
    return f"/v2/{collection}/{quote(resource_id, safe='')}"


def request_body(collection: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The API body for a plan payload (the plan already holds the exact API fields)."""
    del collection  # one place to map fields per collection, should the real API differ
    return payload


class TokenBucket:
    """A client-side rate limit shared by all worker threads.

    `acquire()` reserves the next send slot and sleeps until it comes; `capacity` is the
    burst allowed after an idle period. `pause()` holds every worker back (429 `Retry-After`).
    After a 429, `slow_down()` lowers the rate by 10 % (not below a quarter of the
    configured one) and every confirmed request wins a little of it back, so the client
    settles just below the portal's own limit instead of running into it again and again.
    """

    def __init__(
        self,
        rate: float,
        capacity: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.max_rate = rate
        self.rate = rate
        self._capacity = capacity
        self._clock = clock
        self._sleep = sleep
        self._next = clock()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            interval = 1.0 / self.rate
            now = self._clock()
            slot = max(self._next, now - max(self._capacity - 1.0, 0.0) * interval)
            self._next = slot + interval
        wait = slot - now
        if wait > 0:
            self._sleep(wait)

    def pause(self, seconds: float) -> None:
        with self._lock:
            self._next = max(self._next, self._clock() + seconds)

    def slow_down(self) -> None:
        with self._lock:
            self.rate = max(self.rate * 0.9, self.max_rate / 4)

    def speed_up(self) -> None:
        with self._lock:
            self.rate = min(self.max_rate, self.rate + self.max_rate / 2000)


class CasaviError(Exception):
    """casavi did not deliver what was asked (one line, no secrets)."""


@dataclass(frozen=True)
class Result:
    """What casavi answered for one write: `ok` only when casavi confirmed it."""

    ok: bool
    status: int | None  # HTTP status, None when no answer came
    error: str | None = None  # one line, no secrets

    @property
    def conflict(self) -> bool:
        return self.status == 409


def _error_text(response: httpx.Response) -> str:
    text = " ".join(response.text.split())[:_ERROR_TEXT_LIMIT]
    return f"HTTP {response.status_code}: {text}" if text else f"HTTP {response.status_code}"


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None


@dataclass
class RetryPolicy:
    max_retries: int = 6
    base_seconds: float = 0.25
    cap_seconds: float = 20.0

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
        return random.uniform(0, min(self.cap_seconds, self.base_seconds * 2**attempt))


class CasaviClient:
    """A thread-safe client for the ERP-owned resources of casavi."""

    def __init__(
        self,
        url: str,
        key: str,
        api_secret: str,
        *,
        concurrency: int = 8,
        requests_per_second: float = 20,
        timeout_seconds: float = 30,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self._key = key
        self._secret = api_secret
        self.bucket = TokenBucket(requests_per_second)
        self.retry = retry or RetryPolicy()
        self.requests_sent = 0
        self._token: str | None = None
        self._auth_lock = threading.Lock()
        self._count_lock = threading.Lock()
        self._http = httpx.Client(
            base_url=self.url,
            timeout=timeout_seconds,
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> CasaviClient:
        key, api_secret = credentials(settings.casavi.url)
        return cls(
            settings.casavi.url,
            key,
            api_secret,
            concurrency=settings.casavi.concurrency,
            requests_per_second=settings.casavi.requests_per_second,
            timeout_seconds=settings.casavi.timeout_seconds,
            retry=RetryPolicy(max_retries=settings.casavi.max_retries),
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> CasaviClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- authentication ------------------------------------------------------------------
    def authenticate(self, stale: str | None = None) -> str:
        """Get a token (once for all threads); `stale` = the token a 401 rejected.

        Raises:
            UserError: casavi unreachable or the key/secret refused.
        """
        with self._auth_lock:
            if self._token is not None and self._token != stale:
                return self._token
            for attempt in range(self.retry.max_retries + 1):
                try:
                    response = self._http.post(
                        AUTHENTICATE_PATH, json={"key": self._key, "secret": self._secret}
                    )
                except httpx.TransportError as exc:
                    if attempt >= self.retry.max_retries:
                        raise UserError(
                            f"casavi at {self.url} is unreachable: {type(exc).__name__}"
                        ) from None
                    time.sleep(self.retry.backoff(attempt))
                    continue
                if response.status_code == 429 or response.status_code >= 500:
                    if attempt >= self.retry.max_retries:
                        break
                    time.sleep(_retry_after(response) or self.retry.backoff(attempt))
                    continue
                if response.status_code in (401, 403):
                    raise UserError(
                        f"casavi at {self.url} refused the API key/secret (HTTP {response.status_code})"
                    )
                if response.status_code >= 400:
                    break
                token = response.json().get("token")
                if not isinstance(token, str) or not token:
                    raise UserError(
                        f"casavi at {self.url}: authentication answered without a token"
                    )
                self._token = token
                return token
            raise UserError(
                f"casavi at {self.url}: authentication failed (HTTP {response.status_code})"
            )

    # -- writes ----------------------------------------------------------------------------
    def put_json(self, collection: str, resource_id: str, payload: dict[str, Any]) -> Result:
        body = request_body(collection, payload)
        return self._write("PUT", resource_path(collection, resource_id), lambda: {"json": body})

    def put_multipart(
        self,
        collection: str,
        resource_id: str,
        payload: dict[str, Any],
        file: IO[bytes],
        file_name: str,
        content_type: str,
    ) -> Result:
        """PUT `meta` (JSON) + `file`; the file is streamed and rewound for every attempt."""
        meta = json.dumps(request_body(collection, payload), ensure_ascii=False)

        def parts() -> dict[str, Any]:
            file.seek(0)
            return {
                "files": {
                    "meta": (None, meta.encode("utf-8"), "application/json"),
                    "file": (file_name, file, content_type or "application/octet-stream"),
                }
            }

        return self._write("PUT", resource_path(collection, resource_id), parts)

    def delete(self, collection: str, resource_id: str) -> Result:
        """DELETE by reference id; 404 (already gone, e.g. after a lost response) counts as done."""
        return self._write("DELETE", resource_path(collection, resource_id), dict)

    def ticket_attachment_content(self, attachment_id: str) -> bytes:
        """The file of a portal attachment (used by the iX-Haus write-back, C2).

        Raises:
            CasaviError: casavi did not deliver it (one line, no secrets).
        """
        response, error = self._send(
            "GET", resource_path("ticket-attachments", attachment_id) + "/content", dict
        )
        if response is None:
            raise CasaviError(f"ticket-attachments/{attachment_id}/content: {error}")
        if not 200 <= response.status_code < 300:
            raise CasaviError(
                f"ticket-attachments/{attachment_id}/content: {error or _error_text(response)}"
            )
        return response.content

    def _write(self, method: str, path: str, request_args: Callable[[], dict[str, Any]]) -> Result:
        response, error = self._send(method, path, request_args)
        if response is None:
            return Result(False, None, error)
        status = response.status_code
        if 200 <= status < 300 or (method == "DELETE" and status == 404):
            return Result(True, status)
        return Result(False, status, error or _error_text(response))

    def _send(
        self, method: str, path: str, request_args: Callable[[], dict[str, Any]]
    ) -> tuple[httpx.Response | None, str | None]:
        """Send with rate limit, retries and one re-authentication; the last answer (or none)."""
        attempt = 0
        reauthenticated = False
        while True:
            token = self._token or self.authenticate()
            self.bucket.acquire()
            with self._count_lock:
                self.requests_sent += 1
            try:
                response = self._http.request(
                    method, path, headers={"token": token}, **request_args()
                )
            except httpx.TransportError as exc:  # timeouts, refused and dropped connections
                if attempt >= self.retry.max_retries:
                    return None, f"no answer after {attempt + 1} attempts: {type(exc).__name__}"
                time.sleep(self.retry.backoff(attempt))
                attempt += 1
                continue
            status = response.status_code
            if status == 401 and not reauthenticated:
                self.authenticate(stale=token)
                reauthenticated = True
                continue
            if status == 429 or status >= 500:
                if attempt >= self.retry.max_retries:
                    return response, f"{_error_text(response)} after {attempt + 1} attempts"
                delay = _retry_after(response)
                if status == 429:
                    self.bucket.slow_down()
                    if delay is not None:
                        self.bucket.pause(delay)
                time.sleep(delay if delay is not None else self.retry.backoff(attempt))
                attempt += 1
                continue
            if status < 400:
                self.bucket.speed_up()
            return response, None
