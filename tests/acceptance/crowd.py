"""Async building blocks for crowd tests: many customers on one httpx.AsyncClient (one connection
pool, many tasks), shows made over the API, and private infrastructure for dedicated servers."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from tests.conftest import ADMIN, Infra, _delete_stream
from tests.invariants import asyncpg_dsn

PASSWORD = "a-good-password"


@dataclass(frozen=True)
class Customer:
    """A logged-in user: the headers to send on a shared client."""

    id: str
    email: str
    headers: dict[str, str]


def crowd_client(api: str, connections: int = 250) -> httpx.AsyncClient:
    # Idle connections are dropped before uvicorn's 5 s keep-alive ends them: reusing one the
    # server is closing at that moment fails the request with a ReadError.
    limits = httpx.Limits(
        max_connections=connections, max_keepalive_connections=connections, keepalive_expiry=2.0
    )
    return httpx.AsyncClient(base_url=api, limits=limits, timeout=httpx.Timeout(60.0))


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> Customer:
    r = await client.post("/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    me = await client.get("/users/me", headers=headers)
    assert me.status_code == 200, me.text
    return Customer(me.json()["id"], email, headers)


async def login_admin(client: httpx.AsyncClient) -> Customer:
    return await login(client, *ADMIN)


async def create_users(
    client: httpx.AsyncClient,
    admin: Customer,
    count: int,
    *,
    roles: tuple[str, ...] = ("customer",),
    parallel: int = 6,
) -> list[Customer]:
    """Create and log in `count` users through the admin API. Password hashing (argon2) is slow
    on purpose, so at most `parallel` users are made at once."""
    gate = asyncio.Semaphore(parallel)

    async def one() -> Customer:
        email = f"c{uuid.uuid4().hex[:12]}@boxoffice.example"
        async with gate:
            r = await client.post(
                "/admin/users",
                headers=admin.headers,
                json={"email": email, "password": PASSWORD, "name": "Crowd", "roles": list(roles)},
            )
            assert r.status_code == 201, r.text
            return await login(client, email)

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def create_show(
    client: httpx.AsyncClient,
    organizer: Customer,
    rows: int,
    seats_per_row: int,
    *,
    ga_capacity: int = 0,
    max_per_booking: int = 10,
) -> dict[str, Any]:
    """A published show of a rows × seats grid on sale now; returns its id, seat map and the
    map's ETag."""
    h = organizer.headers
    venue = await client.post("/venues", headers=h, json={"name": "Crowd Hall", "city": "Rushton"})
    assert venue.status_code == 201, venue.text
    hall = await client.post(
        f"/venues/{venue.json()['id']}/halls",
        headers=h,
        json={
            "name": "Main",
            "grid": {"rows": rows, "seats_per_row": seats_per_row, "category": "standard"},
            "ga_areas": [{"name": "Floor", "category": "standing", "capacity": ga_capacity}]
            if ga_capacity
            else [],
        },
    )
    assert hall.status_code == 201, hall.text
    event = await client.post(
        "/events",
        headers=h,
        json={"title": "On-sale", "category": "concert", "duration_minutes": 90},
    )
    assert event.status_code == 201, event.text
    now = datetime.now(UTC)
    starts = now + timedelta(days=7)
    show = await client.post(
        "/shows",
        headers=h,
        json={
            "event_id": event.json()["id"],
            "hall_id": hall.json()["id"],
            "starts_at": starts.isoformat(),
            "currency": "EUR",
            "prices": {"standard": 3000, "standing": 2000},
            "sales_start": (now - timedelta(hours=1)).isoformat(),
            "sales_end": (starts - timedelta(minutes=30)).isoformat(),
            "max_per_booking": max_per_booking,
        },
    )
    assert show.status_code == 201, show.text
    show_id = show.json()["id"]
    published = await client.post(f"/shows/{show_id}/publish", headers=h)
    assert published.status_code == 200, published.text
    deadline = time.monotonic() + 15
    while True:
        r = await client.get(f"/shows/{show_id}/seats")
        if r.status_code == 200 and len(r.json()["seats"]) == rows * seats_per_row:
            body = r.json()
            return {
                "id": show_id,
                "seats": body["seats"],
                "areas": body["ga_areas"],
                "etag": r.headers["ETag"],
            }
        assert time.monotonic() < deadline, f"show {show_id} never went on sale: {r.text}"
        await asyncio.sleep(0.1)


async def seat_states(client: httpx.AsyncClient, show_id: str) -> dict[int, str]:
    r = await client.get(f"/shows/{show_id}/seats")
    assert r.status_code == 200, r.text
    return {s["id"]: s["state"] for s in r.json()["seats"]}


async def poll(
    check: Callable[[], Any], timeout: float, every: float = 0.25, what: str = "condition"
) -> Any:
    """Await check() until it returns something truthy; that value is returned."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} not met within {timeout}s (last: {value!r})"
        await asyncio.sleep(every)


async def settle(
    client: httpx.AsyncClient,
    customer: Customer,
    booking_id: str,
    timeout: float = 30.0,
    every: float = 0.3,
) -> dict[str, Any]:
    """Wait until a booking leaves PENDING; returns it."""

    async def check() -> dict[str, Any] | None:
        r = await client.get(f"/bookings/{booking_id}", headers=customer.headers)
        assert r.status_code == 200, r.text
        booking: dict[str, Any] = r.json()
        return booking if booking["status"] != "PENDING" else None

    result: dict[str, Any] = await poll(check, timeout, every, f"booking {booking_id} settled")
    return result


@asynccontextmanager
async def fresh_infra(infra: Infra) -> AsyncIterator[Infra]:
    """The session's PostgreSQL server, Redis and NATS, but a database and a JetStream stream of
    its own: servers started on it share no events or rows with the session's server."""
    own = await make_own_infra(infra)
    try:
        yield own
    finally:
        await drop_own_infra(own)


async def make_own_infra(infra: Infra) -> Infra:
    """What fresh_infra hands out (drop it with drop_own_infra)."""
    run = uuid.uuid4().hex[:8]
    url = make_url(infra.database_url)
    name = f"{url.database}_{run}"
    conn = await asyncpg.connect(_admin_dsn(infra))
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return replace(
        infra,
        database_url=url.set(database=name).render_as_string(hide_password=False),
        stream=f"{infra.stream}_{run}",
        prefix=f"{infra.prefix}{run}",
    )


async def drop_own_infra(own: Infra) -> None:
    await asyncio.to_thread(_delete_stream, own.nats_url, own.stream)
    conn = await asyncpg.connect(_admin_dsn(own))
    await conn.execute(
        f'DROP DATABASE IF EXISTS "{make_url(own.database_url).database}" WITH (FORCE)'
    )
    await conn.close()


def _admin_dsn(infra: Infra) -> str:
    url = make_url(infra.database_url).set(database="postgres")
    return asyncpg_dsn(url.render_as_string(hide_password=False))
