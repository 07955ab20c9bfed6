"""The casavi API emulator (spec/casavi-api.md): `/v2`, `/community/v1` and `/emulator`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, Router
from starlette.types import Scope

from emulators.casavi.schema import COLLECTIONS, WAYS_OF_CONTACT, Collection, validate, validate_id
from emulators.casavi.store import Store, dumps
from emulators.casavi.visibility import Viewer
from emulators.common import (
    ApiError,
    ControlMiddleware,
    Controls,
    TokenStore,
    Upload,
    control_routes,
    iso_ms,
    json_text_response,
    parse_iso,
    read_json_object,
    read_multipart,
    run_server,
)

TOKEN_LIFETIME = timedelta(days=30)
MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 100


def render_error(error: ApiError, scope: Scope) -> Response:
    """casavi's error body `{status, message, details}`."""
    body = {"status": error.status, "message": error.message, "details": error.details}
    return JSONResponse(body, status_code=error.status, headers=error.headers)


def bad_request(field: str, message: str) -> ApiError:
    return ApiError(400, f"{field}: {message}", [{"field": field, "message": message}])


def display_name(contact: dict[str, Any]) -> str:
    name = " ".join(part for part in (contact.get("firstName"), contact.get("lastName")) if part)
    return name or contact.get("companyName") or contact["id"]


class CasaviEmulator:
    """Handlers and state of one casavi emulator process."""

    def __init__(self, state: Path, key: str, secret: str) -> None:
        self.store = Store(state)
        self.clock = self.store.clock
        self.controls = Controls(self.clock)
        self.tokens = TokenStore(self.store.conn, self.clock)
        self.key = key
        self.secret = secret

    # --- helpers --------------------------------------------------------------------------

    def require_token(self, request: Request) -> None:
        token = request.headers.get("token")
        if not token:
            raise ApiError(401, "missing token header")
        if not self.tokens.valid(token):
            raise ApiError(401, "invalid or expired token")

    def today(self) -> Any:
        return self.clock.today()

    def viewer(
        self, contact: dict[str, Any], properties: list[dict[str, Any]] | None = None
    ) -> Viewer:
        if properties is None:
            properties = list(self.store.live("properties", contains=contact["id"]))
        return Viewer.of(contact, properties, self.today())

    def contact_or_404(self, contact_id: Any) -> dict[str, Any]:
        if not isinstance(contact_id, str):
            raise bad_request("contactId", "required")
        contact = self.store.get("contacts", contact_id)
        if contact is None:
            raise ApiError(404, f"contact {contact_id} not found")
        return contact

    def resource_or_404(self, collection: str, resource_id: str) -> dict[str, Any]:
        resource = self.store.get(collection, resource_id)
        if resource is None:
            raise ApiError(404, f"{collection} {resource_id} not found")
        return resource

    def missing_references(
        self, collection: Collection, fields: dict[str, Any]
    ) -> list[dict[str, str]]:
        problems = []
        for name, target in collection.references.items():
            value = fields.get(name)
            if value is not None and not self.store.exists(target, value):
                problems.append({"field": name, "message": f"{target} {value} does not exist"})
        if collection.name == "contacts":
            for index, contract in enumerate(fields.get("contracts") or []):
                if contract.get("propertyId") and not self.store.exists(
                    "properties", contract["propertyId"]
                ):
                    message = f"properties {contract['propertyId']} does not exist"
                    problems.append({"field": f"contracts[{index}].propertyId", "message": message})
                if contract.get("unitId") and not self.store.exists("units", contract["unitId"]):
                    message = f"units {contract['unitId']} does not exist"
                    problems.append({"field": f"contracts[{index}].unitId", "message": message})
        if collection.name == "documents":
            for index, contact_id in enumerate(fields.get("contactIds") or []):
                if not self.store.exists("contacts", contact_id):
                    message = f"contacts {contact_id} does not exist"
                    problems.append({"field": f"contactIds[{index}]", "message": message})
        return problems

    def check_references(
        self, collection: Collection, resource_id: str, fields: dict[str, Any]
    ) -> None:
        problems = self.missing_references(collection, fields)
        if problems:
            names = ", ".join(f"{p['field']} ({p['message']})" for p in problems)
            raise ApiError(
                409,
                f"{collection.name} {resource_id} refers to unknown resources: {names}",
                problems,
            )

    def update(self, collection: str, resource: dict[str, Any], **changes: Any) -> str:
        """Apply `changes`, stamp modifiedAt and save; returns the JSON text."""
        now = self.clock.tick_ms()
        resource.update(changes)
        resource["modifiedAt"] = iso_ms(now)
        return self.store.save(collection, resource, now)

    def new_portal_resource(self, fields: dict[str, Any]) -> tuple[dict[str, Any], int]:
        now = self.clock.tick_ms()
        internal = self.store.next_internal_id()
        stamp = iso_ms(now)
        resource = {
            "id": f"C-{internal}",
            "internalId": internal,
            **fields,
            "createdAt": stamp,
            "modifiedAt": stamp,
            "managedExternally": False,
            "source": "PORTAL",
        }
        return resource, now

    def notify_unregistered(
        self,
        subject: str,
        resource_path: str,
        property_id: str | None,
        sees: Callable[[Viewer], bool],
    ) -> None:
        """E-mail every unregistered contact with an address who sees the resource."""
        candidates = (
            self.store.live("contacts", contains=property_id)
            if property_id
            else self.store.live("contacts")
        )
        prop = self.store.get("properties", property_id) if property_id else None
        for contact in candidates:
            if contact.get("isRegistered") or not contact.get("email"):
                continue
            if sees(Viewer.of(contact, [prop] if prop else [], self.today())):
                self.store.send_mail("notification", contact, subject, resource_path)

    # --- /v2 ------------------------------------------------------------------------------

    async def authenticate(self, request: Request) -> Response:
        body = await read_json_object(request)
        if body.get("key") != self.key or body.get("secret") != self.secret:
            raise ApiError(401, "invalid key or secret")
        token, expires = self.tokens.issue(TOKEN_LIFETIME)
        return JSONResponse({"token": token, "expiresAt": iso_ms(expires)})

    async def list_resources(self, collection: Collection, request: Request) -> Response:
        self.require_token(request)
        params = request.query_params
        try:
            page = int(params.get("page") or 1)
        except ValueError:
            raise bad_request("page", "expected an integer >= 1") from None
        try:
            size = int(params.get("pageSize") or DEFAULT_PAGE_SIZE)
        except ValueError:
            raise bad_request("pageSize", f"expected an integer 1..{MAX_PAGE_SIZE}") from None
        if page < 1:
            raise bad_request("page", "expected an integer >= 1")
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise bad_request("pageSize", f"expected an integer 1..{MAX_PAGE_SIZE}")
        after = params.get("modifiedAfter")
        try:
            after_ms = parse_iso(after) if after else None
        except ValueError:
            raise bad_request("modifiedAfter", "expected an ISO 8601 timestamp") from None
        flag = (params.get("includeDeleted") or "false").lower()
        if flag not in ("true", "false"):
            raise bad_request("includeDeleted", "expected true or false")
        rows = self.store.page(
            collection.name, after_ms, flag == "true", (page - 1) * size, size + 1
        )
        links = "{}"
        if len(rows) > size:
            rows = rows[:size]
            query = {key: value for key, value in params.items()}
            query["page"] = str(page + 1)
            query["pageSize"] = str(size)
            href = (
                f"{request.url.scheme}://{request.url.netloc}{request.url.path}?{urlencode(query)}"
            )
            links = dumps({"next": {"href": href}})
        return json_text_response('{"list":[' + ",".join(rows) + '],"_links":' + links + "}")

    async def one_resource(self, collection: Collection, request: Request) -> Response:
        self.require_token(request)
        resource_id = request.path_params["id"]
        if request.method == "GET":
            text = self.store.get_text(collection.name, resource_id)
            if text is None:
                raise ApiError(404, f"{collection.name} {resource_id} not found")
            return json_text_response(text)
        if request.method == "DELETE":
            if not self.store.delete(collection.name, resource_id):
                raise ApiError(404, f"{collection.name} {resource_id} not found")
            return Response(status_code=204)
        return await self.put_resource(collection, resource_id, request)

    async def put_resource(
        self, collection: Collection, resource_id: str, request: Request
    ) -> Response:
        validate_id(resource_id)
        upload: Upload | None = None
        if collection.multipart:
            texts, upload = await read_multipart(request)
            if "meta" not in texts:
                raise bad_request("meta", "multipart part 'meta' (JSON) is required")
            try:
                body = json.loads(texts["meta"])
            except ValueError:
                raise bad_request("meta", "invalid JSON") from None
            if not isinstance(body, dict):
                raise bad_request("meta", "expected a JSON object")
            if upload is None:
                raise bad_request("file", "multipart part 'file' is required")
        else:
            body = await read_json_object(request)
        fields = validate(collection, body, resource_id)
        self.check_references(collection, resource_id, fields)
        existing = self.store.get(collection.name, resource_id)
        now = self.clock.tick_ms()
        stamp = iso_ms(now)
        if existing is not None:
            internal, created, source = (
                existing["internalId"],
                existing["createdAt"],
                existing["source"],
            )
            extras = {
                name: existing.get(name, default) for name, default in collection.read_only.items()
            }
        else:
            internal, created, source = self.store.next_internal_id(), stamp, "ERP"
            extras = {
                name: (list(default) if isinstance(default, list) else default)
                for name, default in collection.read_only.items()
            }
        if collection.name == "ticket-types":
            extras["modifiedInPortal"] = False
        if upload is not None:
            extras["size"] = len(upload.content)
            extras["sha256"] = hashlib.sha256(upload.content).hexdigest()
            if collection.name == "ticket-attachments":
                fields["contentType"] = fields.get("contentType") or upload.content_type
            else:
                extras["contentType"] = upload.content_type
        resource = {
            "id": resource_id,
            "internalId": internal,
            **fields,
            **extras,
            "createdAt": created,
            "modifiedAt": stamp,
            "managedExternally": True,
            "source": source,
        }
        self.store.conn.execute("BEGIN")
        try:
            text = self.store.save(collection.name, resource, now)
            if upload is not None:
                file_name = fields.get("fileName") or upload.file_name
                self.store.save_file(
                    collection.name, resource_id, file_name, upload.content_type, upload.content
                )
            self.after_put(collection.name, resource, created=existing is None)
            text = self.store.get_text(collection.name, resource_id) or text
            self.store.conn.execute("COMMIT")
        except BaseException:
            self.store.conn.execute("ROLLBACK")
            raise
        return json_text_response(text, 201 if existing is None else 200)

    def after_put(self, collection: str, resource: dict[str, Any], created: bool) -> None:
        """Invitations and notification e-mails caused by an ERP write."""
        if collection == "contacts":
            today = self.today()
            has_open_contract = any(
                c.get("endDate") is None or c["endDate"] >= today.isoformat()
                for c in resource.get("contracts") or []
            )
            if (
                resource.get("email")
                and has_open_contract
                and not resource["isInvited"]
                and not resource["isRegistered"]
            ):
                self.store.send_mail(
                    "invitation",
                    resource,
                    "Einladung zum Serviceportal",
                    f"contacts/{resource['id']}",
                )
                self.update("contacts", resource, isInvited=True)
        elif collection == "tickets" and created and resource.get("notifyUnregisteredContacts"):
            self.notify_unregistered(
                f"Neue Meldung: {resource['title']}",
                f"tickets/{resource['id']}",
                resource["propertyId"],
                lambda viewer: viewer.sees_ticket(resource),
            )
        elif collection == "posts" and created and resource.get("notifyUnregisteredContacts"):
            self.notify_unregistered(
                f"Neue Mitteilung: {resource['title']}",
                f"posts/{resource['id']}",
                resource["propertyId"],
                lambda viewer: viewer.sees_post(resource),
            )
        elif collection == "ticket-messages" and created:
            ticket = self.store.get("tickets", resource["ticketId"])
            if ticket is not None and ticket.get("notifyUnregisteredContacts"):
                self.notify_unregistered(
                    f"Neue Nachricht zu: {ticket['title']}",
                    f"ticket-messages/{resource['id']}",
                    ticket["propertyId"],
                    lambda viewer: viewer.sees_ticket(ticket),
                )

    async def content(self, collection: Collection, request: Request) -> Response:
        self.require_token(request)
        return self.file_response(collection.name, request.path_params["id"])

    def file_response(self, collection: str, resource_id: str) -> Response:
        stored = (
            self.store.file(collection, resource_id)
            if self.store.exists(collection, resource_id)
            else None
        )
        if stored is None:
            raise ApiError(404, f"{collection} {resource_id} not found")
        file_name, content_type, content = stored
        safe = file_name.replace('"', "'").encode("latin-1", errors="replace").decode("latin-1")
        return Response(
            content,
            media_type=content_type,
            headers={"Content-Disposition": f'attachment; filename="{safe}"'},
        )

    # --- /community/v1 --------------------------------------------------------------------

    async def register(self, request: Request) -> Response:
        contact = self.contact_or_404(request.path_params["id"])
        return json_text_response(self.update("contacts", contact, isRegistered=True))

    async def preference(self, request: Request) -> Response:
        contact = self.contact_or_404(request.path_params["id"])
        body = await read_json_object(request)
        way = body.get("preferredWayOfContact")
        if way not in WAYS_OF_CONTACT:
            raise bad_request(
                "preferredWayOfContact", f"expected one of {', '.join(WAYS_OF_CONTACT)}"
            )
        return json_text_response(self.update("contacts", contact, preferredWayOfContact=way))

    def visible(self, contact: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        viewer = self.viewer(contact)
        tickets = [t for t in self.store.live("tickets") if viewer.sees_ticket(t)]
        ticket_ids = {t["id"] for t in tickets}
        messages: dict[str, list[dict[str, Any]]] = {}
        attachments: dict[str, list[dict[str, Any]]] = {}
        for message in self.store.live("ticket-messages"):
            if message["ticketId"] in ticket_ids:
                messages.setdefault(message["ticketId"], []).append(message)
        for attachment in self.store.live("ticket-attachments"):
            if attachment["ticketId"] in ticket_ids:
                attachments.setdefault(attachment["ticketId"], []).append(attachment)
        for ticket in tickets:
            ticket["messages"] = messages.get(ticket["id"], [])
            ticket["attachments"] = attachments.get(ticket["id"], [])
        return {
            "tickets": tickets,
            "posts": [p for p in self.store.live("posts") if viewer.sees_post(p)],
            "documents": [d for d in self.store.live("documents") if viewer.sees_document(d)],
        }

    async def feed(self, request: Request) -> Response:
        return JSONResponse(self.visible(self.contact_or_404(request.path_params["id"])))

    async def download_document(self, request: Request) -> Response:
        contact = self.contact_or_404(request.path_params["id"])
        document = self.resource_or_404("documents", request.path_params["document_id"])
        if not self.viewer(contact).sees_document(document):
            raise ApiError(
                403, f"document {document['id']} is not visible to contact {contact['id']}"
            )
        response = self.file_response("documents", document["id"])
        downloads = [
            *document.get("downloads", []),
            {"contactId": contact["id"], "at": iso_ms(self.clock.now_ms())},
        ]
        self.update("documents", document, downloads=downloads)
        return response

    def check_released(
        self, viewer: Viewer, property_id: str, kind: str, item: dict[str, Any]
    ) -> None:
        if not viewer.has_role(property_id, item.get("audiences") or []):
            roles = sorted(viewer.roles.get(property_id, set())) or ["none"]
            raise ApiError(
                403,
                f"{kind} {item['id']} is not released for contact {viewer.contact_id} "
                f"(role in {property_id}: {', '.join(roles)})",
            )

    async def create_ticket(self, request: Request) -> Response:
        body = await read_json_object(request)
        contact = self.contact_or_404(body.get("contactId"))
        problems = []
        for name in ("ticketTypeId", "propertyId", "title"):
            if not isinstance(body.get(name), str) or not body[name].strip():
                problems.append({"field": name, "message": "required"})
        for name in ("unitId", "description", "tradeId"):
            if body.get(name) is not None and not isinstance(body[name], str):
                problems.append({"field": name, "message": "expected a string"})
        unknown = sorted(
            set(body)
            - {
                "contactId",
                "ticketTypeId",
                "propertyId",
                "unitId",
                "title",
                "description",
                "tradeId",
            }
        )
        problems += [{"field": name, "message": "unknown field"} for name in unknown]
        if problems:
            raise ApiError(
                400, "invalid ticket: " + ", ".join(p["field"] for p in problems), problems
            )
        fields = {
            "ticketTypeId": body["ticketTypeId"],
            "propertyId": body["propertyId"],
            "unitId": body.get("unitId"),
            "reporterContactId": contact["id"],
            "title": body["title"],
            "description": body.get("description"),
            "status": None,
            "priority": None,
            "tradeId": body.get("tradeId"),
            "visibility": {"audiences": [], "propertyWide": False},
            "notifyUnregisteredContacts": False,
            "lastPortalActivity": None,
        }
        self.check_references(COLLECTIONS["tickets"], "(new)", fields)
        viewer = self.viewer(contact)
        ticket_type = self.resource_or_404("ticket-types", fields["ticketTypeId"])
        self.check_released(viewer, fields["propertyId"], "ticket type", ticket_type)
        if fields["tradeId"] is not None:
            self.check_released(
                viewer,
                fields["propertyId"],
                "trade",
                self.resource_or_404("trades", fields["tradeId"]),
            )
        resource, now = self.new_portal_resource(fields)
        resource["lastPortalActivity"] = {"at": resource["createdAt"], "kind": "CREATED"}
        return json_text_response(self.store.save("tickets", resource, now), 201)

    def ticket_for_contact(
        self, ticket_id: str, contact_id: Any
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        ticket = self.resource_or_404("tickets", ticket_id)
        contact = self.contact_or_404(contact_id)
        if not self.viewer(contact).sees_ticket(ticket):
            raise ApiError(403, f"ticket {ticket_id} is not visible to contact {contact['id']}")
        return ticket, contact

    def portal_activity(self, ticket: dict[str, Any], kind: str) -> None:
        self.update(
            "tickets", ticket, lastPortalActivity={"at": iso_ms(self.clock.now_ms()), "kind": kind}
        )

    async def add_message(self, request: Request) -> Response:
        body = await read_json_object(request)
        ticket, contact = self.ticket_for_contact(request.path_params["id"], body.get("contactId"))
        if not isinstance(body.get("text"), str) or not body["text"].strip():
            raise bad_request("text", "required")
        fields = {
            "ticketId": ticket["id"],
            "text": body["text"],
            "authorName": display_name(contact),
            "authorType": "CONTACT",
            "authorContactId": contact["id"],
        }
        resource, now = self.new_portal_resource(fields)
        text = self.store.save("ticket-messages", resource, now)
        self.portal_activity(ticket, "MESSAGE")
        return json_text_response(text, 201)

    async def add_attachment(self, request: Request) -> Response:
        texts, upload = await read_multipart(request)
        ticket, contact = self.ticket_for_contact(request.path_params["id"], texts.get("contactId"))
        if upload is None:
            raise bad_request("file", "multipart part 'file' is required")
        fields = {
            "ticketId": ticket["id"],
            "fileName": upload.file_name,
            "contentType": upload.content_type,
            "size": len(upload.content),
            "sha256": hashlib.sha256(upload.content).hexdigest(),
            "authorType": "CONTACT",
            "authorContactId": contact["id"],
        }
        resource, now = self.new_portal_resource(fields)
        text = self.store.save("ticket-attachments", resource, now)
        self.store.save_file(
            "ticket-attachments",
            resource["id"],
            upload.file_name,
            upload.content_type,
            upload.content,
        )
        self.portal_activity(ticket, "ATTACHMENT")
        return json_text_response(text, 201)

    async def set_status(self, request: Request) -> Response:
        body = await read_json_object(request)
        ticket, _ = self.ticket_for_contact(request.path_params["id"], body.get("contactId"))
        if not isinstance(body.get("status"), str) or not body["status"].strip():
            raise bad_request("status", "required")
        ticket["status"] = body["status"]
        now = iso_ms(self.clock.now_ms())
        return json_text_response(
            self.update("tickets", ticket, lastPortalActivity={"at": now, "kind": "STATUS"})
        )

    async def relink_ticket(self, request: Request) -> Response:
        ticket = self.resource_or_404("tickets", request.path_params["id"])
        body = await read_json_object(request)
        type_id = body.get("ticketTypeId")
        if not isinstance(type_id, str) or not type_id:
            raise bad_request("ticketTypeId", "required")
        if not self.store.exists("ticket-types", type_id):
            raise ApiError(
                409,
                f"ticket-types {type_id} does not exist",
                [{"field": "ticketTypeId", "message": "unknown"}],
            )
        return json_text_response(self.update("tickets", ticket, ticketTypeId=type_id))

    async def portal_ticket_type(self, request: Request) -> Response:
        type_id = request.path_params["id"]
        validate_id(type_id)
        body = await read_json_object(request)
        collection = COLLECTIONS["ticket-types"]
        existing = self.store.get("ticket-types", type_id)
        if existing is None:
            fields = validate(collection, body, type_id)
            resource, now = self.new_portal_resource(fields)
            resource["id"] = type_id
            resource["modifiedInPortal"] = False
            return json_text_response(self.store.save("ticket-types", resource, now), 201)
        merged = {name: existing.get(name) for name in collection.fields} | {
            name: value for name, value in body.items() if name in collection.fields
        }
        fields = validate(collection, {**body, **merged}, type_id)
        changes: dict[str, Any] = dict(fields)
        if existing.get("managedExternally"):
            changes["modifiedInPortal"] = True
        return json_text_response(self.update("ticket-types", existing, **changes))

    # --- /emulator ------------------------------------------------------------------------

    async def reset(self) -> None:
        self.store.reset()
        self.tokens.clear()

    async def outbox(self, request: Request) -> Response:
        return JSONResponse({"messages": self.store.outbox()})

    def routes(self) -> list[Route]:
        routes = [Route("/v2/authenticate", self.authenticate, methods=["POST"])]
        for name, collection in COLLECTIONS.items():
            routes.append(
                Route(f"/v2/{name}", partial(self.list_resources, collection), methods=["GET"])
            )
            routes.append(
                Route(
                    f"/v2/{name}/{{id}}",
                    partial(self.one_resource, collection),
                    methods=["GET", "PUT", "DELETE"],
                )
            )
            if collection.multipart:
                routes.append(
                    Route(
                        f"/v2/{name}/{{id}}/content",
                        partial(self.content, collection),
                        methods=["GET"],
                    )
                )
        c = "/community/v1"
        routes += [
            Route(f"{c}/contacts/{{id}}/register", self.register, methods=["POST"]),
            Route(f"{c}/contacts/{{id}}/preference", self.preference, methods=["PUT"]),
            Route(f"{c}/contacts/{{id}}/feed", self.feed, methods=["GET"]),
            Route(
                f"{c}/contacts/{{id}}/documents/{{document_id}}/content",
                self.download_document,
                methods=["GET"],
            ),
            Route(f"{c}/tickets", self.create_ticket, methods=["POST"]),
            Route(f"{c}/tickets/{{id}}/messages", self.add_message, methods=["POST"]),
            Route(f"{c}/tickets/{{id}}/attachments", self.add_attachment, methods=["POST"]),
            Route(f"{c}/tickets/{{id}}/status", self.set_status, methods=["PUT"]),
            Route(f"{c}/tickets/{{id}}/ticket-type", self.relink_ticket, methods=["PUT"]),
            Route(f"{c}/ticket-types/{{id}}", self.portal_ticket_type, methods=["PUT"]),
            Route("/emulator/outbox", self.outbox, methods=["GET"]),
            *control_routes(self.controls, self.reset),
        ]
        return routes


def create_app(state: Path, key: str = "demo", secret: str = "demo") -> ControlMiddleware:
    """The ASGI app of a casavi emulator on `state`."""
    emulator = CasaviEmulator(state, key, secret)
    return ControlMiddleware(Router(routes=emulator.routes()), emulator.controls, render_error)


def serve(host: str, port: int, state: Path, key: str, secret: str) -> None:
    """Serve the casavi emulator until interrupted (blocking)."""
    run_server(create_app(state, key, secret), host, port)
