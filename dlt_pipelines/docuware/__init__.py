"""DocuWare metadata → `raw_docuware` (`documents`, `document_types`).

- OAuth flow of spec/docuware-api.md, one token per run, reused for every call;
- credentials (A8): the technical user's own DocuWare login from iX-Haus when set, else
  the secrets DOCUWARE_USERNAME / DOCUWARE_PASSWORD; never logged;
- the cabinet by name (`docuware.file_cabinet`), its search dialog, then a query by a
  DWMODDATETIME range starting at the incremental cursor, following `next` links;
- every index field as a typed column (the known ones with fixed types, see ARCHITECTURE.md),
  merge on `dwdocid`; a full run replaces the table (removes documents deleted in DocuWare);
- every DMS document type seen goes into the catalogue `document_types`
  (`first_seen_at` kept, `last_seen_at` moved), for `portal-sync catalog`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from dlt_pipelines.common import arrow_type
from dlt_pipelines.http import Http, ServiceError, is_loopback
from portal_sync.errors import UserError
from portal_sync.settings import Settings, secret

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

DATASET = "raw_docuware"
PIPELINE = "docuware"
CLIENT_ID = "docuware.platform.net.client"
SCOPE = "docuware.platform"
EPOCH = datetime(1970, 1, 1)
#: Upper end of the DWMODDATETIME range: far enough for any clock.
RANGE_END = datetime(2999, 12, 31)

_DW_DATE = re.compile(r"^/Date\((-?\d+)(?:[+-]\d{4})?\)/$")

#: Columns of `raw_docuware.documents` with their dlt types (ARCHITECTURE.md).
DOCUMENT_COLUMNS: dict[str, str] = {
    "dwdocid": "bigint",
    "dwstoredatetime": "timestamp",
    "dwmoddatetime": "timestamp",
    "empfaengerid": "text",
    "empfaengertyp": "text",
    "dokumenttyp": "text",
    "dokumentname": "text",
    "dokumentdatum": "date",
    "objektnr": "text",
    "status": "text",
    "title": "text",
    "content_type": "text",
    "file_size": "bigint",
    "original_file_name": "text",
    "file_cabinet_id": "text",
}
CATALOGUE_COLUMNS: dict[str, str] = {
    "document_type": "text",
    "first_seen_at": "timestamp",
    "last_seen_at": "timestamp",
}
_FIELD_TYPES = {"Int": "bigint", "Decimal": "double", "Date": "date", "DateTime": "timestamp"}


def hints(columns: dict[str, str]) -> Any:  # dlt TTableSchemaColumns
    """dlt column hints; timestamps are naive UTC."""
    result: dict[str, dict[str, Any]] = {}
    for name, kind in columns.items():
        hint: dict[str, Any] = {"name": name, "data_type": kind, "nullable": True}
        if kind == "timestamp":
            hint["timezone"] = False
        result[name] = hint
    return result


def parse_dw_date(value: Any) -> datetime | None:
    """`/Date(ms)/` → naive UTC datetime (None for null/empty)."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        ms = int(value)
    else:
        match = _DW_DATE.match(str(value).strip())
        if not match:
            raise ValueError(f"not a DocuWare date: {value!r}")
        ms = int(match.group(1))
    return EPOCH + timedelta(milliseconds=ms)


def as_date(value: Any) -> date | None:
    """A DocuWare Date field → date; a midnight in any time zone within ±12 h of UTC rounds to its day."""
    moment = parse_dw_date(value)
    if moment is None:
        return None
    return (moment + timedelta(hours=12)).date()


def dw_ms(moment: datetime) -> str:
    """naive UTC datetime → `/Date(ms)/`."""
    return f"/Date({int((moment - EPOCH).total_seconds() * 1000)})/"


def _field_value(kind: str, item: Any, is_null: bool) -> Any:
    if is_null or item is None:
        return None
    if kind == "Int":
        return int(item)
    if kind == "Decimal":
        return float(item)
    if kind == "DateTime":
        return parse_dw_date(item)
    if kind == "Date":
        return as_date(item)
    if kind == "Keywords":
        if isinstance(item, dict):
            item = item.get("Keyword", [])
        return ", ".join(str(v) for v in item) if isinstance(item, list) else str(item)
    return str(item)


def document_row(doc: dict[str, Any]) -> dict[str, Any]:
    """One DocuWare document → one typed row (index fields lower-cased, plus file metadata)."""
    row: dict[str, Any] = dict.fromkeys(DOCUMENT_COLUMNS)
    for field in doc.get("Fields") or []:
        name = str(field.get("FieldName", "")).lower()
        if not name:
            continue
        row[name] = _field_value(
            str(field.get("ItemElementName", "String")),
            field.get("Item"),
            bool(field.get("IsNull")),
        )
    sections = doc.get("Sections") or [{}]
    row["dwdocid"] = int(row["dwdocid"] if row["dwdocid"] is not None else doc["Id"])
    row["title"] = doc.get("Title")
    row["content_type"] = doc.get("ContentType") or sections[0].get("ContentType")
    size = doc.get("FileSize", sections[0].get("FileSize"))
    row["file_size"] = int(size) if size is not None else None
    row["original_file_name"] = sections[0].get("OriginalFileName")
    row["file_cabinet_id"] = doc.get("FileCabinetId")
    if row["dwmoddatetime"] is None:
        row["dwmoddatetime"] = parse_dw_date(doc.get("LastModified"))
    if row["dwstoredatetime"] is None:
        row["dwstoredatetime"] = parse_dw_date(doc.get("CreatedAt"))
    return row


def extra_field_types(docs: list[dict[str, Any]]) -> dict[str, str]:
    """dlt types of index fields beyond the known ones, typed by their `ItemElementName`."""
    extra: dict[str, str] = {}
    for doc in docs:
        for field in doc.get("Fields") or []:
            name = str(field.get("FieldName", "")).lower()
            if name and name not in DOCUMENT_COLUMNS and name not in extra:
                extra[name] = _FIELD_TYPES.get(str(field.get("ItemElementName")), "text")
    return extra


def documents_table(docs: list[dict[str, Any]]) -> Any:  # pyarrow.Table
    """A page of DocuWare documents as one typed arrow table (known columns, then extra fields).

    Arrow instead of dicts: dlt writes it straight to parquet instead of normalising every
    row as JSON (large world: about 4x less time for the DocuWare metadata).
    """
    import pyarrow as pa

    rows = [document_row(doc) for doc in docs]
    kinds = {**DOCUMENT_COLUMNS, **extra_field_types(docs)}
    arrays = {}
    for name, kind in kinds.items():
        values = [row.get(name) for row in rows]
        if kind == "text":
            values = [None if v is None else str(v) for v in values]
        arrays[name] = pa.array(values, type=arrow_type(kind))
    return pa.table(arrays)


def credentials(engine: Engine, settings: Settings) -> tuple[str, str]:
    """A8: the technical user's DocuWare login in iX-Haus, else DOCUWARE_USERNAME /
    DOCUWARE_PASSWORD; demo/demo only for the local emulator. Never logged.

    Raises:
        UserError: neither is set.
    """
    from dlt_pipelines import ixhaus

    own = ixhaus.docuware_credentials(engine, settings.ixhaus.technical_user)
    if own is not None:
        return own
    fallback = "demo" if is_loopback(settings.docuware.url) else None
    username = secret("DOCUWARE_USERNAME", fallback)
    password = secret("DOCUWARE_PASSWORD", fallback)
    if not username or not password:
        raise UserError(
            f"DocuWare: no credentials: the technical user {settings.ixhaus.technical_user} has no "
            "DocuWare login in iX-Haus and DOCUWARE_USERNAME/DOCUWARE_PASSWORD are not set"
        )
    return username, password


@dataclass
class DocuWareClient:
    """The Platform REST calls used by the ingest; one login per instance."""

    base_url: str
    username: str
    password: str
    http: Http
    token_requests: int = 0

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.http.client.headers["Accept"] = "application/json"

    def login(self) -> None:
        """OAuth2 password grant; the token is kept for every later call of this run."""
        info = self.http.json("GET", f"{self.base_url}/Home/IdentityServiceInfo")
        identity = str(info.get("IdentityServiceUrl", "")).rstrip("/")
        if not identity:
            raise UserError(
                f"DocuWare ({self.base_url}): no IdentityServiceUrl in Home/IdentityServiceInfo"
            )
        config = self.http.json("GET", f"{identity}/.well-known/openid-configuration")
        endpoint = config.get("token_endpoint")
        if not endpoint:
            raise UserError(f"DocuWare ({identity}): no token_endpoint in the OpenID configuration")
        form = {
            "grant_type": "password",
            "username": self.username,
            "password": self.password,
            "client_id": CLIENT_ID,
            "scope": SCOPE,
        }
        self.token_requests += 1
        try:
            answer = self.http.json("POST", str(endpoint), data=form)
        except ServiceError as exc:
            if exc.status in (400, 401, 403):
                raise UserError(
                    f"DocuWare ({self.base_url}): login refused ({exc.status}): check the DocuWare "
                    "credentials (the technical user's in iX-Haus, else DOCUWARE_USERNAME/DOCUWARE_PASSWORD)"
                ) from None
            raise
        token = answer.get("access_token")
        if not token:
            raise UserError(
                f"DocuWare ({self.base_url}): the token endpoint answered no access_token"
            )
        self.http.client.headers["Authorization"] = f"Bearer {token}"

    def _call(self, method: str, url: str, **kwargs: Any) -> Any:
        try:
            return self.http.json(method, url, **kwargs)
        except ServiceError as exc:
            if exc.status == 401:
                raise UserError(
                    f"DocuWare ({self.base_url}): the token was refused (401)"
                ) from None
            raise

    def cabinet_id(self, name: str) -> str:
        cabinets = self._call("GET", f"{self.base_url}/FileCabinets").get("FileCabinet") or []
        for cabinet in cabinets:
            if str(cabinet.get("Name")) == name and not cabinet.get("IsBasket"):
                return str(cabinet["Id"])
        names = ", ".join(sorted(str(c.get("Name")) for c in cabinets)) or "none"
        raise UserError(
            f"DocuWare ({self.base_url}): file cabinet {name!r} not found (setting docuware.file_cabinet; "
            f"cabinets: {names})"
        )

    def search_dialog(self, cabinet: str) -> str:
        dialogs = (
            self._call(
                "GET",
                f"{self.base_url}/FileCabinets/{cabinet}/Dialogs",
                params={"dialogType": "Search"},
            ).get("Dialog")
            or []
        )
        searches = [d for d in dialogs if str(d.get("Type", "Search")).lower() == "search"]
        if not searches:
            raise UserError(
                f"DocuWare ({self.base_url}): file cabinet {cabinet} has no search dialog"
            )
        default = [d for d in searches if d.get("IsDefault")]
        return str((default or searches)[0]["Id"])

    def documents_modified(
        self, cabinet: str, dialog: str, since: datetime, page_size: int
    ) -> Iterator[list[dict[str, Any]]]:
        """Pages of documents with DWMODDATETIME in [since, RANGE_END], oldest first."""
        body = {
            "Condition": [{"DBName": "DWMODDATETIME", "Value": [dw_ms(since), dw_ms(RANGE_END)]}],
            "Operation": "And",
            "SortOrder": [{"Field": "DWMODDATETIME", "Direction": "Asc"}],
        }
        url: str | None = f"{self.base_url}/FileCabinets/{cabinet}/Query/DialogExpression"
        params: dict[str, Any] | None = {"dialogId": dialog, "start": 0, "count": page_size}
        while url:
            answer = self._call("POST", url, params=params, json=body)
            yield list(answer.get("Items") or [])
            url = next(
                (
                    link.get("href")
                    for link in answer.get("Links") or []
                    if link.get("rel") == "next"
                ),
                None,
            )
            if url and url.startswith("/"):
                origin = self.base_url.split("/DocuWare/", 1)[0]
                url = origin + url
            params = None


@dataclass
class DocumentPages:
    """DocuWare documents read before loading: arrow pages with the types of extra fields."""

    pages: list[tuple[Any, dict[str, str]]]
    token_requests: int = 0

    @property
    def rows(self) -> int:
        return sum(table.num_rows for table, _ in self.pages)


def start_point(con: Any, full: bool) -> tuple[datetime, set[int]]:
    """Where an incremental read starts: the newest DWMODDATETIME in the warehouse, and the
    documents already loaded with exactly that time (they come again and are skipped).

    Full (or an empty warehouse): the epoch, nothing skipped.
    """
    if full or not _table_exists(con, "documents"):
        return EPOCH, set()
    row = con.execute(f"select max(dwmoddatetime) from {DATASET}.documents").fetchone()
    since = row[0] if row and row[0] is not None else None
    if since is None:
        return EPOCH, set()
    ids = con.execute(
        f"select dwdocid from {DATASET}.documents where dwmoddatetime = ?", [since]
    ).fetchall()
    return since, {int(doc_id) for (doc_id,) in ids}


def read_documents(
    client: DocuWareClient,
    *,
    cabinet_name: str,
    page_size: int,
    since: datetime,
    skip: set[int],
    cancelled: Callable[[], bool] = lambda: False,
) -> DocumentPages:
    """Log in once, find the cabinet and its search dialog, read every page from `since`.

    Runs on a reader thread while other sources load (HTTP and parsing only, no warehouse).

    Args:
        since: DWMODDATETIME to start at (inclusive).
        skip: DWDOCIDs already loaded with DWMODDATETIME = `since` (not loaded again).
        cancelled: polled between pages; True ends the read with `ReadCancelled`.
    """
    import pyarrow.compute as pc

    client.login()
    cabinet = client.cabinet_id(cabinet_name)
    dialog = client.search_dialog(cabinet)
    result = DocumentPages(pages=[])
    for page in client.documents_modified(cabinet, dialog, since, page_size):
        if cancelled():
            raise ReadCancelled("DocuWare read cancelled")
        if not page:
            continue
        table = documents_table(page)
        if skip:
            again = pc.and_(
                pc.equal(table.column("dwmoddatetime"), since),
                pc.is_in(table.column("dwdocid"), value_set=pa_ids(skip)),
            )
            table = table.filter(pc.invert(pc.fill_null(again, False)))
        if table.num_rows:
            result.pages.append((table, extra_field_types(page)))
    result.token_requests = client.token_requests
    return result


class ReadCancelled(Exception):
    """A reader thread was told to stop (another source failed)."""


def pa_ids(ids: set[int]) -> Any:
    import pyarrow as pa

    return pa.array(sorted(ids), type=pa.int64())


def docuware_source(
    documents_read: DocumentPages,
    *,
    full: bool,
    known_types: dict[str, datetime],
    now: datetime,
) -> Any:
    """The dlt source: `documents` (merge on dwdocid; full: replace) and the catalogue.

    Args:
        documents_read: the pages `read_documents` read (already past the cursor).
        known_types: catalogue entries already in the warehouse (type → first_seen_at).
        now: the run's timestamp (naive UTC) for `last_seen_at`.
    """
    import dlt

    @dlt.resource(
        name="documents",
        primary_key="dwdocid",
        write_disposition="replace" if full else "merge",
        columns=hints(DOCUMENT_COLUMNS),
    )
    def documents() -> Iterator[Any]:
        yield dlt.mark.materialize_table_schema()  # the table exists even without documents
        for table, extra in documents_read.pages:
            yield (
                dlt.mark.with_hints(table, dlt.mark.make_hints(columns=hints(extra)))
                if extra
                else table
            )

    @dlt.transformer(
        name="document_types",
        data_from=documents,
        primary_key="document_type",
        write_disposition="merge",
        columns=hints(CATALOGUE_COLUMNS),
    )
    def document_types(table: Any) -> Iterator[Any]:
        # an arrow page, or the empty list of `materialize_table_schema`
        names = [] if isinstance(table, list) else table.column("dokumenttyp").unique().to_pylist()
        seen = sorted({name for name in names if name})
        if not seen:
            yield dlt.mark.materialize_table_schema()
            return
        yield [
            {
                "document_type": name,
                "first_seen_at": known_types.get(name, now),
                "last_seen_at": now,
            }
            for name in seen
        ]

    @dlt.source(name=PIPELINE, max_table_nesting=0)
    def docuware() -> Any:
        return documents, document_types

    return docuware()


def known_document_types(con: Any) -> dict[str, datetime]:
    """The catalogue already in the warehouse: type → first_seen_at (empty before the first run)."""
    if not _catalogue_exists(con):
        return {}
    return dict(
        con.execute(f"select document_type, first_seen_at from {DATASET}.document_types").fetchall()
    )


def catalogue(con: Any, released: list[str]) -> list[dict[str, Any]]:
    """The DMS document types seen, with whether each is released in `docuware.document_types`."""
    rows = []
    for name, first, last in con.execute(
        "select document_type, first_seen_at, last_seen_at from raw_docuware.document_types order by document_type"
    ).fetchall():
        rows.append(
            {
                "document_type": name,
                "first_seen_at": first,
                "last_seen_at": last,
                "released": name in released,
            }
        )
    return rows


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def print_catalogue(settings: Any, console: Any) -> None:
    """`portal-sync catalog`: the DMS document types seen and whether each is released."""
    from rich.table import Table

    from portal_sync.warehouse import connect

    released = list(settings.docuware.document_types)
    with connect(settings.warehouse_path, read_only=True) as con:
        if not _catalogue_exists(con):
            raise UserError(
                "no DocuWare catalogue yet: run `portal-sync ingest` with DocuWare enabled first"
            )
        rows = catalogue(con, released)
    table = Table(
        title="DocuWare document types (docuware.document_types releases them)",
        title_justify="left",
    )
    for name in ("document type", "released", "first seen (UTC)", "last seen (UTC)"):
        table.add_column(name)
    for row in rows:
        table.add_row(
            row["document_type"],
            "yes" if row["released"] else "no",
            f"{row['first_seen_at']:%Y-%m-%d %H:%M}",
            f"{row['last_seen_at']:%Y-%m-%d %H:%M}",
        )
    console.print(table)


def _catalogue_exists(con: Any) -> bool:
    return _table_exists(con, "document_types")


def _table_exists(con: Any, table: str) -> bool:
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [DATASET, table],
    ).fetchone()
    return bool(row and row[0])
