"""A small HTTP helper for the REST sources: retries with backoff, throttle, readable errors.

Reads are retried on 429 (honouring `Retry-After`), 5xx and dropped connections. A refused
connection is retried only briefly: an unreachable service should fail fast with one line.
Messages name the service, method and path, never headers, bodies or tokens.
"""

from __future__ import annotations

import contextlib
import ipaddress
import time
from typing import Any
from urllib.parse import urlsplit

import httpx

from portal_sync.errors import UserError

RETRY_STATUS = {429, 500, 502, 503, 504}
MAX_RETRY_AFTER = 60.0
CONNECT_RETRIES = 2


def is_loopback(url: str) -> bool:
    """True when `url` points at this machine (the local emulators, where demo credentials apply)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ServiceError(UserError):
    """A service answered with an error status (after retries)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class Http:
    """One `httpx.Client` per run and service.

    Args:
        service: name used in messages ("casavi", "DocuWare").
        timeout: seconds per request.
        max_retries: retries of a failed read (429, 5xx, dropped connection).
        requests_per_second: throttle; None = unthrottled.
        backoff: first backoff in seconds; doubles per retry (at most 10 s).
    """

    def __init__(
        self,
        service: str,
        *,
        timeout: float = 30.0,
        max_retries: int = 4,
        requests_per_second: float | None = None,
        backoff: float = 0.25,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.service = service
        self.max_retries = max_retries
        self.backoff = backoff
        self.interval = 1.0 / requests_per_second if requests_per_second else 0.0
        self._last = 0.0
        self.client = httpx.Client(timeout=timeout, headers=headers or {}, follow_redirects=False)
        self.requests = 0

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Http:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _throttle(self) -> None:
        if self.interval:
            wait = self._last + self.interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        self._last = time.monotonic()

    def _sleep(self, attempt: int, response: httpx.Response | None = None) -> None:
        delay = min(self.backoff * 2**attempt, 10.0)
        if response is not None and response.status_code == 429:
            retry_after = response.headers.get("Retry-After", "")
            with contextlib.suppress(ValueError):
                delay = min(max(float(retry_after), 0.0), MAX_RETRY_AFTER)
        time.sleep(delay)

    def request(
        self, method: str, url: str, *, retry: bool = True, **kwargs: Any
    ) -> httpx.Response:
        """Send a request; returns a 2xx response or raises a UserError.

        Args:
            retry: retry on 429/5xx/dropped connections (reads; the token request).
        """
        where = f"{self.service} ({_origin(url)})"
        what = f"{method} {urlsplit(url).path}"
        attempt = 0
        connect_failures = 0
        while True:
            self._throttle()
            self.requests += 1
            try:
                response = self.client.request(method, url, **kwargs)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                connect_failures += 1
                if retry and connect_failures <= CONNECT_RETRIES:
                    self._sleep(connect_failures - 1)
                    continue
                raise UserError(
                    f"{where}: cannot connect ({_reason(exc)}); is the service running?"
                ) from None
            except httpx.TransportError as exc:
                if retry and attempt < self.max_retries:
                    self._sleep(attempt)
                    attempt += 1
                    continue
                raise UserError(
                    f"{where}: {what} failed after {attempt + 1} attempts: {_reason(exc)}"
                ) from None
            if response.status_code in RETRY_STATUS and retry and attempt < self.max_retries:
                self._sleep(attempt, response)
                attempt += 1
                continue
            if response.status_code >= 400:
                tries = f" after {attempt + 1} attempts" if attempt else ""
                raise ServiceError(
                    f"{where}: {what} answered {response.status_code}{tries}", response.status_code
                )
            return response

    def json(self, method: str, url: str, **kwargs: Any) -> Any:
        response = self.request(method, url, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise UserError(
                f"{self.service} ({_origin(url)}): {method} {urlsplit(url).path} did not answer JSON"
            ) from None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    reason = text[0] if text and text[0] else type(exc).__name__
    if "Connection refused" in reason:
        return "connection refused"
    return reason
