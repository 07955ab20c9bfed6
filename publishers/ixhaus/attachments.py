"""Attachment content from casavi: `GET /v2/ticket-attachments/{id}/content` (C2).

The write-back needs only this one call. `AttachmentSource` is what it expects; when the
casavi publisher's client is passed in, it is adapted, otherwise the minimal
`HttpAttachmentSource` below is used. Errors never contain the token.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol
from urllib.parse import quote

import httpx

from portal_sync.settings import Settings, secret
from publishers.ixhaus.crash import crash_point


class AttachmentError(Exception):
    """The content of an attachment could not be fetched (retried on the next run)."""


class AttachmentSource(Protocol):
    def fetch(self, attachment_id: str) -> bytes:
        """The file content of the casavi ticket attachment `attachment_id`."""
        ...


def content_path(attachment_id: str) -> str:
    return f"/v2/ticket-attachments/{quote(attachment_id, safe='')}/content"


class HttpAttachmentSource:
    """A small token-authenticated GET with retries on lost connections, 429 and 5xx."""

    def __init__(self, settings: Settings, *, backoff_seconds: float = 0.2) -> None:
        self._settings = settings
        self._retries = settings.casavi.max_retries
        self._backoff = backoff_seconds
        self._client = httpx.Client(
            base_url=settings.casavi.url, timeout=settings.casavi.timeout_seconds
        )
        self._token: str | None = None

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpAttachmentSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _authenticate(self) -> str:
        body = {"key": secret("CASAVI_KEY", "demo"), "secret": secret("CASAVI_SECRET", "demo")}
        try:
            response = self._client.post("/v2/authenticate", json=body)
        except httpx.TransportError as exc:
            raise AttachmentError(
                f"casavi {self._settings.casavi.url}: cannot connect ({type(exc).__name__})"
            ) from None
        if response.status_code != 200:
            raise AttachmentError(f"casavi authentication failed with HTTP {response.status_code}")
        return str(response.json()["token"])

    def fetch(self, attachment_id: str) -> bytes:
        path = content_path(attachment_id)
        last = "no attempt"
        reauthenticated = False
        attempt = 0
        while attempt <= self._retries:
            if self._token is None:
                self._token = self._authenticate()
            try:
                with self._client.stream("GET", path, headers={"token": self._token}) as response:
                    status = response.status_code
                    if status == 200:
                        chunks: list[bytes] = []
                        for chunk in response.iter_bytes():
                            chunks.append(chunk)
                            crash_point("media.download")  # in the middle of the download
                        return b"".join(chunks)
                    retry_after = response.headers.get("Retry-After")
            except httpx.TransportError as exc:
                last = f"connection lost ({type(exc).__name__})"
                attempt += 1
                time.sleep(min(self._backoff * 2**attempt, 5.0))
                continue
            if status == 401 and not reauthenticated:
                self._token, reauthenticated = None, True
                continue
            if status == 404:
                raise AttachmentError(f"attachment {attachment_id}: not found in casavi (HTTP 404)")
            last = f"HTTP {status}"
            if status != 429 and status < 500:
                break
            attempt += 1
            wait = (
                float(retry_after)
                if retry_after and retry_after.isdigit()
                else self._backoff * 2**attempt
            )
            time.sleep(min(wait, 5.0))
        raise AttachmentError(f"attachment {attachment_id}: content download failed: {last}")


class CallableAttachmentSource:
    """Adapts a function `attachment_id -> bytes` (e.g. a method of the publisher's client)."""

    def __init__(self, fetch: Callable[[str], bytes]) -> None:
        self._fetch = fetch

    def fetch(self, attachment_id: str) -> bytes:
        try:
            return self._fetch(attachment_id)
        except AttachmentError:
            raise
        except Exception as exc:  # the client's own errors: kept as the item's last error
            raise AttachmentError(
                f"attachment {attachment_id}: content download failed: {exc}"
            ) from None
