"""The visibility rules as pure functions, with edge dates."""

from __future__ import annotations

from datetime import date

import pytest

from emulators.casavi.visibility import Viewer, contract_is_current

TODAY = date(2026, 6, 15)


@pytest.mark.parametrize(
    ("start", "end", "current"),
    [
        ("2026-06-15", None, True),  # moves in today
        ("2026-06-16", None, False),  # moves in tomorrow
        (None, "2026-06-15", True),  # moves out today
        ("2020-01-01", "2026-06-14", False),  # moved out yesterday
        (None, None, True),
    ],
)
def test_contract_is_current(start: str | None, end: str | None, current: bool) -> None:
    assert contract_is_current({"startDate": start, "endDate": end}, TODAY) is current


def viewer(contracts: list[dict], properties: list[dict] | None = None) -> Viewer:
    return Viewer.of({"id": "K-1", "contracts": contracts}, properties or [], TODAY)


def test_roles_from_contracts_and_responsibilities() -> None:
    v = viewer(
        [
            {
                "type": "RENTER",
                "propertyId": "P-1",
                "unitId": "E-1",
                "startDate": "2020-01-01",
                "endDate": None,
            },
            {
                "type": "OWNER",
                "propertyId": "P-2",
                "unitId": None,
                "startDate": "2020-01-01",
                "endDate": "2021-01-01",
            },
        ],
        [
            {"id": "P-3", "responsibilities": [{"contactId": "K-1", "roleName": "Hausmeister"}]},
            {"id": "P-4", "responsibilities": []},
        ],
    )
    assert v.roles == {"P-1": {"RENTER"}, "P-3": {"CARETAKER"}}
    assert v.units == {"E-1"}


def test_document_rules_take_the_most_specific_addressing() -> None:
    v = viewer(
        [
            {
                "type": "RENTER",
                "propertyId": "P-1",
                "unitId": "E-1",
                "startDate": None,
                "endDate": None,
            }
        ]
    )
    # contactIds win over unit and property
    assert not v.sees_document(
        {"contactIds": ["K-2"], "unitId": "E-1", "propertyId": "P-1", "audiences": ["RENTER"]}
    )
    assert v.sees_document({"contactIds": ["K-1"], "unitId": "E-9", "propertyId": "P-9"})
    # unit documents: current contract on the unit, audiences do not matter
    assert v.sees_document(
        {"contactIds": [], "unitId": "E-1", "propertyId": "P-1", "audiences": []}
    )
    assert not v.sees_document(
        {"contactIds": [], "unitId": "E-2", "propertyId": "P-1", "audiences": ["RENTER"]}
    )
    # property documents: role in the audiences
    assert v.sees_document(
        {"contactIds": [], "unitId": None, "propertyId": "P-1", "audiences": ["RENTER"]}
    )
    assert not v.sees_document(
        {"contactIds": [], "unitId": None, "propertyId": "P-1", "audiences": ["OWNER"]}
    )
    assert not v.sees_document(
        {"contactIds": [], "unitId": None, "propertyId": None, "audiences": ["RENTER"]}
    )


def test_tickets_need_property_wide_for_others() -> None:
    v = viewer(
        [
            {
                "type": "RENTER",
                "propertyId": "P-1",
                "unitId": None,
                "startDate": None,
                "endDate": None,
            }
        ]
    )
    narrow = {
        "reporterContactId": "K-2",
        "propertyId": "P-1",
        "visibility": {"audiences": ["RENTER"], "propertyWide": False},
    }
    assert not v.sees_ticket(narrow)
    assert v.sees_ticket({**narrow, "visibility": {"audiences": ["RENTER"], "propertyWide": True}})
    assert v.sees_ticket({**narrow, "reporterContactId": "K-1"})
