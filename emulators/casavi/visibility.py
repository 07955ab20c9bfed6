"""What casavi shows a contact (spec/casavi-api.md, "Visibility"), as pure functions.

A contact has a role in a property when one of their contracts there is current
(startDate ≤ today, no endDate or endDate ≥ today), or when they are named in the
property's `responsibilities` (CARETAKER). Former and future tenants see only what is
addressed to them personally and their own tickets.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any


def contract_is_current(contract: dict[str, Any], today: date) -> bool:
    start, end = contract.get("startDate"), contract.get("endDate")
    return (start is None or date.fromisoformat(start) <= today) and (
        end is None or date.fromisoformat(end) >= today
    )


@dataclass
class Viewer:
    """A contact with their current roles per property and current units."""

    contact_id: str
    roles: dict[str, set[str]] = field(default_factory=dict)
    units: set[str] = field(default_factory=set)

    @classmethod
    def of(
        cls, contact: dict[str, Any], properties: Iterable[dict[str, Any]], today: date
    ) -> Viewer:
        """Build the viewer; `properties` may be limited to those naming the contact."""
        viewer = cls(contact["id"])
        for contract in contact.get("contracts") or []:
            if contract_is_current(contract, today):
                viewer.roles.setdefault(contract["propertyId"], set()).add(contract["type"])
                if contract.get("unitId"):
                    viewer.units.add(contract["unitId"])
        for prop in properties:
            if any(
                r.get("contactId") == viewer.contact_id for r in prop.get("responsibilities") or []
            ):
                viewer.roles.setdefault(prop["id"], set()).add("CARETAKER")
        return viewer

    def has_role(self, property_id: str | None, audiences: Iterable[str]) -> bool:
        """True when the contact has a role in the property that is in `audiences`."""
        return property_id is not None and bool(self.roles.get(property_id, set()) & set(audiences))

    def sees_ticket(self, ticket: dict[str, Any]) -> bool:
        if ticket.get("reporterContactId") == self.contact_id:
            return True
        visibility = ticket.get("visibility") or {}
        return bool(visibility.get("propertyWide")) and self.has_role(
            ticket.get("propertyId"), visibility.get("audiences") or []
        )

    def sees_post(self, post: dict[str, Any]) -> bool:
        return self.has_role(post.get("propertyId"), post.get("audiences") or [])

    def sees_document(self, document: dict[str, Any]) -> bool:
        if document.get("contactIds"):
            return self.contact_id in document["contactIds"]
        if document.get("unitId"):
            return document["unitId"] in self.units
        return self.has_role(document.get("propertyId"), document.get("audiences") or [])
