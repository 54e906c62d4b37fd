"""The edge refuses NUL characters and oversized bodies before any route runs, and every
answer carries the browser security headers."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from pydantic import BaseModel
from starlette.exceptions import StarletteDeprecationWarning
from starlette.types import Receive, Scope, Send

from boxoffice.kernel.edge import RequestGuard, escaped_nul
from boxoffice.kernel.problems import PROBLEM, TYPE_BASE, install_problem_handlers

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

LIMIT = 1000
reached: list[str] = []


class VenueIn(BaseModel):
    name: str
    tags: list[str] = []


class RawHolds:
    """Stands for inventory's FastHolds: a middleware that answers some requests itself."""

    def __init__(self, app: object) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/raw":
            reached.append("raw")
            await send({"type": "http.response.start", "status": 201, "headers": []})
            await send({"type": "http.response.body", "body": b"{}"})
            return
        await self.app(scope, receive, send)  # type: ignore[operator]


def make_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/venues")
    def create(venue: VenueIn) -> VenueIn:
        reached.append(venue.name)
        return venue

    @app.get("/venues")
    def search(city: str = "") -> dict[str, str]:
        reached.append(city)
        return {"city": city}

    app.add_middleware(RawHolds)
    app.add_middleware(RequestGuard, max_body_bytes=LIMIT)
    return app


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(make_app(), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(autouse=True)
def _clear() -> None:
    reached.clear()


def refused_fields(r: object) -> list[str]:
    assert r.status_code == 422, r.text  # type: ignore[attr-defined]
    assert r.headers["content-type"] == PROBLEM  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    assert body["type"] == TYPE_BASE + "invalid-request"
    return [e["field"] for e in body["errors"]]


@pytest.mark.parametrize(
    "body",
    [
        b'{"name": "a\\u0000b"}',
        b'{"name": "ok", "tags": ["x", "\\u0000"]}',
        b'{"name": "a\\\\\\u0000"}',  # an escaped backslash, then an escaped NUL
        b'{"name": "a\x00b"}',  # a raw NUL byte
    ],
)
def test_a_nul_in_a_json_body_is_refused_before_the_route_runs(
    client: TestClient, body: bytes
) -> None:
    r = client.post("/venues", content=body, headers={"content-type": "application/json"})
    fields = refused_fields(r)
    assert fields[0].startswith("body")
    assert reached == []


def test_the_refusal_names_the_field_holding_the_nul(client: TestClient) -> None:
    r = client.post("/venues", json={"name": "ok", "tags": ["x", "a\x00"]})
    assert refused_fields(r) == ["body.tags.1"]


def test_an_escaped_backslash_before_u0000_is_text_not_a_nul(client: TestClient) -> None:
    r = client.post(
        "/venues",
        content=b'{"name": "C:\\\\u0000"}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "C:\\u0000"
    assert reached == ["C:\\u0000"]


@pytest.mark.parametrize("query", ["city=a%00b", "city=%00", "ci%00ty=x"])
def test_a_nul_in_the_query_string_is_refused(client: TestClient, query: str) -> None:
    fields = refused_fields(client.get(f"/venues?{query}"))
    assert fields[0].startswith("query.")
    assert reached == []


def test_a_nul_in_the_path_is_refused(client: TestClient) -> None:
    assert refused_fields(client.get("/venues%00")) == ["path"]


def test_a_nul_in_a_header_value_is_refused() -> None:
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    import asyncio

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/venues",
        "raw_path": b"/venues",
        "query_string": b"",
        "headers": [(b"x-name", b"a\x00b")],
    }
    asyncio.run(RequestGuard(make_app(), max_body_bytes=LIMIT)(scope, receive, send))  # type: ignore[arg-type]
    assert sent[0]["status"] == 422
    assert b'"header.x-name"' in sent[1]["body"]  # type: ignore[operator]
    assert reached == []


def test_the_hold_fast_path_behind_the_guard_is_guarded_too(client: TestClient) -> None:
    refused_fields(client.post("/raw", content=b'{"seat_ids": [1], "x": "\\u0000"}'))
    assert reached == []
    assert client.post("/raw", json={"seat_ids": [1]}).status_code == 201


def test_a_body_over_the_limit_by_content_length_is_413_unread(client: TestClient) -> None:
    r = client.post("/venues", content=b"x" * (LIMIT + 1))
    assert r.status_code == 413
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["type"] == TYPE_BASE + "request-too-large"
    assert r.json()["max_bytes"] == LIMIT
    assert reached == []


def test_a_streamed_body_over_the_limit_is_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b'{"name": "' + b"x" * 100

    r = client.post("/venues", content=chunks())  # chunked: no Content-Length
    assert r.status_code == 413
    assert reached == []


def test_a_body_within_the_limit_reaches_the_route(client: TestClient) -> None:
    r = client.post("/venues", json={"name": "x" * (LIMIT - 20)})
    assert r.status_code == 200
    assert len(reached) == 1


def test_every_answer_carries_the_security_headers(client: TestClient) -> None:
    for r in (client.get("/venues"), client.get("/nowhere"), client.get("/venues?city=%00")):
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"


def test_the_json_nul_scan_counts_backslashes() -> None:
    assert escaped_nul(b'"\\u0000"')
    assert not escaped_nul(b'"\\\\u0000"')
    assert escaped_nul(b'"\\\\\\u0000"')
    assert not escaped_nul(b'"\\\\\\\\u0000"')
    assert not escaped_nul(b'"u0000 \\u0001"')
