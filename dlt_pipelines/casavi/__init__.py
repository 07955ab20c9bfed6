"""casavi's current state → `raw_casavi`, with snapshot bookkeeping for F1.

- authenticate once per run (`secret("CASAVI_KEY")` / `secret("CASAVI_SECRET")`; only for
  a loopback `casavi.url` — the local emulator — they default to `demo` / `demo`);
- read every collection of spec/casavi-api.md with `pageSize=500`, following `next` links;
  incremental: `modifiedAfter` = the last complete snapshot's cursor (max `modifiedAt`) minus a
  small overlap, `includeDeleted=true`; merge on `id`, tombstones hard-delete (`deleted`);
- full (`--full`, no complete snapshot yet, or the last full one older than a day): re-read
  everything and replace every table through staging (never half replaced);
- every collection is read to its last page *before* anything is loaded: a failed or
  partial read leaves the tables untouched and records a `failed` snapshot, so the previous
  complete snapshot stays the latest good one (`latest_snapshot`).

Keep the paths and field list in this module, so they can be corrected against the real API.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import duckdb

from dlt_pipelines.common import arrow_type
from dlt_pipelines.http import Http, ServiceError, is_loopback
from portal_sync.errors import UserError
from portal_sync.protocol import SCHEMA, now

DATASET = "raw_casavi"
PIPELINE = "casavi"
PAGE_SIZE = 500
#: naive UTC epoch (casavi timestamps are read as naive UTC datetimes)
EPOCH_UTC = datetime(1970, 1, 1)
#: re-read this much before the cursor (clock granularity, writes racing the read)
OVERLAP = timedelta(seconds=5)

COMMON_FIELDS: dict[str, str] = {
    "id": "text",
    "internalId": "bigint",
    "createdAt": "timestamp",
    "modifiedAt": "timestamp",
    "managedExternally": "bool",
    "source": "text",
}
#: collection → API field → dlt type (`json` for nested lists/objects).
COLLECTIONS: dict[str, dict[str, str]] = {
    "properties": {
        "name": "text",
        "number": "text",
        "street": "text",
        "postalCode": "text",
        "city": "text",
        "country": "text",
        "responsibilities": "json",
    },
    "units": {"propertyId": "text", "number": "text", "name": "text", "floor": "text"},
    "contacts": {
        "salutation": "text",
        "title": "text",
        "firstName": "text",
        "lastName": "text",
        "companyName": "text",
        "email": "text",
        "telephone": "text",
        "mobile": "text",
        "street": "text",
        "postalCode": "text",
        "city": "text",
        "country": "text",
        "contracts": "json",
        "isRegistered": "bool",
        "isInvited": "bool",
        "preferredWayOfContact": "text",
    },
    "ticket-types": {
        "name": "text",
        "category": "text",
        "description": "text",
        "audiences": "json",
        "modifiedInPortal": "bool",
    },
    "trades": {"name": "text", "audiences": "json"},
    "tickets": {
        "ticketTypeId": "text",
        "propertyId": "text",
        "unitId": "text",
        "reporterContactId": "text",
        "title": "text",
        "description": "text",
        "status": "text",
        "priority": "text",
        "tradeId": "text",
        "visibility": "json",
        "notifyUnregisteredContacts": "bool",
        "lastPortalActivity": "json",
    },
    "ticket-messages": {
        "ticketId": "text",
        "text": "text",
        "authorName": "text",
        "authorType": "text",
        "authorContactId": "text",
    },
    "ticket-attachments": {
        "ticketId": "text",
        "fileName": "text",
        "contentType": "text",
        "size": "bigint",
        "sha256": "text",
        "authorType": "text",
        "authorContactId": "text",
    },
    "posts": {
        "propertyId": "text",
        "title": "text",
        "content": "text",
        "audiences": "json",
        "notifyUnregisteredContacts": "bool",
    },
    "documents": {
        "title": "text",
        "type": "text",
        "documentDate": "date",
        "propertyId": "text",
        "unitId": "text",
        "contactIds": "json",
        "audiences": "json",
        "size": "bigint",
        "sha256": "text",
        "contentType": "text",
        "downloads": "json",
    },
}

SNAPSHOT_DDL = f"""
create schema if not exists {SCHEMA};
create sequence if not exists {SCHEMA}.casavi_snapshot_ids;
create table if not exists {SCHEMA}.casavi_snapshots (
    snapshot_id bigint primary key default nextval('{SCHEMA}.casavi_snapshot_ids'),
    run_id bigint,
    started_at timestamp not null,          -- UTC
    finished_at timestamp,                  -- empty while running or after a crash
    status text not null,                   -- running, complete, failed
    is_full boolean not null,
    rows bigint,                            -- items read (tombstones included)
    tables_touched boolean not null default false,  -- loading into raw_casavi had begun
    cursors json,                           -- collection -> max modifiedAt read so far
    error text
);
"""


def table_name(collection: str) -> str:
    return collection.replace("-", "_")


def snake(name: str) -> str:
    """dlt's snake_case for an API field (`postalCode` → `postal_code`)."""
    from dlt.common.normalizers.naming.snake_case import NamingConvention

    return NamingConvention().normalize_identifier(name)


def column_hints(collection: str, merge: bool = True) -> Any:  # dlt TTableSchemaColumns
    """dlt column hints for a collection's table; `deleted` marks tombstones (hard delete on merge)."""
    hints: dict[str, dict[str, Any]] = {}
    for api_name, kind in {**COMMON_FIELDS, **COLLECTIONS[collection]}.items():
        name = snake(api_name)
        hint: dict[str, Any] = {"name": name, "data_type": kind, "nullable": api_name != "id"}
        if kind == "timestamp":
            hint["timezone"] = False
        hints[name] = hint
    # set either way: a replace must not inherit the merge's hint from the stored schema
    hints["deleted"] = {
        "name": "deleted",
        "data_type": "bool",
        "nullable": True,
        "hard_delete": merge,
    }
    return hints


def credentials(url: str) -> tuple[str, str]:
    """casavi API key and secret; `demo`/`demo` only for a loopback URL (the local emulator)."""
    from portal_sync.settings import secret

    fallback = "demo" if is_loopback(url) else None
    key = secret("CASAVI_KEY", fallback)
    api_secret = secret("CASAVI_SECRET", fallback)
    if not key or not api_secret:
        raise UserError(
            f"casavi ({url}): CASAVI_KEY and CASAVI_SECRET must be set (environment or .dlt/secrets.toml)"
        )
    return key, api_secret


def parse_ts(value: Any) -> datetime | None:
    """ISO 8601 (UTC, `Z`) → naive UTC datetime."""
    if not value:
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class CasaviReader:
    """Reads collections; one token per run, header `token`."""

    base_url: str
    key: str
    secret: str
    http: Http
    page_size: int = 0  # 0 = PAGE_SIZE
    token: str | None = None

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.page_size = self.page_size or PAGE_SIZE

    def authenticate(self) -> None:
        try:
            answer = self.http.json(
                "POST",
                f"{self.base_url}/v2/authenticate",
                json={"key": self.key, "secret": self.secret},
            )
        except ServiceError as exc:
            if exc.status in (400, 401, 403):
                raise UserError(
                    f"casavi ({self.base_url}): authentication refused ({exc.status}): check CASAVI_KEY/CASAVI_SECRET"
                ) from None
            raise
        token = answer.get("token")
        if not token:
            raise UserError(f"casavi ({self.base_url}): /v2/authenticate answered no token")
        self.token = str(token)
        self.http.client.headers["token"] = self.token

    def read(
        self, collection: str, modified_after: datetime | None, include_deleted: bool
    ) -> Iterator[list[dict[str, Any]]]:
        """Pages of one collection, oldest change first (an item may come twice: dedupe by id).

        Keyset paging: after a full page the next request asks again for page 1 with
        `modifiedAfter` = the page's last `modifiedAt` minus 1 ms (the API orders by
        `modifiedAt`, then `internalId`, at millisecond precision). Items of that last
        millisecond come again; a page whose items all share one millisecond follows the
        `next` link instead, so the read always moves on. Unlike `page=N` this costs the
        server the same for the last page as for the first (no deep offsets), and an item
        changed during the read moves behind the reader instead of shifting later pages
        (which makes offset paging skip an item).
        """
        after = _truncate_ms(modified_after) if modified_after is not None else None
        url: str | None = f"{self.base_url}/v2/{collection}"
        params: dict[str, Any] | None = self._params(after, include_deleted)
        while url:
            try:
                answer = self.http.json("GET", url, params=params)
            except ServiceError as exc:
                if exc.status == 401:
                    raise UserError(
                        f"casavi ({self.base_url}): the token was refused (401) reading {collection}"
                    ) from None
                raise
            if not isinstance(answer, dict) or not isinstance(answer.get("list"), list):
                raise UserError(f"casavi ({self.base_url}): GET /v2/{collection} answered no list")
            items = answer["list"]
            yield items
            href = ((answer.get("_links") or {}).get("next") or {}).get("href")
            if not href:
                return
            last = parse_ts(items[-1].get("modifiedAt")) if items else None
            restart = _truncate_ms(last) - timedelta(milliseconds=1) if last is not None else None
            if restart is not None and (after is None or restart > after):
                after = restart
                url, params = (
                    f"{self.base_url}/v2/{collection}",
                    self._params(after, include_deleted),
                )
                continue
            if href.startswith("/"):
                parts = urlsplit(self.base_url)
                href = f"{parts.scheme}://{parts.netloc}{href}"
            url, params = href, None

    def _params(self, after: datetime | None, include_deleted: bool) -> dict[str, Any]:
        params: dict[str, Any] = {"page": 1, "pageSize": self.page_size}
        if after is not None:
            params["modifiedAfter"] = iso(after)
        if include_deleted:
            params["includeDeleted"] = "true"
        return params


def _truncate_ms(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


@dataclass
class CasaviSnapshot:
    """Everything read in one run, before it is loaded."""

    is_full: bool
    items: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    cursors: dict[str, str | None] = field(default_factory=dict)

    #: items read (tombstones included), before `drop_unchanged`
    read: int = 0

    @property
    def rows(self) -> int:
        return sum(len(items) for items in self.items.values())


class ReadCancelled(Exception):
    """A reader thread was told to stop (another source failed)."""


def read_snapshot(
    reader: CasaviReader,
    *,
    full: bool,
    cursors: dict[str, str | None],
    cancelled: Callable[[], bool] = lambda: False,
) -> CasaviSnapshot:
    """Read every collection to its last page (or raise: nothing is loaded then).

    HTTP and parsing only (no warehouse): runs on a reader thread while other sources load.
    `cancelled` is polled between pages; True ends the read with `ReadCancelled`.
    """
    snapshot = CasaviSnapshot(is_full=full)
    reader.authenticate()
    for collection in COLLECTIONS:
        previous = None if full else parse_ts(cursors.get(collection))
        since = previous - OVERLAP if previous is not None else None
        latest: dict[str, dict[str, Any]] = {}
        for page in reader.read(collection, since, include_deleted=not full):
            if cancelled():
                raise ReadCancelled("casavi read cancelled")
            for item in page:
                key = str(item.get("id"))
                known = latest.get(key)
                if known is None or str(item.get("modifiedAt") or "") >= str(
                    known.get("modifiedAt") or ""
                ):
                    latest[key] = item
        items = list(latest.values())
        if full:
            items = [item for item in items if not item.get("deleted")]
        for item in items:
            item["deleted"] = bool(item.get("deleted"))
        stamps = [parse_ts(item.get("modifiedAt")) for item in items if item.get("modifiedAt")]
        newest = max((s for s in stamps if s is not None), default=None)
        best = max((s for s in (newest, previous) if s is not None), default=None)
        snapshot.cursors[collection] = iso(best) if best else None
        snapshot.items[collection] = items
        snapshot.read += len(items)
    return snapshot


def drop_unchanged(
    con: duckdb.DuckDBPyConnection, snapshot: CasaviSnapshot, cursors: dict[str, str | None]
) -> None:
    """Incremental: drop re-read items (the `OVERLAP` before the cursor) the tables hold as they are.

    An item at or before the last cursor is dropped when its row is loaded with the same
    `modifiedAt`, a tombstone when its row is gone already. What stays is new to the
    warehouse; an empty snapshot needs no load at all.
    """
    if snapshot.is_full:
        return
    for collection, items in snapshot.items.items():
        previous = parse_ts(cursors.get(collection))
        if previous is None or not items:
            continue
        again = [
            item for item in items if (parse_ts(item.get("modifiedAt")) or previous) <= previous
        ]
        if not again:
            continue
        try:
            held = dict(
                con.execute(
                    f"select id, modified_at from {DATASET}.{table_name(collection)} "
                    "where list_contains(?, id)",
                    [[str(item.get("id")) for item in again]],
                ).fetchall()
            )
        except duckdb.CatalogException:
            continue
        known = {
            id(item)
            for item in again
            if (
                str(item.get("id")) not in held
                if item.get("deleted")
                else held.get(str(item.get("id")), 0) == parse_ts(item.get("modifiedAt"))
            )
        }
        snapshot.items[collection] = [item for item in items if id(item) not in known]


def casavi_source(snapshot: CasaviSnapshot) -> Any:
    """The dlt source over a snapshot read completely beforehand."""
    import dlt

    disposition: Any = "replace" if snapshot.is_full else "merge"

    def make(collection: str) -> Any:
        items = snapshot.items[collection]

        @dlt.resource(
            name=table_name(collection),
            primary_key="id",
            write_disposition=disposition,
            columns=column_hints(collection, merge=not snapshot.is_full),
        )
        def resource() -> Iterator[Any]:
            # always arrow, also when empty: the table gets the same columns as later loads
            # (an empty collection must not create dlt's `_dlt_load_id NOT NULL` column)
            yield to_arrow(collection, items)

        return resource

    @dlt.source(name=PIPELINE, max_table_nesting=0)
    def casavi() -> Any:
        return [make(collection) for collection in COLLECTIONS]

    return casavi()


def to_arrow(collection: str, items: list[dict[str, Any]]) -> Any:
    """The items of a collection as one arrow table (typed; much faster than dlt's JSON path).

    Fields the contract does not know are kept as text columns.
    """
    import pyarrow as pa

    fields = {**COMMON_FIELDS, **COLLECTIONS[collection], "deleted": "bool"}
    extra = sorted({key for item in items for key in item} - set(fields))
    arrays: dict[str, Any] = {}
    for api_name, kind in [*fields.items(), *((name, "text") for name in extra)]:
        values = [item.get(api_name) for item in items]
        if kind == "json" or (kind == "text" and any(isinstance(v, dict | list) for v in values)):
            values = [None if v is None else json.dumps(v, ensure_ascii=False) for v in values]
        elif kind == "timestamp":
            values = [parse_ts(v) for v in values]
        elif kind == "date":
            values = [date.fromisoformat(str(v)[:10]) if v else None for v in values]
        elif kind == "text":
            values = [None if v is None else str(v) for v in values]
        arrays[snake(api_name)] = pa.array(values, type=arrow_type(kind))
    return pa.table(arrays)


# --- snapshot bookkeeping (portal_sync.casavi_snapshots) ---------------------------------


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(SNAPSHOT_DDL)


def start_snapshot(
    con: duckdb.DuckDBPyConnection,
    run_id: int | None,
    is_full: bool,
    started_at: datetime | None = None,
) -> int:
    """Record a snapshot attempt; `started_at` (naive UTC) = when its read began (default now)."""
    ensure(con)
    row = con.execute(
        f"insert into {SCHEMA}.casavi_snapshots (run_id, started_at, status, is_full) "
        "values (?, ?, 'running', ?) returning snapshot_id",
        [run_id, started_at or now(), is_full],
    ).fetchone()
    assert row is not None
    return int(row[0])


def mark_touched(con: duckdb.DuckDBPyConnection, snapshot_id: int) -> None:
    con.execute(
        f"update {SCHEMA}.casavi_snapshots set tables_touched = true where snapshot_id = ?",
        [snapshot_id],
    )


def finish_snapshot(
    con: duckdb.DuckDBPyConnection,
    snapshot_id: int,
    status: str,
    *,
    rows: int | None = None,
    cursors: dict[str, str | None] | None = None,
    error: str | None = None,
) -> None:
    con.execute(
        f"update {SCHEMA}.casavi_snapshots set finished_at = ?, status = ?, rows = ?, cursors = ?, error = ? "
        "where snapshot_id = ?",
        [
            now(),
            status,
            rows,
            json.dumps(cursors) if cursors is not None else None,
            error,
            snapshot_id,
        ],
    )


_COLUMNS = (
    "snapshot_id",
    "run_id",
    "started_at",
    "finished_at",
    "status",
    "is_full",
    "rows",
    "tables_touched",
    "cursors",
    "error",
)


def _rows(con: duckdb.DuckDBPyConnection, where: str, params: list[Any]) -> list[dict[str, Any]]:
    try:
        found = con.execute(
            f"select {', '.join(_COLUMNS)} from {SCHEMA}.casavi_snapshots where {where} "
            "order by snapshot_id desc limit 1",
            params,
        ).fetchall()
    except duckdb.CatalogException:
        return []
    result = []
    for row in found:
        record = dict(zip(_COLUMNS, row, strict=True))
        record["cursors"] = json.loads(record["cursors"]) if record["cursors"] else {}
        result.append(record)
    return result


def latest_snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """The snapshot the tables in `raw_casavi` hold (for F1), or None when there is none.

    That is the newest `complete` snapshot — unless a later attempt had begun loading
    (`tables_touched`) and did not complete: then that attempt (status `failed` or
    `running`), so the publisher refuses. Attempts that failed while reading left the
    tables untouched and are skipped.
    """
    good = _rows(con, "status = 'complete'", [])
    after = good[0]["snapshot_id"] if good else -1
    touched = _rows(con, "snapshot_id > ? and tables_touched and status <> 'complete'", [after])
    if touched:
        return touched[0]
    return good[0] if good else None


def last_complete_cursors(con: duckdb.DuckDBPyConnection) -> dict[str, str | None] | None:
    """Cursors of the newest complete snapshot (None: there is none, read everything)."""
    good = _rows(con, "status = 'complete'", [])
    return dict(good[0]["cursors"]) if good else None
