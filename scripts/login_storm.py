"""How much a burst of logins slows an unrelated read: the median latency of `GET /api/v1/shows`
alone, then while N customers log in at once (each from a loopback address of its own, as N
people would, so per-client rate limits do not mix them up).

    BOXOFFICE_VAR_DIR=/tmp/storm BOXOFFICE_ADMIN_EMAIL=storm-admin@boxoffice.example \
    BOXOFFICE_ADMIN_PASSWORD=storm-admin-password uv run boxoffice up --demo --port 8077 &
    uv run python scripts/login_storm.py --url http://127.0.0.1:8077
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from collections import Counter

import httpx

PASSWORD = "storm-password-1"


async def probe(client: httpx.AsyncClient, until: asyncio.Event | None, count: int) -> list[float]:
    """Sequential `GET /shows`, `count` of them or until `until` is set; latencies in ms."""
    took: list[float] = []
    while (until is None and len(took) < count) or (until is not None and not until.is_set()):
        start = time.perf_counter()
        r = await client.get("/shows", params={"limit": 20})
        took.append((time.perf_counter() - start) * 1000)
        assert r.status_code == 200, r.text
        await asyncio.sleep(0.01)
    return took


def client_from(api: str, address: str) -> httpx.AsyncClient:
    transport = httpx.AsyncHTTPTransport(local_address=address)
    return httpx.AsyncClient(base_url=api, transport=transport, timeout=120)


async def login(client: httpx.AsyncClient, email: str) -> int:
    r = await client.post("/auth/login", json={"email": email, "password": PASSWORD})
    return r.status_code


async def main(url: str, logins: int, rounds: int, admin: tuple[str, str]) -> None:
    api = f"{url.rstrip('/')}/api/v1"
    async with httpx.AsyncClient(base_url=api, timeout=120) as client:
        r = await client.post("/auth/login", json={"email": admin[0], "password": admin[1]})
        assert r.status_code == 200, r.text
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        emails = [f"storm-{uuid.uuid4().hex[:10]}@boxoffice.example" for _ in range(logins)]
        for email in emails:  # one at a time: making the users is not what is measured
            made = await client.post(
                "/admin/users",
                headers=headers,
                json={"email": email, "password": PASSWORD, "name": "Storm"},
            )
            assert made.status_code == 201, made.text
        await probe(client, None, 20)  # warm up
        idle = await probe(client, None, 100)
        busy: list[float] = []
        outcomes: Counter[int] = Counter()
        storm_seconds: list[float] = []
        for _ in range(rounds):
            # Made before the round: making a client builds an SSL context (tens of ms of this
            # process's loop each), which would stall the probe here, not the server.
            clients = [
                client_from(api, f"127.0.{1 + i // 200}.{10 + i % 200}") for i in range(logins)
            ]
            done = asyncio.Event()
            probing = asyncio.create_task(probe(client, done, 0))
            start = time.perf_counter()
            pairs = zip(clients, emails, strict=True)
            statuses = await asyncio.gather(*(login(c, e) for c, e in pairs))
            storm_seconds.append(time.perf_counter() - start)
            done.set()
            busy += await probing
            outcomes.update(statuses)
            for c in clients:
                await c.aclose()
            await asyncio.sleep(1)
    report = [
        f"GET /shows alone: median {statistics.median(idle):.1f} ms (n={len(idle)})",
        f"GET /shows during {logins} logins: median {statistics.median(busy):.1f} ms, "
        f"p90 {statistics.quantiles(busy, n=10)[-1]:.1f} ms, max {max(busy):.1f} ms "
        f"(n={len(busy)}, {rounds} rounds)",
        f"login answers: {dict(sorted(outcomes.items()))}",
        f"a round of {logins} logins took {statistics.median(storm_seconds):.2f} s (median)",
    ]
    sys.stdout.write("\n".join(report) + "\n")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--url", required=True)
    p.add_argument("--logins", type=int, default=30)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--admin-email", default="storm-admin@boxoffice.example")
    p.add_argument("--admin-password", default="storm-admin-password")
    args = p.parse_args()
    asyncio.run(main(args.url, args.logins, args.rounds, (args.admin_email, args.admin_password)))
