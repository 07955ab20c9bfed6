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

import httpx
import sqlalchemy as sa

from portal_sync import ixhaus_schema
from portal_sync.errors import UserError
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
        self._cabinet = ""
        self._docuware_error: str | None = None
        self._logins = 0

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
        if self._docuware is not None:
            self._docuware.http.close()

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
        """`FileDownload?targetFileType=PDF` streamed into `out`; one re-login on 401."""
        for attempt in range(2):
            client, cabinet, token_version = self._docuware_session()
            url = f"{client.base_url}/FileCabinets/{cabinet}/Documents/{dwdocid}/FileDownload"
            params = {"targetFileType": "PDF", "keepAnnotations": "true"}
            try:
                with client.http.client.stream(
                    "GET", url, params=params, headers={"Accept": "application/pdf"}
                ) as response:
                    if response.status_code == 401 and attempt == 0:
                        self._docuware_relogin(token_version)
                        continue
                    if response.status_code >= 400:
                        raise FileUnavailable(
                            f"DocuWare document {dwdocid}: FileDownload answered {response.status_code}"
                        )
                    out.seek(0)
                    out.truncate()
                    for chunk in response.iter_bytes(_CHUNK):
                        out.write(chunk)
                    return
            except httpx.TransportError as exc:
                raise FileUnavailable(
                    f"DocuWare document {dwdocid}: download failed ({type(exc).__name__})"
                ) from None
        raise FileUnavailable(f"DocuWare document {dwdocid}: the token was refused (401)")

    def _docuware_session(self) -> tuple[Any, str, int]:
        """Ingest's DocuWare client, logged in once (the real service throttles logins)."""
        with self._lock:
            if self._docuware_error:  # never hammer a refusing login (lock-out risk)
                raise FileUnavailable(self._docuware_error)
            if self._docuware is None:
                try:
                    client = _docuware_client(self._settings)
                    client.login()
                    self._cabinet = client.cabinet_id(self._settings.docuware.file_cabinet)
                except UserError as exc:
                    self._docuware_error = str(exc)
                    raise FileUnavailable(self._docuware_error) from None
                self._docuware = client
            return self._docuware, self._cabinet, self._logins

    def _docuware_relogin(self, seen: int) -> None:
        with self._lock:
            if self._logins == seen:
                self._docuware.login()
                self._logins += 1


def _docuware_client(settings: Settings) -> Any:
    """Ingest's DocuWare client with ingest's choice of login (A8)."""
    from dlt_pipelines import docuware
    from dlt_pipelines.http import Http

    engine = sa.create_engine(settings.ixhaus_url)
    try:
        username, password = docuware.credentials(engine, settings)
    finally:
        engine.dispose()
    return docuware.DocuWareClient(settings.docuware.url, username, password, Http("DocuWare"))
