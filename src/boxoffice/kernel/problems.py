"""The one place that turns errors into RFC 9457 problem+json responses: domain errors, invalid
requests, database data errors and store outages alike (the FastAPI handlers and the hold fast
path both call problem_of)."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import nats.errors
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from redis import exceptions as redis_exc
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException
from starlette.types import Receive, Scope, Send

from boxoffice.kernel.errors import DomainError

log = logging.getLogger(__name__)

PROBLEM = "application/problem+json"

# Problem types are absolute URIs, not references relative to the request: RFC 9457 resolves a
# relative `type` against the document's base URI, so `/problems/x` would name a different type
# behind each host or prefix that serves the API, and some clients do not resolve it at all. A
# tag URI (RFC 4151) is one string everywhere, compares as a string, and promises no page to
# dereference (RFC 9457 §3.1.1: clients must not fetch it). docs/api.md lists every type.
TYPE_BASE = "tag:boxoffice.example,2025:problem:"

# The type of a problem made from a bare status (HTTP errors, nginx, older callers).
STATUS_SLUGS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "request-too-large",
    422: "invalid-request",
    429: "too-many-requests",
    500: "internal-error",
    503: "service-unavailable",
}

STATUS_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    422: "Invalid request",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}


def problem_type(slug: str) -> str:
    return TYPE_BASE + slug


def problem_document(
    status: int,
    title: str,
    detail: str,
    instance: str,
    *,
    slug: str | None = None,
    type_uri: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "type": type_uri or problem_type(slug or STATUS_SLUGS.get(status, "error")),
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        **extra,
    }


def problem_headers(status: int, extra: Mapping[str, Any]) -> dict[str, str]:
    """Headers that go with a problem: how to authenticate (401), when to retry (429, 503)."""
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if status in (429, 503):
        # `retry_after` (seconds) in a problem's extension members sets the header; a store
        # outage or a busy server is worth a retry a moment later.
        headers["Retry-After"] = str(max(1, math.ceil(float(extra.get("retry_after", 1)))))
    return headers


@dataclass(frozen=True)
class Problem:
    """A problem to answer with, before it knows the request it answers."""

    status: int
    title: str
    detail: str
    slug: str
    extra: Mapping[str, Any] = field(default_factory=dict)
    type_uri: str | None = None  # a type passed on unchanged from another service
    headers: Mapping[str, str] = field(default_factory=dict)  # e.g. Allow on a 405

    def document(self, instance: str) -> dict[str, Any]:
        return problem_document(
            self.status,
            self.title,
            self.detail,
            instance,
            slug=self.slug,
            type_uri=self.type_uri,
            **self.extra,
        )

    def response_headers(self) -> dict[str, str]:
        return {**problem_headers(self.status, self.extra), **self.headers}

    def response(self, instance: str) -> JSONResponse:
        return JSONResponse(
            self.document(instance),
            status_code=self.status,
            media_type=PROBLEM,
            headers=self.response_headers() or None,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a raw ASGI request (middlewares, which no exception handler covers)."""
        await self.response(scope["path"])(scope, receive, send)


def problem(status: int, title: str, detail: str, request: Request, **extra: Any) -> JSONResponse:
    slug = extra.pop("slug", None) or STATUS_SLUGS.get(status, "error")
    return Problem(status, title, detail, slug, extra).response(request.url.path)


# SQLSTATEs (PostgreSQL appendix A) of a database that is busy, restarting or unreachable: the
# request did nothing (its transaction rolled back) and may well work a moment later.
_RETRYABLE_SQLSTATES = ("40001", "40P01", "55P03", "57014", "57P01", "57P02", "57P03", "53300")
_RETRYABLE_CLASSES = ("08", "53")

UNAVAILABLE_DETAIL = "Too busy right now; try again shortly."


def _unavailable(retry_after: int = 1) -> Problem:
    extra = {"retry_after": retry_after} if retry_after != 1 else {}
    return Problem(503, "Service unavailable", UNAVAILABLE_DETAIL, "service-unavailable", extra)


def _sqlstate(exc: sa_exc.DBAPIError) -> str:
    return str(getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None) or "")


def _database(exc: sa_exc.DBAPIError) -> Problem | None:
    state = _sqlstate(exc)
    if state in _RETRYABLE_SQLSTATES or state[:2] in _RETRYABLE_CLASSES:
        return _unavailable()
    if isinstance(exc, sa_exc.InterfaceError | sa_exc.OperationalError) and not state:
        return _unavailable()  # a connection lost or closed under the statement
    if state.startswith("22"):  # data exception: a value the column cannot hold
        return Problem(
            422,
            "Invalid request",
            "A value in the request cannot be stored (out of range or malformed).",
            "invalid-data",
        )
    if state.startswith("23"):  # integrity constraint: a duplicate or a missing reference
        return Problem(
            409,
            "Conflict",
            "The request conflicts with the current state of the data.",
            "conflict",
        )
    return None


def problem_of(exc: BaseException) -> Problem:
    """The problem that answers an exception; 500 for what nothing here expects."""
    if isinstance(exc, DomainError):
        return Problem(
            exc.status,
            exc.title,
            exc.detail,
            exc.slug,
            exc.extra,
            type_uri=getattr(exc, "type_uri", None),
        )
    if isinstance(exc, RequestValidationError):
        return invalid_request(
            [
                {
                    "field": ".".join(str(p) for p in e.get("loc", ())),
                    "message": e.get("msg", ""),
                    "type": e.get("type", ""),
                }
                for e in exc.errors()
            ]
        )
    if isinstance(exc, HTTPException):
        if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
            # FastAPI's answer to a body json.loads refused other than by JSONDecodeError
            # (not UTF-8, an integer of more than 4300 digits): one kind with the rest.
            return invalid_request(
                [
                    {
                        "field": "body",
                        "message": "The body is not valid JSON.",
                        "type": "json_invalid",
                    }
                ]
            )
        status = exc.status_code
        return Problem(
            status,
            STATUS_TITLES.get(status, "Error"),
            str(exc.detail),
            STATUS_SLUGS.get(status, "error"),
            headers=dict(exc.headers or {}),  # Allow on a 405
        )
    if isinstance(exc, sa_exc.DBAPIError):
        found = _database(exc)
        if found is not None:
            return found
    if isinstance(exc, sa_exc.TimeoutError):  # no pooled connection free in time
        return _unavailable()
    if isinstance(exc, redis_exc.ConnectionError | redis_exc.TimeoutError):
        return _unavailable()  # BusyLoadingError is a ConnectionError
    if isinstance(exc, nats.errors.Error):
        return _unavailable()
    if isinstance(exc, ConnectionError | TimeoutError):
        # asyncpg's connect raises the socket's own error (ConnectionRefusedError), unwrapped
        return _unavailable()
    return Problem(500, "Internal error", "Something went wrong on our side.", "internal-error")


def invalid_request(errors: list[dict[str, str]], detail: str = "") -> Problem:
    return Problem(
        422,
        "Invalid request",
        detail or "The request has invalid fields.",
        "invalid-request",
        {"errors": errors},
    )


def report(exc: BaseException, found: Problem, method: str, path: str) -> None:
    """One log line per failure that is not the caller's: a traceback only for a 500 (a bug);
    an outage or a value the database refused is one warning line, not a page per request."""
    if isinstance(exc, DomainError | RequestValidationError | HTTPException):
        return
    if found.status >= 500 and found.status != 503:
        log.error("unhandled error on %s %s", method, path, exc_info=exc)
        return
    # Never str(exc): a database error's text can carry the statement's values.
    code = _sqlstate(exc) if isinstance(exc, sa_exc.DBAPIError) else ""
    log.warning(
        "%s on %s %s: %s%s",
        "store unavailable" if found.status == 503 else "database refused the request",
        method,
        path,
        type(exc).__name__,
        f" (SQLSTATE {code})" if code else "",
    )


def _allowed(app: FastAPI, path: str) -> str:
    """Every method some route of this path answers: Starlette's 405 names only the methods of
    the first route whose path matched (GET of GET /venues, not the POST beside it)."""
    methods: set[str] = set()
    for route in iter_route_contexts(app.routes):
        regex = getattr(route, "path_regex", None)
        if regex is not None and route.methods and regex.match(path):
            methods |= route.methods
    return ", ".join(sorted(methods))


# Exception classes answered without the traceback that Starlette's outermost handler prints
# for everything it catches; each may still be a 500 if problem_of does not recognise it.
HANDLED = (
    DomainError,
    RequestValidationError,
    HTTPException,
    sa_exc.DBAPIError,
    sa_exc.TimeoutError,
    redis_exc.RedisError,
    nats.errors.Error,
    ConnectionError,
    TimeoutError,
)


def install_problem_handlers(app: FastAPI) -> None:
    async def handle(request: Request, exc: Exception) -> JSONResponse:
        found = problem_of(exc)
        report(exc, found, request.method, request.url.path)
        if found.status == 405:
            found = replace(found, headers={"Allow": _allowed(app, request.url.path)})
        return found.response(request.url.path)

    for kind in (*HANDLED, Exception):
        app.add_exception_handler(kind, handle)
