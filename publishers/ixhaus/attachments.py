"""Attachment content from casavi: `GET /v2/ticket-attachments/{id}/content` (C2).

The HTTP work (token, rate limit, retries on lost connections, 429 and 5xx) is the casavi
publisher's client (`publishers.casavi.api.CasaviClient.ticket_attachment_content`); this
module only adapts it to the write-back, checks the content and turns failures into
`AttachmentError` (one line, no secrets), so the item is recorded and retried next run.
"""

from __future__ import annotations

from collections.abc import Callable

from publishers.ixhaus.crash import crash_point


class AttachmentError(Exception):
    """The content of an attachment could not be fetched (retried on the next run)."""


class AttachmentSource:
    """Fetches attachment content through a function `attachment_id -> bytes`."""

    def __init__(self, fetch: Callable[[str], bytes]) -> None:
        self._fetch = fetch

    def fetch(self, attachment_id: str, expected_size: int | None = None) -> bytes:
        """The content of `attachment_id`; its length must match the announced size.

        Raises:
            AttachmentError: not delivered, or delivered with another size.
        """
        try:
            content = self._fetch(attachment_id)
        except Exception as exc:  # the client's CasaviError / UserError: kept as the item's error
            raise AttachmentError(f"content download failed: {exc}") from None
        crash_point("media.fetched")  # downloaded, nothing written yet
        if expected_size is not None and expected_size != len(content):
            raise AttachmentError(
                f"content has {len(content)} bytes, casavi announced {expected_size}"
            )
        return content
