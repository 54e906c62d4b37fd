"""What the scenarios need, made over the public API before any timing starts: customers (with
access tokens) and published shows of a given size."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

PASSWORD = "bench-password-1"


@dataclass(frozen=True)
class Account:
    id: str
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass(frozen=True)
class Show:
    id: str
    rows: list[list[int]]  # seat ids row by row, left to right
    seat_count: int


class World:
    def __init__(self, base_url: str, admin: tuple[str, str]) -> None:
        self.client = httpx.AsyncClient(
            base_url=f"{base_url.rstrip('/')}/api/v1",
            timeout=httpx.Timeout(120.0),
            limits=httpx.Limits(max_connections=16),
        )
        self._admin_credentials = admin
        self.admin: Account | None = None
        self.organizer: Account | None = None
        self.accounts: list[Account] = []

    async def close(self) -> None:
        await self.client.aclose()

    async def login(self, email: str, password: str) -> Account:
        r = await self.client.post("/auth/login", json={"email": email, "password": password})
        if r.status_code != 200:
            raise RuntimeError(f"login as {email} failed: {r.status_code} {r.text}")
        token = r.json()["access_token"]
        me = await self.client.get("/users/me", headers={"Authorization": f"Bearer {token}"})
        me.raise_for_status()
        return Account(me.json()["id"], email, token)

    async def prepare(self, customers: int) -> None:
        """Log the admin in, make an organizer and `customers` customers (argon2 is slow on
        purpose, so a few at a time)."""
        self.admin = await self.login(*self._admin_credentials)
        self.organizer = (await self._users(1, ["organizer"]))[0]
        if customers > len(self.accounts):
            self.accounts += await self._users(customers - len(self.accounts), ["customer"])

    async def _users(self, count: int, roles: list[str]) -> list[Account]:
        assert self.admin is not None
        gate = asyncio.Semaphore(4)

        async def one() -> Account:
            email = f"bench-{uuid.uuid4().hex[:12]}@boxoffice.example"
            async with gate:
                r = await self.client.post(
                    "/admin/users",
                    headers=self.admin.headers,  # type: ignore[union-attr]
                    json={"email": email, "password": PASSWORD, "name": "Bench", "roles": roles},
                )
                if r.status_code != 201:
                    raise RuntimeError(f"creating a user failed: {r.status_code} {r.text}")
                return await self.login(email, PASSWORD)

        return list(await asyncio.gather(*(one() for _ in range(count))))

    async def refresh_tokens(self) -> None:
        """Access tokens last 15 minutes; a long run logs everyone in again between scenarios."""
        self.accounts = [await self.login(a.email, PASSWORD) for a in self.accounts]

    async def show(self, seats: int, *, seats_per_row: int = 100, title: str = "Bench") -> Show:
        """A published show of ceil(seats / seats_per_row) rows on sale now; waits until its
        seat map answers."""
        assert self.organizer is not None
        h = self.organizer.headers
        per_row = min(seats_per_row, seats)
        rows = -(-seats // per_row)
        venue = await self.client.post(
            "/venues", headers=h, json={"name": f"{title} Arena", "city": "Benchville"}
        )
        venue.raise_for_status()
        hall = await self.client.post(
            f"/venues/{venue.json()['id']}/halls",
            headers=h,
            json={"name": "Main", "grid": {"rows": rows, "seats_per_row": per_row}},
        )
        if hall.status_code != 201:
            raise RuntimeError(f"hall: {hall.status_code} {hall.text}")
        event = await self.client.post(
            "/events",
            headers=h,
            json={"title": title, "category": "concert", "duration_minutes": 120},
        )
        event.raise_for_status()
        now = datetime.now(UTC)
        starts = now + timedelta(days=30)
        show = await self.client.post(
            "/shows",
            headers=h,
            json={
                "event_id": event.json()["id"],
                "hall_id": hall.json()["id"],
                "starts_at": starts.isoformat(),
                "currency": "EUR",
                "prices": {"standard": 4500},
                "sales_start": (now - timedelta(hours=1)).isoformat(),
                "sales_end": (starts - timedelta(hours=1)).isoformat(),
                "max_per_booking": 10,
            },
        )
        if show.status_code != 201:
            raise RuntimeError(f"show: {show.status_code} {show.text}")
        show_id = show.json()["id"]
        published = await self.client.post(f"/shows/{show_id}/publish", headers=h)
        published.raise_for_status()
        deadline = time.monotonic() + 120
        while True:
            r = await self.client.get(f"/shows/{show_id}/seats")
            if r.status_code == 200 and len(r.json()["seats"]) == rows * per_row:
                return Show(show_id, rows_of(r.json()["seats"]), rows * per_row)
            if time.monotonic() > deadline:
                raise RuntimeError(f"show {show_id} never went on sale: {r.status_code}")
            await asyncio.sleep(0.2)


def rows_of(seats: list[dict[str, Any]]) -> list[list[int]]:
    rows: dict[str, list[dict[str, Any]]] = {}
    for s in seats:
        rows.setdefault(s["row"], []).append(s)
    return [
        [s["id"] for s in sorted(row, key=lambda s: s["x"])]
        for _, row in sorted(rows.items(), key=lambda kv: kv[1][0]["y"])
    ]
