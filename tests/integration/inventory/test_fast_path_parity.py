"""The hold fast path (inventory.fastpath.FastHolds) answers every request exactly as the FastAPI
route behind it: one table of requests, sent to an app with the fast path and to the same app
without it (the route is the reference), compared by status, content type, Location,
WWW-Authenticate, Retry-After and body. Real PostgreSQL (a database of this module's own),
Redis and token verification."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.catalog.contract import LayoutArea, LayoutSeat, ShowChanged, ShowLayout
from boxoffice.inventory import store as inventory_store
from boxoffice.inventory.api import router
from boxoffice.inventory.fastpath import FastHolds
from boxoffice.inventory.holdstore import SHOWS_INDEX, HoldStore, prefix
from boxoffice.inventory.onsale import Pass, Room
from boxoffice.inventory.ports import RoomRule
from boxoffice.inventory.service import InventoryService
from boxoffice.kernel.auth import TokenIssuer, TokenVerifier, ensure_keypair
from boxoffice.kernel.edge import RequestGuard
from boxoffice.kernel.messaging import ServiceStore
from boxoffice.kernel.problems import install_problem_handlers
from boxoffice.kernel.registry import Services

pytestmark = pytest.mark.integration

AREA = 700
ISSUER = "parity"


class Catalog:
    def __init__(self) -> None:
        self.layouts: dict[uuid.UUID, ShowLayout] = {}

    async def show_layout(self, show_id: uuid.UUID) -> ShowLayout:
        return self.layouts[show_id]

    async def show_owner(self, show_id: uuid.UUID) -> uuid.UUID:
        del show_id
        return uuid.uuid4()


def layout(show_id: uuid.UUID) -> ShowLayout:
    now = datetime.now(UTC)
    return ShowLayout(
        show_id=show_id,
        status="published",
        title="Parity",
        starts_at=now + timedelta(days=3),
        currency="EUR",
        sales_start=now - timedelta(hours=1),
        sales_end=now + timedelta(days=2),
        max_per_booking=8,
        seats=[
            LayoutSeat(s, f"A{s}", "Stalls", "A", "standard", 1000, float(s), 0.0, s == 9)
            for s in range(1, 21)
        ],
        areas=[LayoutArea(AREA, "Floor", "standing", 500, 5)],
    )


def app(svc: InventoryService, verifier: TokenVerifier, *, fast: bool) -> FastAPI:
    """The app as bootstrap builds it for inventory: problems, the edge guard outside the
    hold fast path, the routes."""
    made = FastAPI()
    install_problem_handlers(made)
    made.include_router(router, prefix="/api/v1")
    if fast:
        made.add_middleware(FastHolds)
    made.add_middleware(RequestGuard, max_body_bytes=65_536)
    made.state.verifier = verifier
    made.state.services = Services(svc)
    return made


@dataclass
class Side:
    """One of the two apps, with a show of its own (the same layout on both sides)."""

    client: httpx.AsyncClient
    show: uuid.UUID


@dataclass
class Parity:
    fast: Side
    route: Side
    issuer: TokenIssuer
    svc: InventoryService
    shows: list[uuid.UUID] = field(default_factory=list)


@pytest.fixture
async def parity(own_engine: AsyncEngine, redis: Redis, tmp_path: Path) -> AsyncIterator[Parity]:
    ensure_keypair(tmp_path / "k.pem", tmp_path / "k.pub.pem")
    private, public = (tmp_path / "k.pem").read_bytes(), (tmp_path / "k.pub.pem").read_bytes()
    issuer = TokenIssuer(private, public, ISSUER, 300)
    verifier = TokenVerifier(public, ISSUER)
    catalog = Catalog()
    store = ServiceStore(own_engine, inventory_store.messaging)
    svc = InventoryService(store, HoldStore(redis), catalog, 60)
    shows = [uuid.uuid4(), uuid.uuid4()]
    for show_id in shows:
        catalog.layouts[show_id] = layout(show_id)
        async with store.uow() as uow:
            await svc.on_show_changed(uow, ShowChanged(show_id=str(show_id)))
        await svc.load(show_id)
        await redis.srem(SHOWS_INDEX, show_id.hex)  # other sessions' sweepers: keep off
    clients = [
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app(svc, verifier, fast=fast)),
            base_url="http://parity",
        )
        for fast in (True, False)
    ]
    yield Parity(Side(clients[0], shows[0]), Side(clients[1], shows[1]), issuer, svc, shows)
    for client in clients:
        await client.aclose()
    for show_id in shows:
        keys = [k async for k in redis.scan_iter(match=f"{prefix(show_id)}*", count=1000)]
        if keys:
            await redis.delete(*keys)


JSON = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class Case:
    name: str
    body: bytes | dict[str, Any] | list[Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=lambda: dict(JSON))
    auth: str | None = "Bearer {token}"
    show: str = "{show}"  # or another id
    repeat: bool = False  # sent twice, the second answer compared
    customer: str = ""  # cases naming the same customer share one; others have their own


def ga(quantity: int, area: int = AREA) -> dict[str, Any]:
    return {"ga": [{"area_id": area, "quantity": quantity}]}


CASES = [
    Case("a seat", {"seat_ids": [1]}),
    Case("seats in the order asked", {"seat_ids": [3, 2]}),
    Case("general admission", ga(2)),
    Case("seats and places", {"seat_ids": [4], **ga(1)}),
    Case("a taken seat", {"seat_ids": [5, 6]}),
    Case("a blocked seat", {"seat_ids": [9]}),
    Case("an unknown seat", {"seat_ids": [1, 999]}),
    Case("an unknown area", ga(1, area=1234)),
    Case("an area too full", ga(6)),
    Case("more than a booking may take", {"seat_ids": [1, 2, 3, 4, 6, 7, 8, 10, 5]}),
    Case("more seats than a request may list", {"seat_ids": list(range(1, 102))}),
    Case("a seat asked twice", {"seat_ids": [1, 1]}),
    Case("nothing asked", {}),
    Case("empty lists", {"seat_ids": [], "ga": []}),
    Case("seat id zero", {"seat_ids": [0]}),
    Case("seat id too large", {"seat_ids": [2**63]}),
    Case("quantity zero", ga(0)),
    Case("quantity too large", ga(101)),
    Case("seat ids not a list", {"seat_ids": "1"}),
    Case("a seat id as a string", {"seat_ids": ["1"]}),
    Case("a seat id as a boolean", {"seat_ids": [True]}),
    Case("a seat id as a float", {"seat_ids": [7.0]}),
    Case("a seat id as a fraction", {"seat_ids": [7.5]}),
    Case("null seat ids", {"seat_ids": None}),
    Case("an unknown field", {"seat_ids": [11], "note": "x"}),
    Case("a body that is a list", [1]),
    Case("malformed JSON", b'{"seat_ids": [1'),
    Case("an empty body", b""),
    Case("a NUL in the body", b'{"seat_ids": [1], "note": "a\\u0000b"}'),
    Case("a raw NUL in the body", b'{"seat_ids": [1], "note": "a\x00b"}'),
    Case("no content type", {"seat_ids": [18]}, headers={}),
    Case("a text content type", {"seat_ids": [19]}, headers={"Content-Type": "text/plain"}),
    Case(
        "a JSON content type with a charset",
        {"seat_ids": [12]},
        headers={"Content-Type": "application/json; charset=utf-8"},
    ),
    Case("no authorization", {"seat_ids": [2]}, auth=None),
    Case("a bad token", {"seat_ids": [2]}, auth="Bearer not-a-token"),
    Case("an empty token", {"seat_ids": [2]}, auth="Bearer "),
    Case("another scheme", {"seat_ids": [2]}, auth="Basic dTpw"),
    Case("a lower-case scheme", {"seat_ids": [13]}, auth="bearer {token}", customer=""),
    Case("an unknown show", {"seat_ids": [1]}, show=str(uuid.UUID(int=1))),
    Case("a show id without dashes", {"seat_ids": [14]}, show="{hex}"),
    Case("a show id in capitals", {"seat_ids": [15]}, show="{upper}"),
    Case("a show id that is no id", {"seat_ids": [1]}, show="not-a-show"),
    Case(
        "an idempotency key",
        {"seat_ids": [16]},
        headers={**JSON, "Idempotency-Key": "k-1"},
        repeat=True,
        customer="keyed",
    ),
    Case(
        "an idempotency key used for other seats",
        {"seat_ids": [17]},
        headers={**JSON, "Idempotency-Key": "k-1"},
        customer="keyed",
    ),
    Case("an empty idempotency key", {"seat_ids": [2]}, headers={**JSON, "Idempotency-Key": ""}),
    Case(
        "an idempotency key too long",
        {"seat_ids": [2]},
        headers={**JSON, "Idempotency-Key": "k" * 201},
    ),
]


def normalised(text: str, side: Side) -> str:
    """The answer with what must differ between the two sides made equal: the show's id, the
    hold's random part and its expiry."""
    for form in (str(side.show), side.show.hex, str(side.show).upper(), side.show.hex.upper()):
        text = text.replace(form, "<show>")
    text = re.sub(r"<show>\.[0-9a-f]{16}", "<hold>", text)
    return re.sub(r'"expires_at":"[^"]+"', '"expires_at":"<t>"', text)


async def send(side: Side, case: Case, token: str) -> tuple[Any, ...]:
    show = case.show.format(show=side.show, hex=side.show.hex, upper=str(side.show).upper())
    headers = dict(case.headers)
    if case.auth is not None:
        headers["Authorization"] = case.auth.format(token=token)
    body = case.body if isinstance(case.body, bytes) else orjson.dumps(case.body)
    path = f"/api/v1/shows/{show}/holds"
    for _ in range(2 if case.repeat else 1):
        r = await side.client.post(path, content=body, headers=headers)
    text = normalised(r.text, side)
    location = r.headers.get("location")
    parsed = orjson.loads(text) if "json" in r.headers.get("content-type", "") else text
    return (
        r.status_code,
        r.headers.get("content-type"),
        normalised(location, side) if location else None,
        r.headers.get("www-authenticate"),
        r.headers.get("retry-after"),
        parsed,
    )


async def test_the_fast_path_answers_every_request_as_the_route_does(parity: Parity) -> None:
    # The same seat taken on both sides by someone else, before the table runs.
    other = parity.issuer.issue(uuid.uuid4(), ["customer"], "other@boxoffice.example")
    for side in (parity.fast, parity.route):
        r = await side.client.post(
            f"/api/v1/shows/{side.show}/holds",
            json={"seat_ids": [5]},
            headers={"Authorization": f"Bearer {other}"},
        )
        assert r.status_code == 201, r.text
    customers: dict[str, str] = {}
    diverging = []
    statuses = set()
    for case in CASES:
        name = case.customer or case.name
        if name not in customers:
            customers[name] = parity.issuer.issue(uuid.uuid4(), ["customer"], "p@boxoffice.example")
        fast = await send(parity.fast, case, customers[name])
        route = await send(parity.route, case, customers[name])
        statuses.add(route[0])
        if fast != route:
            diverging.append(f"{case.name}:\n  fast  {fast}\n  route {route}")
    assert not diverging, "\n".join(diverging)
    assert {201, 401, 404, 409, 422} <= statuses, "the table should cover every answer"


async def test_both_paths_check_the_admission_pass_of_a_show_with_a_waiting_room(
    parity: Parity,
) -> None:
    now = datetime.now(UTC)
    for show_id in parity.shows:
        room = Room(show_id, now - timedelta(minutes=1), now, 60, 600, None, now)
        async with parity.svc.store.engine.begin() as conn:
            await inventory_store.write_room(conn, room)
        await parity.svc.holds.set_room(show_id, RoomRule(room.opens_at))
    customer, stranger = uuid.uuid4(), uuid.uuid4()
    token = parity.issuer.issue(customer, ["customer"], "p@boxoffice.example")
    signer = parity.svc.passes

    def pass_for(side: Side, kind: str) -> str:
        show, user = side.show, customer
        expires = int(now.timestamp()) + 600
        if kind == "other-show":
            show = uuid.uuid4()
        elif kind == "other-customer":
            user = stranger
        elif kind == "expired":
            expires = int(now.timestamp()) - 1
        issued = signer.issue_pass(Pass(show, user, "q", expires))
        if kind == "forged":
            return issued[:-4] + "AAAA"
        return "p" * 1025 if kind == "too long" else issued

    diverging, statuses = [], set()
    kinds = ["none", "valid", "other-show", "other-customer", "expired", "forged", "too long"]
    for seat, kind in enumerate(kinds, start=1):
        answers = []
        for side in (parity.fast, parity.route):
            headers = {} if kind == "none" else {"X-Admission-Pass": pass_for(side, kind)}
            case = Case(kind, {"seat_ids": [seat]}, headers={**JSON, **headers})
            answers.append(await send(side, case, token))
        statuses.add(answers[1][0])
        reason = answers[1][-1].get("reason") if isinstance(answers[1][-1], dict) else None
        expected = {"none": "missing", "forged": "invalid"}.get(kind, kind)
        assert reason in (None, expected), (kind, answers[1])
        if answers[0] != answers[1]:
            diverging.append(f"{kind}:\n  fast  {answers[0]}\n  route {answers[1]}")
    assert not diverging, "\n".join(diverging)
    assert statuses == {201, 403, 422}
