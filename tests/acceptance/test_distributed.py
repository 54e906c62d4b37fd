"""What only the distributed shape has: nginx routing to every service, replicas that can die
mid-on-sale without losing a booking, and callers that fail fast while a service is down."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from boxoffice.services import NAMES
from tests.acceptance.crowd import (
    Customer,
    create_show,
    create_users,
    crowd_client,
    fresh_infra,
    login,
    login_admin,
    settle,
)
from tests.conftest import ADMIN, Infra, Server, start_server, stop_server
from tests.invariants import check_invariants

pytestmark = pytest.mark.usefixtures("distributed_only")


@pytest.fixture(scope="module")
def distributed_only(shape: str) -> None:
    if shape != "distributed":
        pytest.skip("distributed-shape tests run with --shape=distributed (make test runs both)")


def processes(server: Server) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = json.loads(
        (server.log.parent / "var" / "cluster" / "processes.json").read_text()
    )
    return listed


def test_requests_through_nginx_reach_every_service(server: Server) -> None:
    names = {p["service"] for p in processes(server)}
    assert names == {*NAMES, "nginx"}  # the default topology: each service alone
    assert sum(p["service"] == "inventory" for p in processes(server)) == 2
    assert sum(p["service"] == "booking" for p in processes(server)) == 2
    api = server.api
    missing = uuid.uuid4()
    # Each answer below can only come from the service that owns the path.
    expectations = {
        f"{api}/shows/{missing}": ("Unknown show", 404),  # catalog
        f"{api}/shows/{missing}/seats": ("Unknown show", 404),  # inventory
        f"{api}/holds/{missing.hex}.0123456789abcdef": ("Unauthorized", 401),  # inventory
        f"{api}/bookings/{missing}": ("Unauthorized", 401),  # booking
        f"{api}/payments/{missing}": ("Unauthorized", 401),  # payment
        f"{api}/notifications": ("Unauthorized", 401),  # notification
        f"{api}/users/me": ("Unauthorized", 401),  # identity
    }
    for url, (title, status) in expectations.items():
        r = httpx.get(url, timeout=10)
        assert r.status_code == status, (url, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["title"] == title
        assert len(r.headers["x-request-id"]) == 32
    assert (
        httpx.get(f"{server.base_url}/internal/catalog/shows/{missing}/layout").status_code == 404
    )
    spec = httpx.get(f"{server.base_url}/openapi.json").json()
    assert "/api/v1/bookings" in spec["paths"] and "/api/v1/shows/{show_id}/holds" in spec["paths"]
    assert httpx.get(f"{server.base_url}/docs").status_code == 200


@pytest.fixture(scope="module")
async def cluster(
    infra: Infra, tmp_path_factory: pytest.TempPathFactory, shape: str
) -> AsyncIterator[tuple[Server, Infra]]:
    if shape != "distributed":
        pytest.skip("distributed-shape tests run with --shape=distributed")
    async with fresh_infra(infra) as own:
        server = await asyncio.to_thread(
            start_server,
            own,
            tmp_path_factory.mktemp("cluster"),
            "distributed",
            payment_timeout_seconds="15",
            consumer_ack_wait_seconds="3",
            saga_sweep_seconds="0.5",
            hold_sweep_seconds="0.5",
            rpc_timeout_seconds="2",
            admin_email=ADMIN[0],
            admin_password=ADMIN[1],
        )
        try:
            yield server, own
        finally:
            await asyncio.to_thread(stop_server, server)


def _kill(server: Server, service: str, count: int = 1) -> list[dict[str, Any]]:
    victims = [p for p in processes(server) if p["service"] == service][:count]
    for victim in victims:
        os.kill(victim["pid"], signal.SIGKILL)
    return victims


async def _buy(
    client: httpx.AsyncClient, customer: Customer, show_id: str, pool: list[int], rng: random.Random
) -> str | None:
    """Hold two adjacent seats (retrying on 409 and on a dead replica), then book them with one
    Idempotency-Key, repeated until a replica answers. Returns the booking id, if any."""
    for _ in range(30):
        start = rng.randrange(len(pool) - 1)
        try:
            hold = await client.post(
                f"/shows/{show_id}/holds",
                headers=customer.headers,
                json={"seat_ids": pool[start : start + 2]},
            )
        except httpx.TransportError:
            await asyncio.sleep(0.2)
            continue
        if hold.status_code == 201:
            break
        assert hold.status_code in (409, 429, 502, 503), hold.text
        await asyncio.sleep(0.05 if hold.status_code == 409 else 0.3)
    else:
        return None
    key = uuid.uuid4().hex
    body = {"hold_id": hold.json()["hold_id"], "payment": {"token": "tok_success"}}
    for _ in range(40):
        try:
            booked = await client.post(
                "/bookings", json=body, headers={**customer.headers, "Idempotency-Key": key}
            )
        except httpx.TransportError:
            await asyncio.sleep(0.3)
            continue
        if booked.status_code == 202:
            return str(booked.json()["booking_id"])
        assert booked.status_code in (429, 502, 503), booked.text
        await asyncio.sleep(0.3)
    raise AssertionError("no booking replica answered for 12 s")


async def test_killing_a_replica_mid_on_sale_loses_no_booking_and_sells_no_seat_twice(
    cluster: tuple[Server, Infra],
) -> None:
    server, own = cluster
    rng = random.Random(7)
    async with crowd_client(server.api, connections=250) as client:
        admin = await login_admin(client)
        organizer = (await create_users(client, admin, 1, roles=("organizer",)))[0]
        customers = await create_users(client, admin, 40)
        show = await create_show(client, organizer, 10, 20)
        pool = [s["id"] for s in show["seats"]][:120]  # a hot region: 200 buyers, 120 seats

        async def buyer(n: int) -> tuple[Customer, str | None]:
            customer = customers[n % len(customers)]
            return customer, await _buy(client, customer, show["id"], pool, rng)

        async def killer() -> None:
            await asyncio.sleep(1.0)
            _kill(server, "inventory")
            _kill(server, "booking")

        results, _ = await asyncio.gather(asyncio.gather(*(buyer(n) for n in range(200))), killer())
        booked = [(c, b) for c, b in results if b is not None]
        assert booked, "nobody got a booking"
        finals = [await settle(client, c, b, timeout=60) for c, b in booked]
    statuses = {f["status"] for f in finals}
    assert statuses <= {"CONFIRMED", "FAILED", "EXPIRED"}, statuses
    assert sum(f["status"] == "CONFIRMED" for f in finals) > 0
    sold = [t["seat_id"] for f in finals if f["status"] == "CONFIRMED" for t in f["tickets"]]
    assert len(sold) == len(set(sold))
    assert await check_invariants(own.database_url, show["id"]) == []


async def test_a_dead_service_makes_its_callers_answer_503_fast_and_they_recover(
    cluster: tuple[Server, Infra],
) -> None:
    server, own = cluster
    async with crowd_client(server.api) as client:
        admin = await login_admin(client)
        organizer = (await create_users(client, admin, 1, roles=("organizer",)))[0]
        customer = await login(client, (await create_users(client, admin, 1))[0].email)
        show = await create_show(client, organizer, 2, 10)
        seats = [s["id"] for s in show["seats"]]
        hold = await client.post(
            f"/shows/{show['id']}/holds", headers=customer.headers, json={"seat_ids": seats[:2]}
        )
        assert hold.status_code == 201, hold.text
        inventory = [p for p in processes(server) if p["service"] == "inventory"]
        _kill(server, "inventory", count=len(inventory))
        await asyncio.sleep(0.5)

        body = {"hold_id": hold.json()["hold_id"], "payment": {"token": "tok_success"}}
        started = time.monotonic()
        down = await client.post("/bookings", json=body, headers=customer.headers)
        assert down.status_code == 503, down.text
        assert down.headers["content-type"].startswith("application/problem+json")
        assert time.monotonic() - started < 5
        started = time.monotonic()
        again = await client.post("/bookings", json=body, headers=customer.headers)
        assert again.status_code == 503 and time.monotonic() - started < 1  # breaker open

        restarted = _restart(server, own, inventory)
        try:

            async def book() -> httpx.Response | None:
                r = await client.post("/bookings", json=body, headers=customer.headers)
                return r if r.status_code == 202 else None

            deadline = time.monotonic() + 60
            while (booked := await book()) is None:
                assert time.monotonic() < deadline, "booking never recovered"
                await asyncio.sleep(0.5)
            final = await settle(client, customer, booked.json()["booking_id"])
            assert final["status"] == "CONFIRMED", final
        finally:
            for process in restarted:
                process.terminate()
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _restart(
    server: Server, own: Infra, victims: list[dict[str, Any]]
) -> list[subprocess.Popen[bytes]]:
    catalog = [p for p in processes(server) if p["service"] == "catalog"]
    var = server.log.parent / "var"
    env = {
        **os.environ,
        **own.env(),
        "BOXOFFICE_VAR_DIR": str(var),
        "BOXOFFICE_CATALOG_URLS": ",".join(f"http://127.0.0.1:{p['port']}" for p in catalog),
        "BOXOFFICE_LOG_LEVEL": "WARNING",
    }
    logs = Path(var / "cluster" / "logs")
    started = []
    for victim in victims:
        with (logs / f"inventory-{victim['port']}-restarted.log").open("ab") as out:
            started.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "boxoffice.cli",
                        "serve",
                        "inventory",
                        "--port",
                        str(victim["port"]),
                    ],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
    return started
