"""The DocuWare Platform REST API emulator (spec/docuware-api.md).

Answers JSON whatever the `Accept` header says (the real service would answer XML without
`Accept: application/json`; clients must send it anyway).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, Router
from starlette.types import Scope

from emulators.common import (
    ApiError,
    Clock,
    ControlMiddleware,
    Controls,
    TokenStore,
    control_routes,
    read_json_object,
    read_multipart,
    run_server,
)
from emulators.docuware import store
from emulators.docuware.pdf import to_pdf
from emulators.docuware.store import (
    ARCHIVE_ID,
    ARCHIVE_NAME,
    BASKET_ID,
    BASKET_NAME,
    COLUMNS,
    FIELD_TYPES,
    INDEX_FIELDS,
    SEARCH_DIALOG_ID,
    NewDocument,
)

PLATFORM = "/DocuWare/Platform"
IDENTITY = "/DocuWare/Identity"
TOKEN_LIFETIME = timedelta(hours=1)
CLIENT_ID = "docuware.platform.net.client"
MAX_COUNT = 10_000
SELECT_META = (
    f"SELECT {', '.join(COLUMNS)}, extra, file_name, content_type, file_size FROM documents"
)


def render_error(error: ApiError, scope: Scope) -> Response:
    """DocuWare's error body `{Message, Status, StatusCode, Uri, Method}`."""
    try:
        phrase = HTTPStatus(error.status).phrase
    except ValueError:
        phrase = "Error"
    host = dict(scope.get("headers") or []).get(b"host", b"localhost").decode("latin-1")
    query = scope.get("query_string", b"").decode("latin-1")
    uri = f"{scope.get('scheme', 'http')}://{host}{scope['path']}" + (f"?{query}" if query else "")
    body = {
        "Message": error.message,
        "Status": phrase,
        "StatusCode": error.status,
        "Uri": uri,
        "Method": scope["method"],
    }
    return JSONResponse(body, status_code=error.status, headers=error.headers)


def dw_date(ms: int) -> str:
    return f"/Date({ms})/"


def base_url(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


class DocuWareEmulator:
    """Handlers and state of one DocuWare emulator process."""

    def __init__(self, state: Path, user: str, password: str) -> None:
        self.conn: sqlite3.Connection = store.open_store(state)
        self.clock = Clock(self.conn)
        self.controls = Controls(self.clock)
        self.tokens = TokenStore(self.conn, self.clock)
        self.user = user
        self.password = password

    # --- helpers --------------------------------------------------------------------------

    def authorize(self, request: Request) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ApiError(401, "Authorization header with a Bearer token is required")
        if not self.tokens.valid(token.strip()):
            raise ApiError(401, "The token is invalid or expired")

    @staticmethod
    def cabinet(request: Request) -> str:
        fc = request.path_params["fc"]
        if fc not in (ARCHIVE_ID, BASKET_ID):
            raise ApiError(404, f"File cabinet '{fc}' not found")
        return str(fc)

    @staticmethod
    def document_json(row: tuple[Any, ...]) -> dict[str, Any]:
        values = row[: len(COLUMNS)]
        extra_json, file_name, content_type, file_size = row[len(COLUMNS) :]
        fields = []
        for (name, kind, system), value in zip(INDEX_FIELDS, values, strict=True):
            item = dw_date(value) if kind in ("Date", "DateTime") and value is not None else value
            fields.append(
                {
                    "FieldName": name,
                    "ItemElementName": kind,
                    "Item": item,
                    "IsNull": value is None,
                    "SystemField": system,
                }
            )
        for name, value in (json.loads(extra_json) if extra_json else {}).items():
            fields.append(
                {
                    "FieldName": name,
                    "ItemElementName": "String",
                    "Item": value,
                    "IsNull": value is None,
                    "SystemField": False,
                }
            )
        doc_id = values[0]
        return {
            "Id": doc_id,
            "Title": values[6],
            "ContentType": content_type,
            "FileSize": file_size,
            "FileCabinetId": ARCHIVE_ID,
            "CreatedAt": dw_date(values[1]),
            "LastModified": dw_date(values[2]),
            "Fields": fields,
            "Sections": [
                {
                    "Id": f"{doc_id}-1",
                    "OriginalFileName": file_name,
                    "ContentType": content_type,
                    "FileSize": file_size,
                }
            ],
        }

    def load_document(self, request: Request) -> tuple[Any, ...]:
        self.authorize(request)
        if self.cabinet(request) != ARCHIVE_ID:
            raise ApiError(404, "The basket holds no documents")
        try:
            doc_id = int(request.path_params["id"])
        except ValueError:
            raise ApiError(404, f"Document '{request.path_params['id']}' not found") from None
        row = self.conn.execute(f"{SELECT_META} WHERE dwdocid = ?", (doc_id,)).fetchone()
        if row is None:
            raise ApiError(404, f"Document {doc_id} not found")
        return tuple(row)

    # --- OAuth ----------------------------------------------------------------------------

    async def identity_info(self, request: Request) -> Response:
        return JSONResponse({"IdentityServiceUrl": f"{base_url(request)}{IDENTITY}"})

    async def openid_configuration(self, request: Request) -> Response:
        issuer = f"{base_url(request)}{IDENTITY}"
        return JSONResponse(
            {
                "issuer": issuer,
                "token_endpoint": f"{issuer}/connect/token",
                "grant_types_supported": ["password"],
                "scopes_supported": ["docuware.platform"],
            }
        )

    async def token(self, request: Request) -> Response:
        form = await request.form()
        grant = form.get("grant_type")
        if grant != "password":
            return JSONResponse(
                {
                    "error": "unsupported_grant_type",
                    "error_description": "only grant_type=password",
                },
                status_code=400,
            )
        if form.get("username") != self.user or form.get("password") != self.password:
            return JSONResponse(
                {"error": "invalid_grant", "error_description": "invalid user name or password"},
                status_code=401,
            )
        token, _ = self.tokens.issue(TOKEN_LIFETIME)
        return JSONResponse(
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": int(TOKEN_LIFETIME.total_seconds()),
                "scope": "docuware.platform",
            }
        )

    # --- Platform -------------------------------------------------------------------------

    async def file_cabinets(self, request: Request) -> Response:
        self.authorize(request)
        return JSONResponse(
            {
                "FileCabinet": [
                    {"Id": ARCHIVE_ID, "Name": ARCHIVE_NAME, "IsBasket": False},
                    {"Id": BASKET_ID, "Name": BASKET_NAME, "IsBasket": True},
                ]
            }
        )

    async def file_cabinet(self, request: Request) -> Response:
        self.authorize(request)
        fc = self.cabinet(request)
        name = ARCHIVE_NAME if fc == ARCHIVE_ID else BASKET_NAME
        fields = [
            {"DBFieldName": n, "DlgLabel": n, "DWFieldType": t, "SystemField": s}
            for n, t, s in INDEX_FIELDS
        ]
        return JSONResponse(
            {
                "Id": fc,
                "Name": name,
                "IsBasket": fc == BASKET_ID,
                "Fields": fields if fc == ARCHIVE_ID else [],
            }
        )

    async def dialogs(self, request: Request) -> Response:
        self.authorize(request)
        fc = self.cabinet(request)
        wanted = request.query_params.get("dialogType")
        dialogs = []
        if fc == ARCHIVE_ID and (wanted is None or wanted.lower() == "search"):
            dialogs.append(
                {
                    "Id": SEARCH_DIALOG_ID,
                    "DisplayName": "Suche",
                    "Type": "Search",
                    "IsDefault": True,
                    "FileCabinetId": ARCHIVE_ID,
                }
            )
        return JSONResponse({"Dialog": dialogs})

    def _int_param(self, request: Request, name: str, default: int) -> int:
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ApiError(400, f"Query parameter '{name}' must be an integer") from None
        if value < 0:
            raise ApiError(400, f"Query parameter '{name}' must not be negative")
        return value

    @staticmethod
    def _condition_sql(condition: Any) -> tuple[str, list[Any]]:
        if not isinstance(condition, dict) or "DBName" not in condition:
            raise ApiError(400, "Each Condition needs DBName and Value")
        name = str(condition["DBName"]).upper()
        if name not in FIELD_TYPES:
            raise ApiError(400, f"Unknown field '{condition['DBName']}' in the search condition")
        kind = FIELD_TYPES[name]
        column = name.lower()
        values = condition.get("Value")
        if not isinstance(values, list) or not values:
            raise ApiError(400, f"Condition on {name} needs a Value list")

        def convert(value: Any) -> Any:
            try:
                return store.field_to_db(name, value)
            except ValueError:
                raise ApiError(400, f"Value {value!r} does not fit field {name} ({kind})") from None

        if kind != "String" and len(values) == 2:
            low, high = (None if v in (None, "") else convert(v) for v in values)
            parts, params = [], []
            if low is not None:
                parts.append(f"{column} >= ?")
                params.append(low)
            if high is not None:
                parts.append(f"{column} <= ?")
                params.append(high)
            return ("(" + " AND ".join(parts) + ")" if parts else "1 = 1"), params
        parts, params = [], []
        for value in values:
            text = "" if value is None else str(value)
            if text.upper() == "EMPTY()" or value is None:
                parts.append(f"{column} IS NULL")
            elif text.upper() == "NOTEMPTY()":
                parts.append(f"{column} IS NOT NULL")
            elif kind == "String" and ("*" in text or "?" in text):
                pattern = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                parts.append(f"{column} LIKE ? ESCAPE '\\'")
                params.append(pattern.replace("*", "%").replace("?", "_"))
            elif kind == "String":
                parts.append(f"{column} = ? COLLATE NOCASE")
                params.append(text)
            else:
                parts.append(f"{column} = ?")
                params.append(convert(value))
        return "(" + " OR ".join(parts) + ")", params

    async def query(self, request: Request) -> Response:
        self.authorize(request)
        fc = self.cabinet(request)
        dialog_id = request.query_params.get("dialogId")
        if fc != ARCHIVE_ID or (dialog_id not in (None, "", SEARCH_DIALOG_ID)):
            raise ApiError(404, f"Dialog '{dialog_id}' not found in file cabinet '{fc}'")
        start = self._int_param(request, "start", 0)
        count = min(self._int_param(request, "count", 50), MAX_COUNT)
        body = await read_json_object(request)
        conditions = body.get("Condition") or []
        if not isinstance(conditions, list):
            raise ApiError(400, "Condition must be a list")
        operation = str(body.get("Operation") or "And").upper()
        if operation not in ("AND", "OR"):
            raise ApiError(400, "Operation must be And or Or")
        clauses, params = [], []
        for condition in conditions:
            clause, clause_params = self._condition_sql(condition)
            clauses.append(clause)
            params.extend(clause_params)
        where = f" WHERE {f' {operation} '.join(clauses)}" if clauses else ""
        order = []
        for sort in body.get("SortOrder") or []:
            field = str((sort or {}).get("Field", "")).upper()
            if field not in FIELD_TYPES:
                raise ApiError(400, f"Unknown sort field '{(sort or {}).get('Field')}'")
            direction = (
                "DESC" if str(sort.get("Direction", "Asc")).lower().startswith("desc") else "ASC"
            )
            order.append(f"{field.lower()} {direction}")
        order.append("dwdocid ASC")
        total = self.conn.execute(f"SELECT count(*) FROM documents{where}", params).fetchone()[0]
        rows = self.conn.execute(
            f"{SELECT_META}{where} ORDER BY {', '.join(order)} LIMIT ? OFFSET ?",
            [*params, count, start],
        ).fetchall()
        has_more = start + len(rows) < total
        links = []
        if has_more:
            query = urlencode(
                {"dialogId": dialog_id or SEARCH_DIALOG_ID, "start": start + count, "count": count}
            )
            links.append({"rel": "next", "href": f"{base_url(request)}{request.url.path}?{query}"})
        items = [self.document_json(tuple(row)) for row in rows]
        return JSONResponse(
            {"Items": items, "Count": {"Value": total, "HasMore": has_more}, "Links": links}
        )

    async def document(self, request: Request) -> Response:
        return JSONResponse(self.document_json(self.load_document(request)))

    async def download(self, request: Request) -> Response:
        row = self.load_document(request)
        doc_id, file_name, content_type = row[0], row[-3], row[-2]
        content = self.conn.execute(
            "SELECT content FROM documents WHERE dwdocid = ?", (doc_id,)
        ).fetchone()[0]
        target = (request.query_params.get("targetFileType") or "Auto").lower()
        if target == "pdf":
            stem = file_name.rsplit(".", 1)[0] if "." in file_name else file_name
            headers = {"Content-Disposition": f'attachment; filename="{stem}.pdf"'}
            return Response(
                to_pdf(bytes(content), content_type, file_name),
                media_type="application/pdf",
                headers=headers,
            )
        headers = {"Content-Disposition": f'attachment; filename="{file_name}"'}
        return Response(bytes(content), media_type=content_type, headers=headers)

    # --- emulator controls ----------------------------------------------------------------

    async def reset(self) -> None:
        self.conn.execute("DELETE FROM documents")
        self.tokens.clear()

    async def add_document(self, request: Request) -> Response:
        texts, upload = await read_multipart(request)
        if upload is None:
            raise ApiError(400, "multipart part 'file' (a file) is required")
        try:
            fields = json.loads(texts.get("fields") or "{}")
        except ValueError:
            raise ApiError(400, "multipart part 'fields' must be JSON") from None
        if not isinstance(fields, dict):
            raise ApiError(400, "multipart part 'fields' must be a JSON object")
        now = self.clock.tick_ms()
        fields = {key.upper(): value for key, value in fields.items()}
        if "DWSTOREDATETIME" not in fields and fields.get("DWDOCID") is not None:
            existing = self.conn.execute(
                "SELECT dwstoredatetime FROM documents WHERE dwdocid = ?", (str(fields["DWDOCID"]),)
            ).fetchone()
            if existing is not None:
                fields["DWSTOREDATETIME"] = f"/Date({existing[0]})/"
        fields.setdefault("DWSTOREDATETIME", f"/Date({now})/")
        fields["DWMODDATETIME"] = fields.get("DWMODDATETIME") or f"/Date({now})/"
        doc = NewDocument(
            fields=fields,
            file_name=upload.file_name,
            content_type=upload.content_type,
            content=upload.content,
        )
        try:
            doc_id = store.insert_document(self.conn, doc)
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
        row = self.conn.execute(f"{SELECT_META} WHERE dwdocid = ?", (doc_id,)).fetchone()
        return JSONResponse(self.document_json(tuple(row)), status_code=201)

    async def delete_document(self, request: Request) -> Response:
        cursor = self.conn.execute(
            "DELETE FROM documents WHERE dwdocid = ?", (request.path_params["id"],)
        )
        if cursor.rowcount == 0:
            raise ApiError(404, f"Document {request.path_params['id']} not found")
        return Response(status_code=204)

    def routes(self) -> list[Route]:
        p = PLATFORM
        return [
            Route(f"{p}/Home/IdentityServiceInfo", self.identity_info, methods=["GET"]),
            Route(
                f"{IDENTITY}/.well-known/openid-configuration",
                self.openid_configuration,
                methods=["GET"],
            ),
            Route(f"{IDENTITY}/connect/token", self.token, methods=["POST"]),
            Route(f"{p}/FileCabinets", self.file_cabinets, methods=["GET"]),
            Route(f"{p}/FileCabinets/{{fc}}", self.file_cabinet, methods=["GET"]),
            Route(f"{p}/FileCabinets/{{fc}}/Dialogs", self.dialogs, methods=["GET"]),
            Route(f"{p}/FileCabinets/{{fc}}/Query/DialogExpression", self.query, methods=["POST"]),
            Route(f"{p}/FileCabinets/{{fc}}/Documents/{{id}}", self.document, methods=["GET"]),
            Route(
                f"{p}/FileCabinets/{{fc}}/Documents/{{id}}/FileDownload",
                self.download,
                methods=["GET"],
            ),
            Route("/emulator/documents", self.add_document, methods=["POST"]),
            Route("/emulator/documents/{id:int}", self.delete_document, methods=["DELETE"]),
            *control_routes(self.controls, self.reset),
        ]


def create_app(state: Path, user: str = "demo", password: str = "demo") -> ControlMiddleware:
    """The ASGI app of a DocuWare emulator on `state`."""
    emulator = DocuWareEmulator(state, user, password)
    router = Router(routes=emulator.routes())
    return ControlMiddleware(router, emulator.controls, render_error)


def serve(host: str, port: int, state: Path, user: str, password: str) -> None:
    """Serve the DocuWare emulator until interrupted (blocking)."""
    run_server(create_app(state, user, password), host, port)
