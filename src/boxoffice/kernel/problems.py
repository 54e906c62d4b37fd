"""The one place that turns errors into RFC 9457 problem+json responses."""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException

from boxoffice.kernel.errors import DomainError

log = logging.getLogger(__name__)

PROBLEM = "application/problem+json"


def problem_document(
    status: int, title: str, detail: str, instance: str, **extra: Any
) -> dict[str, Any]:
    return {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        **extra,
    }


def problem_headers(status: int, extra: dict[str, Any]) -> dict[str, str]:
    """Headers that go with a problem: how to authenticate (401), when to retry (429, 503)."""
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if status in (429, 503):
        # `retry_after` (seconds) in a problem's extension members sets the header; a store
        # outage or a busy server is worth a retry a moment later.
        headers["Retry-After"] = str(max(1, math.ceil(float(extra.get("retry_after", 1)))))
    return headers


def problem(status: int, title: str, detail: str, request: Request, **extra: Any) -> JSONResponse:
    body = problem_document(status, title, detail, request.url.path, **extra)
    headers = problem_headers(status, extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers or None)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        return problem(exc.status, exc.title, exc.detail, request, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ())),
                "message": e.get("msg", ""),
                "type": e.get("type", ""),
            }
            for e in exc.errors()
        ]
        return problem(
            422, "Invalid request", "The request has invalid fields.", request, errors=errors
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        titles = {404: "Not found", 405: "Method not allowed", 401: "Unauthorized"}
        return problem(
            exc.status_code, titles.get(exc.status_code, "Error"), str(exc.detail), request
        )

    @app.exception_handler(sa_exc.OperationalError)
    @app.exception_handler(sa_exc.InterfaceError)
    @app.exception_handler(sa_exc.TimeoutError)
    @app.exception_handler(RedisConnectionError)
    async def store_unavailable(request: Request, exc: Exception) -> JSONResponse:
        # Out of database connections, or a store briefly unreachable: retry, nothing was done.
        log.warning("store unavailable on %s %s: %r", request.method, request.url.path, exc)
        return problem(
            503, "Service unavailable", "Too busy right now; try again shortly.", request
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return problem(500, "Internal error", "Something went wrong on our side.", request)
