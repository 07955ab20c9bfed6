"""Apply a plan to casavi: one small function per resource kind, in dependency order.

Creates and updates run parents first (apply order 1 → 6), deletes children first
(6 → 1). Items of one apply order run in parallel (`casavi.concurrency` threads sharing
the client's rate limit). One bad item never stops the others: every item ends in an
`Outcome`. A 409 (unknown reference) is tried once more after all other upserts, and if it
still fails while a parent failed in this run, the error names the parent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from publishers.casavi.api import CasaviClient, Result
from publishers.casavi.files import FileStore, FileUnavailable
from publishers.casavi.plan import Change, Delete, Plan, Upsert

#: Payload fields holding reference ids of other resources (for naming a failed parent).
_REFERENCE_FIELDS = (
    "propertyId",
    "unitId",
    "ticketId",
    "ticketTypeId",
    "tradeId",
    "reporterContactId",
    "contactId",
    "contactIds",
    "contracts",
    "responsibilities",
)


@dataclass(frozen=True)
class Outcome:
    change: Change
    ok: bool
    status: int | None
    error: str | None = None


@dataclass
class Context:
    client: CasaviClient
    files: FileStore


# -- one function per resource kind -------------------------------------------------------
def put_property(ctx: Context, change: Upsert) -> Result:
    return ctx.client.put_json("properties", change.resource_id, change.payload)


def put_unit(ctx: Context, change: Upsert) -> Result:
    return ctx.client.put_json("units", change.resource_id, change.payload)


def put_contact(ctx: Context, change: Upsert) -> Result:
    return ctx.client.put_json("contacts", change.resource_id, change.payload)


def put_ticket_type(ctx: Context, change: Upsert) -> Result:
    return ctx.client.put_json("ticket-types", change.resource_id, change.payload)


def put_trade(ctx: Context, change: Upsert) -> Result:
    return ctx.client.put_json("trades", change.resource_id, change.payload)


def put_ticket(ctx: Context, change: Upsert) -> Result:
    return ctx.client.put_json("tickets", change.resource_id, change.payload)


def put_ticket_message(ctx: Context, change: Upsert) -> Result:
    return ctx.client.put_json("ticket-messages", change.resource_id, change.payload)


def put_post(ctx: Context, change: Upsert) -> Result:
    return ctx.client.put_json("posts", change.resource_id, change.payload)


def put_ticket_attachment(ctx: Context, change: Upsert) -> Result:
    return _put_with_file(ctx, "ticket-attachments", change)


def put_document(ctx: Context, change: Upsert) -> Result:
    return _put_with_file(ctx, "documents", change)


def _put_with_file(ctx: Context, collection: str, change: Upsert) -> Result:
    if change.file is None:
        return Result(
            False, None, f"{change.item}: the plan names no file for a {collection} upload"
        )
    try:
        with ctx.files.open(change.file) as handle:
            return ctx.client.put_multipart(
                collection,
                change.resource_id,
                change.payload,
                handle,
                change.file.name,
                change.file.content_type,
            )
    except FileUnavailable as exc:
        return Result(False, None, f"file not available: {exc}")


def delete_resource(ctx: Context, change: Delete) -> Result:
    return ctx.client.delete(change.collection, change.resource_id)


UPSERTS: dict[str, Callable[[Context, Upsert], Result]] = {
    "properties": put_property,
    "units": put_unit,
    "contacts": put_contact,
    "ticket-types": put_ticket_type,
    "trades": put_trade,
    "tickets": put_ticket,
    "ticket-messages": put_ticket_message,
    "ticket-attachments": put_ticket_attachment,
    "posts": put_post,
    "documents": put_document,
}


# -- running the plan -------------------------------------------------------------------------
def _references(payload: dict[str, Any]) -> set[str]:
    found: set[str] = set()

    def visit(value: Any) -> None:
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, list):
            for item in value:
                visit(item)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key in _REFERENCE_FIELDS:
                    visit(item)

    for key in _REFERENCE_FIELDS:
        if key in payload:
            visit(payload[key])
    return found


def _apply_one(ctx: Context, change: Change) -> Outcome:
    try:
        if isinstance(change, Delete):
            result = delete_resource(ctx, change)
        else:
            assert isinstance(change, Upsert)
            function = UPSERTS.get(change.collection)
            if function is None:
                return Outcome(change, False, None, f"unknown collection {change.collection!r}")
            result = function(ctx, change)
    except Exception as exc:  # never let one item stop the others; UserErrors surface below
        from portal_sync.errors import UserError

        if isinstance(exc, UserError):
            raise
        return Outcome(
            change,
            False,
            None,
            f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
        )
    return Outcome(change, result.ok, result.status, result.error)


def apply_plan(
    plan: Plan,
    ctx: Context,
    concurrency: int,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Apply every change of `plan`; returns one outcome per change.

    Raises:
        UserError: casavi unreachable or credentials refused (the whole run stops).
    """
    outcomes: dict[tuple[str, str], Outcome] = {}
    failed_ids: dict[str, str] = {}  # resource_id -> item, of failed upserts in this run

    def run_group(changes: Iterable[Change], report: bool = True) -> list[Outcome]:
        changes = list(changes)
        if not changes:
            return []
        with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(changes)))) as pool:
            results = list(pool.map(lambda c: _apply_one(ctx, c), changes))
        for outcome in results:
            outcomes[(outcome.change.collection, outcome.change.resource_id)] = outcome
            if not outcome.ok and isinstance(outcome.change, Upsert):
                failed_ids[outcome.change.resource_id] = outcome.change.item
            if on_outcome and report:
                on_outcome(outcome)
        return results

    conflicts: list[Change] = []
    for group in plan.upserts():
        conflicts += [o.change for o in run_group(group) if o.status == 409]
    if conflicts:  # e.g. a reference created later in the same run; try once more
        for change in conflicts:
            failed_ids.pop(change.resource_id, None)
        for group in Plan(conflicts).upserts():
            run_group(group, report=False)
    for deletes in plan.deletes():
        run_group(deletes)

    final = []
    for change in plan:
        outcome = outcomes[(change.collection, change.resource_id)]
        if outcome.status == 409 and isinstance(change, Upsert):
            parents = sorted(
                failed_ids[ref] for ref in _references(change.payload) if ref in failed_ids
            )
            if parents:
                outcome = Outcome(
                    change,
                    False,
                    409,
                    f"parent {', '.join(parents)} failed in this run; {outcome.error}",
                )
        final.append(outcome)
    return final
