"""Files for multipart uploads, read at upload time and never copied into DuckDB.

iX-Haus documents and media come from their BLOB column through SQLAlchemy; DocuWare
documents are downloaded as PDF through ingest's DocuWare client (the same OAuth flow).
Each file goes through a spooled temporary file (memory up to 8 MB, then disk), so a
retried upload can rewind it.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

import sqlalchemy as sa

from portal_sync import ixhaus_schema
from portal_sync.settings import Settings
from publishers.casavi.plan import FileRef

SPOOL_BYTES = 8 * 1024 * 1024
_CHUNK = 1024 * 1024


class FileUnavailable(Exception):
    """The file of one item cannot be read (reported for that item only)."""


class FileStore:
    """Opens the file of a plan item; safe to share between worker threads."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._engine: sa.Engine | None = None
        self._docuware: Any = None

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
        closer = getattr(self._docuware, "close", None)
        if callable(closer):
            closer()

    @contextmanager
    def open(self, ref: FileRef) -> Iterator[IO[bytes]]:
        """A rewindable binary file with the content of `ref`.

        Raises:
            FileUnavailable: no such row / document, an empty file, or an unknown source.
        """
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
            if ref.source == "ixhaus_document":
                self._copy_blob(ixhaus_schema.documents, "document_id", ref.key, spool)
            elif ref.source == "ixhaus_media":
                self._copy_blob(ixhaus_schema.ticket_media, "media_id", ref.key, spool)
            elif ref.source == "docuware":
                self._download_docuware(ref.key, spool)
            else:
                raise FileUnavailable(f"unknown file source {ref.source!r}")
            if spool.tell() == 0:
                raise FileUnavailable(f"{ref.source} {ref.key}: the file is empty")
            spool.seek(0)
            yield spool  # type: ignore[misc]

    # -- iX-Haus -----------------------------------------------------------------------------
    def _ixhaus(self) -> sa.Engine:
        with self._lock:
            if self._engine is None:
                self._engine = sa.create_engine(self._settings.ixhaus_url)
            return self._engine

    def _copy_blob(self, table: sa.Table, key_column: str, key: str, out: IO[bytes]) -> None:
        try:
            key_value: int | str = int(key)
        except ValueError:
            key_value = key
        query = sa.select(table.c.content).where(table.c[key_column] == key_value)
        with self._ixhaus().connect() as connection:
            content = connection.execute(query).scalar_one_or_none()
        if content is None:
            raise FileUnavailable(
                f"iX-Haus {table.name}.{key_column} = {key}: no such row or no content"
            )
        view = memoryview(content)
        for start in range(0, len(view), _CHUNK):
            out.write(view[start : start + _CHUNK])

    # -- DocuWare --------------------------------------------------------------------------
    def _download_docuware(self, dwdocid: str, out: IO[bytes]) -> None:
        client = self._docuware_client()
        try:
            client.download_pdf(int(dwdocid), out)
        except FileUnavailable:
            raise
        except Exception as exc:  # the DocuWare client's own errors: one line, no secrets
            raise FileUnavailable(
                f"DocuWare document {dwdocid}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
            ) from None

    def _docuware_client(self) -> Any:
        with self._lock:
            if self._docuware is None:
                from dlt_pipelines.docuware.client import client_from_settings

                self._docuware = client_from_settings(self._settings)
            return self._docuware
