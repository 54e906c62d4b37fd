"""ASGI middlewares at the HTTP edge, in front of every route (the hold fast path included):
requests PostgreSQL could not store or that are too big are refused before anything runs, and
every answer carries the browser security headers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from boxoffice.kernel.problems import Problem, invalid_request

NUL_MESSAGE = "NUL characters (U+0000) are not allowed in text."

# One set for the app (both shapes) and for the files nginx serves itself (gateway/nginx.py).
# No inline script or style anywhere: the web UI and the Swagger UI load theirs from files.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),  # frame-ancestors for browsers that predate it
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


def escaped_nul(body: bytes) -> bool:
    r"""Whether JSON text holds a NUL: a raw byte, or `\u0000` that is an escape (preceded by an
    even number of backslashes) and not the text `\\u0000` (an escaped backslash, then `u0000`)."""
    if b"\x00" in body:
        return True
    at = body.find(b"\\u0000")
    while at != -1:
        start = at
        while start > 0 and body[start - 1] == 0x5C:  # backslashes before this one
            start -= 1
        if (at - start) % 2 == 0:
            return True
        at = body.find(b"\\u0000", at + 1)
    return False


def _nul_paths(value: Any, where: str) -> Iterator[str]:
    if isinstance(value, str):
        if "\x00" in value:
            yield where
    elif isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                yield f"{where}.{key.replace(chr(0), '')}"
            yield from _nul_paths(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_paths(item, f"{where}.{index}")


def _nul_problem(fields: list[str]) -> Problem:
    return invalid_request(
        [{"field": f, "message": NUL_MESSAGE, "type": "string_nul"} for f in fields],
        detail="The request contains a NUL character, which no text may hold.",
    )


def too_large(limit: int) -> Problem:
    return Problem(
        413,
        "Request too large",
        f"The request body is larger than {limit} bytes.",
        "request-too-large",
        {"max_bytes": limit},
    )


class RequestGuard:
    """The HTTP edge in one layer (each ASGI layer costs the hold path CPU): every answer gets
    SECURITY_HEADERS, and requests that no route may get are refused with a problem answer:
    NUL characters (PostgreSQL stores no U+0000 in text: without this a NUL in a name, a tag
    or `?city=` reached the database, failed there with a 500 and sometimes after other
    writes) in the path, the query, a header or the body; and bodies over `max_body_bytes`
    (413), by Content-Length before reading and while reading a chunked body, so that no
    oversized body is ever parsed.

    The body is read whole before the app runs (every body of this API is one JSON document the
    route parses whole anyway) and replayed to it."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.headers = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS]

    async def __call__(self, scope: Scope, receive: Receive, answer: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, answer)
            return
        headers = self.headers

        async def send(message: Message) -> None:
            # No route sets these itself; one that did (a Content-Security-Policy) would keep it.
            if message["type"] == "http.response.start":
                own = message.get("headers", [])
                if not any(name == b"content-security-policy" for name, _ in own):
                    message["headers"] = [*own, *headers]
            await answer(message)

        refused = self._check_head(scope)
        if refused is not None:
            await refused(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            if len(body) > self.max_body_bytes:
                await too_large(self.max_body_bytes)(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        whole = bytes(body)
        if escaped_nul(whole):
            await _nul_problem(_body_paths(whole))(scope, receive, send)
            return
        await self.app(scope, replay_body(whole, receive), send)

    def _check_head(self, scope: Scope) -> Problem | None:
        fields: list[str] = []
        if "\x00" in scope["path"] or b"%00" in scope.get("raw_path", b""):
            fields.append("path")
        query: bytes = scope.get("query_string", b"")
        if b"%00" in query or b"\x00" in query:
            text = query.decode("latin-1")
            names = [
                name.replace("\x00", "")
                for name, value in parse_qsl(text, keep_blank_values=True)
                if "\x00" in name or "\x00" in value
            ]
            fields += [f"query.{name}" for name in names] or ["query"]
        length = None
        for name, value in scope["headers"]:
            if b"\x00" in value:
                fields.append(f"header.{name.decode('latin-1')}")
            elif name == b"content-length":
                length = value
        if fields:
            return _nul_problem(fields)
        if length is not None and _longer(length.strip(), self.max_body_bytes):
            return too_large(self.max_body_bytes)
        return None


def _longer(length: bytes, limit: int) -> bool:
    # a 5,000-digit Content-Length is too large, not a ValueError from int()
    return length.isdigit() and (len(length) > 18 or int(length) > limit)


def _body_paths(body: bytes) -> list[str]:
    try:
        document = json.loads(body)
    except ValueError:
        return ["body"]
    return list(_nul_paths(document, "body")) or ["body"]


def replay_body(body: bytes, receive: Receive) -> Receive:
    """A receive() that first hands the app a body read already, then the client's messages
    (a disconnect, for instance)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
