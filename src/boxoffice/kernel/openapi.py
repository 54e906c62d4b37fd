"""The OpenAPI document as the API answers: stable operation ids, every error status an
operation can answer (as problem+json), who may call it, and the headers that really come."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from boxoffice.kernel.problems import PROBLEM, STATUS_TITLES
from boxoffice.kernel.web import current_user, optional_user

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem document. `type` names the kind of problem (the list "
    "is in docs/api.md); extension members such as `seat_ids` or `retry_after` may follow.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "Each invalid field of an invalid request.",
            "items": {"$ref": "#/components/schemas/ProblemField"},
        },
    },
    "additionalProperties": True,
}

PROBLEM_FIELD_SCHEMA: dict[str, Any] = {
    "title": "ProblemField",
    "type": "object",
    "required": ["field", "message", "type"],
    "properties": {
        "field": {"type": "string", "description": "Where: `body.prices`, `query.offset`…"},
        "message": {"type": "string"},
        "type": {"type": "string", "description": "What: `less_than_equal`, `missing`…"},
    },
}

RETRY_AFTER = {
    "description": "Seconds to wait before trying again.",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
}

DESCRIPTIONS = {
    401: "No valid access token.",
    403: "The caller's roles or ownership do not allow this.",
    404: "Nothing of that id (or not the caller's).",
    409: "The request conflicts with the current state.",
    413: "The request body is larger than the server accepts.",
    422: "The request is invalid; `errors` names each field.",
    429: "Too many requests; retry after `Retry-After` seconds.",
    503: "A store or service is briefly unavailable; nothing was done. Retry after "
    "`Retry-After` seconds.",
}


def problem_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": DESCRIPTIONS.get(status, STATUS_TITLES.get(status, "Error")),
        "content": {PROBLEM: {"schema": PROBLEM_REF}},
    }
    if status in (429, 503):
        response["headers"] = {"Retry-After": RETRY_AFTER}
    if status == 401:
        response["headers"] = {
            "WWW-Authenticate": {
                "description": "`Bearer`: how to authenticate.",
                "required": True,
                "schema": {"type": "string"},
            }
        }
    return response


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The error answers a route declares itself (domain errors its use case raises), for a
    route decorator's `responses=`; the rest is found by document_routes."""
    return {status: problem_response(status) for status in statuses}


def operation_id(route: APIRoute) -> str:
    """`create_booking` → `createBooking`: stable, readable ids from the endpoint's name (the
    route `name` where one endpoint serves several routes, as the dead-letter routes do)."""
    first, *rest = [p for p in re.split(r"[^A-Za-z0-9]+", route.name) if p]
    return first.lower() + "".join(p[:1].upper() + p[1:] for p in rest)


def _tree(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _tree(sub)


def _calls(dependant: Dependant) -> Iterator[Any]:
    return (d.call for d in _tree(dependant))


def statuses_of(route: APIRoute, path: str, operation: dict[str, Any]) -> set[int]:
    """Error statuses found from the route's dependencies (their `problem_statuses`), its
    inputs (422; 413 with a body) and whether it reaches a store (every /api route: 503)."""
    found: set[int] = set()
    for call in _calls(route.dependant):
        found.update(getattr(call, "problem_statuses", ()))
    if "requestBody" in operation:
        found.update((413, 422))
    elif operation.get("parameters"):
        found.add(422)
    if path.startswith("/api/"):
        found.add(503)
    return found


def _security(route: APIRoute) -> list[dict[str, list[str]]] | None:
    calls = set(_calls(route.dependant))
    if current_user in calls:
        return None  # FastAPI declares the bearer scheme itself
    if optional_user in calls:
        return [{"HTTPBearer": []}, {}]  # a token or none
    return []  # public: no scheme


LOCATION = {
    "description": "The URL of what was created.",
    "required": True,
    "schema": {"type": "string"},
}


def _routes(app: FastAPI) -> dict[str, APIRoute]:
    routes: dict[str, APIRoute] = {}
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.include_in_schema:
            routes[operation_id(route)] = route
    return routes


def document_errors(app: FastAPI, document: dict[str, Any]) -> None:
    """Declare on every operation what it answers besides its success, who may call it and
    the headers that come with its answers."""
    routes = _routes(app)
    for path, item in document.get("paths", {}).items():
        for operation in item.values():
            route = routes[operation["operationId"]]
            responses = operation.setdefault("responses", {})
            for status in sorted(statuses_of(route, path, operation)):
                if status == 422 or str(status) not in responses:
                    # 422 replaces FastAPI's own (HTTPValidationError): ours is a problem
                    responses[str(status)] = problem_response(status)
            # 202 without Location: accepted, and nothing to follow (a mail on its way)
            if route.status_code in (201, 202) and not getattr(
                route.endpoint, "no_location", False
            ):
                success = responses.setdefault(str(route.status_code), {})
                success.setdefault("headers", {})["Location"] = LOCATION
            security = _security(route)
            if security is not None:
                operation["security"] = security
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas["Problem"] = PROBLEM_SCHEMA
    schemas["ProblemField"] = PROBLEM_FIELD_SCHEMA


def install_openapi(app: FastAPI) -> None:
    """The app's document, with document_errors applied once."""
    build = app.openapi
    done: list[int] = []

    def openapi() -> dict[str, Any]:
        document = build()  # cached by FastAPI until a route is added
        if id(document) not in done:
            document_errors(app, document)
            done.append(id(document))
        return document

    app.openapi = openapi  # type: ignore[method-assign]
