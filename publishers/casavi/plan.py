"""Typed changes and the plan: what dbt's `marts.plan_changes` says casavi needs.

`Create` / `Update` / `Delete` → a `Plan` with counts per collection and action and the
safety checks (B15 ownership, F2 delete ratio). Printing a plan is the dry run.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import duckdb

from portal_sync.errors import UserError

#: Reference-id prefixes portal-sync assigns (spec/ixhaus-contract.md, "Ids in casavi").
OWNED_PREFIXES = ("O-", "U-", "P-", "TT-", "TR-", "T-", "N-", "ORD-", "M-", "B-", "D-", "DW-", "L-")
#: The apply order of ARCHITECTURE.md (deletes run in reverse).
APPLY_ORDER = {
    "properties": 1,
    "units": 2,
    "contacts": 3,
    "ticket-types": 4,
    "trades": 4,
    "tickets": 5,
    "ticket-messages": 6,
    "ticket-attachments": 6,
    "posts": 6,
    "documents": 6,
}
ACTIONS = ("create", "update", "delete")
#: F2 is judged only from this many owned items of a kind on (as octoDNS does), so that a
#: tiny portal can still lose its last few items.
MIN_OWNED_FOR_DELETE_RATIO = 10


def is_owned(resource_id: str) -> bool:
    return resource_id.startswith(OWNED_PREFIXES)


@dataclass(frozen=True)
class FileRef:
    """Where the file of a multipart resource comes from, read at upload time."""

    source: str  # ixhaus_document, ixhaus_media, docuware
    key: str  # document_id, media_id or DWDOCID
    name: str
    content_type: str


@dataclass(frozen=True)
class Change:
    collection: str
    resource_id: str
    payload_hash: str | None
    apply_order: int

    action = "change"

    @property
    def item(self) -> str:
        return f"{self.collection}/{self.resource_id}"


@dataclass(frozen=True)
class Upsert(Change):
    payload: dict[str, Any] = field(default_factory=dict)
    file: FileRef | None = None


@dataclass(frozen=True)
class Create(Upsert):
    action = "create"


@dataclass(frozen=True)
class Update(Upsert):
    action = "update"


@dataclass(frozen=True)
class Delete(Change):
    action = "delete"


class PlanRefused(UserError):
    """Publishing is refused (F1, F2, B15); the run is recorded as `refused`."""


@dataclass
class Plan:
    changes: list[Change]

    def __len__(self) -> int:
        return len(self.changes)

    def __iter__(self) -> Iterator[Change]:
        return iter(self.changes)

    def counts(self) -> dict[str, dict[str, int]]:
        """`{collection: {create: n, update: n, delete: n}}` in apply order."""
        counter = Counter((change.collection, change.action) for change in self.changes)
        collections = sorted(
            {change.collection for change in self.changes},
            key=lambda c: (APPLY_ORDER.get(c, 99), c),
        )
        return {c: {action: counter[(c, action)] for action in ACTIONS} for c in collections}

    def flat_counts(self, stage: str = "publish") -> dict[str, int]:
        return {
            f"{stage}.{collection}.{action}": n
            for collection, actions in self.counts().items()
            for action, n in actions.items()
            if n
        }

    def where(self, keep: Any) -> Plan:
        return Plan([change for change in self.changes if keep(change)])

    def upserts(self) -> list[list[Upsert]]:
        """Creates and updates grouped by apply order, parents first."""
        return _grouped([c for c in self.changes if isinstance(c, Upsert)], reverse=False)

    def deletes(self) -> list[list[Delete]]:
        """Deletes grouped by apply order, children first."""
        return _grouped([c for c in self.changes if isinstance(c, Delete)], reverse=True)

    def check_ownership(self, imported_tickets: set[str]) -> None:
        """B15, checked again in Python: never send a change for an id portal-sync does not own.

        The one exception: updates of portal tickets imported into iX-Haus (C3).

        Raises:
            PlanRefused: naming the first foreign item.
        """
        for change in self.changes:
            if is_owned(change.resource_id):
                continue
            if (
                change.collection == "tickets"
                and isinstance(change, Update)
                and change.resource_id in imported_tickets
            ):
                continue
            raise PlanRefused(
                f"refusing to publish: the plan would {change.action} {change.item}, which portal-sync does not own (B15)"
            )

    def delete_ratio_violations(self, owned: dict[str, int], max_ratio: float) -> list[str]:
        """F2: collections where the plan deletes more than `max_ratio` of the owned items."""
        problems = []
        for collection, actions in self.counts().items():
            deletes = actions["delete"]
            total = owned.get(collection, 0)
            if not deletes or total < MIN_OWNED_FOR_DELETE_RATIO:
                continue
            if deletes / total > max_ratio:
                problems.append(f"{collection}: {deletes} of {total} ({deletes / total:.0%})")
        return problems


def _grouped(changes: list[Any], reverse: bool) -> list[list[Any]]:
    orders = sorted({change.apply_order for change in changes}, reverse=reverse)
    return [[c for c in changes if c.apply_order == order] for order in orders]


def _change(row: dict[str, Any]) -> Change:
    collection = row["collection"]
    order = row.get("apply_order")
    apply_order = int(order) if order is not None else APPLY_ORDER.get(collection, 99)
    common = {
        "collection": collection,
        "resource_id": row["resource_id"],
        "payload_hash": row.get("payload_hash"),
        "apply_order": apply_order,
    }
    action = row["action"]
    if action == "delete":
        return Delete(**common)
    if action not in ("create", "update"):
        raise UserError(
            f"marts.plan_changes: {collection}/{row['resource_id']} has unknown action {action!r}"
        )
    payload = row.get("payload")
    body = json.loads(payload) if isinstance(payload, str) else (payload or {})
    file = None
    if row.get("file_source"):
        file = FileRef(
            source=str(row["file_source"]),
            key=str(row.get("file_key")),
            name=str(row.get("file_name") or row["resource_id"]),
            content_type=str(row.get("content_type") or "application/octet-stream"),
        )
    cls = Create if action == "create" else Update
    return cls(**common, payload=body, file=file)


def load_plan(con: duckdb.DuckDBPyConnection) -> Plan:
    """Read `marts.plan_changes` (built by dbt in this run).

    Raises:
        UserError: when the plan model does not exist (dbt has not run).
    """
    try:
        cursor = con.execute(
            "select * from marts.plan_changes order by apply_order, collection, action, resource_id"
        )
    except duckdb.CatalogException:
        raise UserError(
            "marts.plan_changes does not exist: the dbt build has not produced the plan"
        ) from None
    names = [column[0] for column in cursor.description or []]
    rows = (dict(zip(names, values, strict=True)) for values in cursor.fetchall())
    return Plan([_change(row) for row in rows])


def owned_in_casavi(con: duckdb.DuckDBPyConnection, collections: Iterable[str]) -> dict[str, int]:
    """How many items of each collection portal-sync owns in casavi now (the snapshot)."""
    counts: dict[str, int] = {}
    existing = {
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw_casavi'"
        ).fetchall()
    }
    for collection in collections:
        table = collection.replace("-", "_")
        if table not in existing:
            counts[collection] = 0
            continue
        ids = con.execute(f'select id from raw_casavi."{table}"').fetchall()
        counts[collection] = sum(
            1 for (resource_id,) in ids if resource_id and is_owned(str(resource_id))
        )
    return counts


def imported_portal_tickets(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Portal tickets (`C-…`) imported into iX-Haus (C1), whose status/priority we may update (C3)."""
    try:
        rows = con.execute(
            "select portal_ticket_id from raw_ixhaus.tickets where portal_ticket_id is not null"
        ).fetchall()
    except duckdb.CatalogException:
        return set()
    return {str(row[0]) for row in rows}
