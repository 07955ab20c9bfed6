"""The casavi collections: writable fields, read-only extras, references, validation.

One table per collection (`COLLECTIONS`), so the contract of spec/casavi-api.md can be read
(and corrected) in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from emulators.common import ApiError

AUDIENCES = ("RENTER", "OWNER", "CARETAKER")
CONTRACT_TYPES = ("RENTER", "OWNER")
WAYS_OF_CONTACT = ("ONLINE", "POSTAL")
COMMON_READ_ONLY = ("id", "internalId", "createdAt", "modifiedAt", "managedExternally", "source")


@dataclass(frozen=True)
class Collection:
    """One API collection.

    Attributes:
        fields: writable field → kind (`str`, `str!` required, `date`, `bool`, `audiences`,
            `strlist`, `contracts`, `responsibilities`, `visibility`).
        read_only: extra read-only fields → initial value on create.
        references: field → referenced collection (409 when unknown, if the field is set).
        multipart: written with a multipart PUT (`meta` + `file`); has `/content`.
    """

    name: str
    fields: dict[str, str]
    read_only: dict[str, Any] = field(default_factory=dict)
    references: dict[str, str] = field(default_factory=dict)
    multipart: bool = False


COLLECTIONS: dict[str, Collection] = {
    c.name: c
    for c in (
        Collection(
            "properties",
            {
                "name": "str!",
                "number": "str",
                "street": "str",
                "postalCode": "str",
                "city": "str",
                "country": "str",
                "responsibilities": "responsibilities",
            },
        ),
        Collection(
            "units",
            {"propertyId": "str!", "number": "str", "name": "str", "floor": "str"},
            references={"propertyId": "properties"},
        ),
        Collection(
            "contacts",
            {
                "salutation": "str",
                "title": "str",
                "firstName": "str",
                "lastName": "str",
                "companyName": "str",
                "email": "str",
                "telephone": "str",
                "mobile": "str",
                "street": "str",
                "postalCode": "str",
                "city": "str",
                "country": "str",
                "contracts": "contracts",
            },
            read_only={"isRegistered": False, "isInvited": False, "preferredWayOfContact": None},
        ),
        Collection(
            "ticket-types",
            {"name": "str!", "category": "str", "description": "str", "audiences": "audiences"},
            read_only={"modifiedInPortal": False},
        ),
        Collection("trades", {"name": "str!", "audiences": "audiences"}),
        Collection(
            "tickets",
            {
                "ticketTypeId": "str!",
                "propertyId": "str!",
                "unitId": "str",
                "reporterContactId": "str",
                "title": "str!",
                "description": "str",
                "status": "str",
                "priority": "str",
                "tradeId": "str",
                "visibility": "visibility",
                "notifyUnregisteredContacts": "bool",
            },
            read_only={"lastPortalActivity": None},
            references={
                "ticketTypeId": "ticket-types",
                "propertyId": "properties",
                "unitId": "units",
                "reporterContactId": "contacts",
                "tradeId": "trades",
            },
        ),
        Collection(
            "ticket-messages",
            {"ticketId": "str!", "text": "str!", "authorName": "str"},
            read_only={"authorType": "EMPLOYEE", "authorContactId": None},
            references={"ticketId": "tickets"},
        ),
        Collection(
            "ticket-attachments",
            {"ticketId": "str!", "fileName": "str!", "contentType": "str"},
            read_only={
                "size": 0,
                "sha256": None,
                "authorType": "EMPLOYEE",
                "authorContactId": None,
            },
            references={"ticketId": "tickets"},
            multipart=True,
        ),
        Collection(
            "posts",
            {
                "propertyId": "str!",
                "title": "str!",
                "content": "str",
                "audiences": "audiences",
                "notifyUnregisteredContacts": "bool",
            },
            references={"propertyId": "properties"},
        ),
        Collection(
            "documents",
            {
                "title": "str!",
                "type": "str",
                "documentDate": "date",
                "propertyId": "str",
                "unitId": "str",
                "contactIds": "strlist",
                "audiences": "audiences",
            },
            read_only={"size": 0, "sha256": None, "contentType": None, "downloads": []},
            references={"propertyId": "properties", "unitId": "units"},
            multipart=True,
        ),
    )
}


def _problem(path: str, message: str) -> dict[str, str]:
    return {"field": path, "message": message}


def _check_date(value: Any, path: str, problems: list[dict[str, str]]) -> Any:
    if value is None:
        return None
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    problems.append(_problem(path, "expected a date YYYY-MM-DD or null"))
    return None


def _check_audiences(value: Any, path: str, problems: list[dict[str, str]]) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or any(item not in AUDIENCES for item in value):
        problems.append(_problem(path, f"expected a list of {', '.join(AUDIENCES)}"))
        return []
    return list(dict.fromkeys(value))


def _check_str(value: Any, path: str, required: bool, problems: list[dict[str, str]]) -> Any:
    if value is None:
        if required:
            problems.append(_problem(path, "required"))
        return None
    if not isinstance(value, str):
        problems.append(_problem(path, "expected a string"))
        return None
    if required and not value.strip():
        problems.append(_problem(path, "must not be empty"))
    return value


def _check_object_list(
    value: Any, path: str, spec: dict[str, str], problems: list[dict[str, str]]
) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(_problem(path, "expected a list"))
        return []
    out = []
    for index, item in enumerate(value):
        where = f"{path}[{index}]"
        if not isinstance(item, dict):
            problems.append(_problem(where, "expected an object"))
            continue
        for key in sorted(set(item) - set(spec)):
            problems.append(_problem(f"{where}.{key}", "unknown field"))
        out.append(_check_fields(item, spec, where, problems))
    return out


CONTRACT = {
    "type": "contract-type",
    "propertyId": "str!",
    "unitId": "str",
    "startDate": "date",
    "endDate": "date",
}
RESPONSIBILITY = {"contactId": "str!", "roleName": "str!"}


def _check_value(kind: str, value: Any, path: str, problems: list[dict[str, str]]) -> Any:
    if kind in ("str", "str!"):
        return _check_str(value, path, kind == "str!", problems)
    if kind == "date":
        return _check_date(value, path, problems)
    if kind == "bool":
        if value is None:
            return False
        if not isinstance(value, bool):
            problems.append(_problem(path, "expected true or false"))
        return bool(value)
    if kind == "audiences":
        return _check_audiences(value, path, problems)
    if kind == "strlist":
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            problems.append(_problem(path, "expected a list of strings"))
            return []
        return list(dict.fromkeys(value))
    if kind == "contract-type":
        if value not in CONTRACT_TYPES:
            problems.append(_problem(path, f"expected one of {', '.join(CONTRACT_TYPES)}"))
        return value
    if kind == "contracts":
        return _check_object_list(value, path, CONTRACT, problems)
    if kind == "responsibilities":
        return _check_object_list(value, path, RESPONSIBILITY, problems)
    if kind == "visibility":
        if value is None:
            return {"audiences": [], "propertyWide": False}
        if not isinstance(value, dict):
            problems.append(_problem(path, "expected an object {audiences, propertyWide}"))
            return {"audiences": [], "propertyWide": False}
        for key in sorted(set(value) - {"audiences", "propertyWide"}):
            problems.append(_problem(f"{path}.{key}", "unknown field"))
        return {
            "audiences": _check_audiences(value.get("audiences"), f"{path}.audiences", problems),
            "propertyWide": _check_value(
                "bool", value.get("propertyWide"), f"{path}.propertyWide", problems
            ),
        }
    raise AssertionError(kind)


def _check_fields(
    body: dict[str, Any], spec: dict[str, str], prefix: str, problems: list[dict[str, str]]
) -> dict[str, Any]:
    return {
        name: _check_value(kind, body.get(name), f"{prefix}.{name}" if prefix else name, problems)
        for name, kind in spec.items()
    }


def validate(collection: Collection, body: dict[str, Any], resource_id: str) -> dict[str, Any]:
    """The writable fields of a PUT body, normalised (missing → null / [] / false).

    Read-only fields in the body are ignored (clients may send back what they read); `id`
    must equal the path's id; unknown fields are rejected.

    Raises:
        ApiError: 400 with `details` naming every bad field.
    """
    problems: list[dict[str, str]] = []
    if "id" in body and body["id"] != resource_id:
        problems.append(_problem("id", f"must equal the id in the path ({resource_id})"))
    allowed = set(collection.fields) | set(COMMON_READ_ONLY) | set(collection.read_only)
    for key in sorted(set(body) - allowed):
        problems.append(_problem(key, "unknown field"))
    fields = _check_fields(body, collection.fields, "", problems)
    if problems:
        names = ", ".join(problem["field"] for problem in problems)
        raise ApiError(400, f"invalid {collection.name} {resource_id}: {names}", problems)
    return fields


def validate_id(resource_id: str) -> None:
    """Reference ids: 1..100 printable characters without spaces."""
    if (
        not resource_id
        or len(resource_id) > 100
        or not resource_id.isprintable()
        or " " in resource_id
    ):
        raise ApiError(
            400, "invalid id", [_problem("id", "1..100 printable characters, no spaces")]
        )
