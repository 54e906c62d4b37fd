"""The hold fast path: POST /api/v1/shows/{id}/holds served as raw ASGI, answering exactly as
the FastAPI route in api.py (tests/integration/inventory/test_fast_path_parity.py compares
the two)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from boxoffice.inventory.api import PLACE_HOLD_PATH, HoldCreated, HoldIn, hold_location
from boxoffice.inventory.domain import make_hold_request
from boxoffice.inventory.service import InventoryService
from boxoffice.kernel.auth import Principal
from boxoffice.kernel.edge import replay_body
from boxoffice.kernel.errors import DomainError
from boxoffice.kernel.problems import PROBLEM, problem_of, report
from boxoffice.kernel.telemetry import user_id_var

_PLACE_HOLD = re.compile(
    r"^/api/v1/shows/([0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
    r"[0-9a-fA-F]{12})/holds$"
)


class FastHolds:
    """ASGI middleware serving POST /api/v1/shows/{id}/holds — the on-sale's hottest request —
    without FastAPI's per-request machinery (routing through every route, dependency solving,
    response-model validation): about two thirds of the CPU of a hold (docs/benchmarks.md).

    It only takes requests it can answer exactly as place_hold() above would: a bearer token
    that verifies, a JSON body that HoldIn accepts, a well-formed Idempotency-Key. Anything
    else goes on to the FastAPI route (with its body replayed), which stays the one definition
    of the endpoint's errors and of its OpenAPI document."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._route: Any = None

    def _route_of(self, scope: Scope) -> Any:
        # the declared route, so telemetry labels this request by its template
        if self._route is None:
            for route in scope["app"].router.routes:
                if getattr(route, "path", None) == PLACE_HOLD_PATH:
                    self._route = route
        return self._route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        match = _PLACE_HOLD.match(scope["path"])
        if match is None:
            await self.app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        parsed = self._parse(scope, match.group(1), body)
        if parsed is None:
            await self.app(scope, replay_body(body, receive), send)
            return
        show_id, user, hold_in, key, admission_pass = parsed
        scope["route"] = self._route_of(scope)
        user_id_var.set(str(user.user_id))
        svc = scope["app"].state.services.get(InventoryService)
        try:
            hold = make_hold_request(
                hold_in.seat_ids, [(g.area_id, g.quantity) for g in hold_in.ga]
            )
            created = HoldCreated.model_validate(
                await svc.place_hold(user, show_id, hold, key, admission_pass)
            )
        except Exception as exc:  # the same answer as kernel.problems gives every route
            found = problem_of(exc)
            report(exc, found, "POST", scope["path"])
            headers = [
                (k.lower().encode(), v.encode()) for k, v in found.response_headers().items()
            ]
            body = orjson.dumps(found.document(scope["path"]))
            await _respond(send, found.status, body, PROBLEM_JSON, headers)
            return
        location = [(b"location", hold_location(created.hold_id).encode())]
        await _respond(send, 201, created.model_dump_json().encode(), b"application/json", location)

    @staticmethod
    def _parse(
        scope: Scope, show: str, body: bytes
    ) -> tuple[uuid.UUID, Principal, HoldIn, str | None, str | None] | None:
        authorization = content_type = key = admission = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value
            elif name == b"content-type":
                content_type = value
            elif name == b"idempotency-key":
                key = value
            elif name == b"x-admission-pass":
                admission = value
        if authorization is None or content_type is None:
            return None
        if content_type.split(b";")[0].strip().lower() != b"application/json":
            return None
        scheme, _, token = authorization.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        idempotency_key = key.decode("latin-1") if key is not None else None
        if idempotency_key is not None and not 1 <= len(idempotency_key) <= 200:
            return None
        admission_pass = admission.decode("latin-1") if admission is not None else None
        if admission_pass is not None and len(admission_pass) > 1024:
            return None
        try:
            show_id = uuid.UUID(show)
            user = scope["app"].state.verifier.verify(token)
            hold_in = HoldIn.model_validate_json(body)
        except (ValueError, DomainError):  # ValidationError is a ValueError
            return None
        return show_id, user, hold_in, idempotency_key, admission_pass


PROBLEM_JSON = PROBLEM.encode()


async def _respond(
    send: Send,
    status: int,
    body: bytes,
    content_type: bytes,
    headers: list[tuple[bytes, bytes]] = [],  # noqa: B006 (never mutated)
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-length", str(len(body)).encode()),
                (b"content-type", content_type),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
