"""Acceptance fixtures: users of each role and published shows, made over the public API."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN, Server


@dataclass
class User:
    """A logged-in API client."""

    client: httpx.Client
    email: str
    id: str
    headers: dict[str, str] = field(default_factory=dict)

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.client.get(path, headers=self.headers, **kw)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        headers = {**self.headers, **kw.pop("headers", {})}
        return self.client.post(path, headers=headers, **kw)

    def put(self, path: str, **kw: Any) -> httpx.Response:
        return self.client.put(path, headers=self.headers, **kw)

    def patch(self, path: str, **kw: Any) -> httpx.Response:
        return self.client.patch(path, headers=self.headers, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.client.delete(path, headers=self.headers, **kw)


def login(client: httpx.Client, email: str, password: str) -> User:
    r = client.post("/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    me = client.get("/users/me", headers=headers).json()
    return User(client, email, me["id"], headers)


@pytest.fixture(scope="session")
def anon(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.api, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def admin(anon: httpx.Client) -> User:
    return login(anon, *ADMIN)


def new_user(anon: httpx.Client, admin: User, *roles: str) -> User:
    """A user of these roles (customer by default), made by the admin and logged in."""
    email = f"u{uuid.uuid4().hex[:12]}@boxoffice.example"
    password = "a-good-password"
    r = admin.post(
        "/admin/users",
        json={
            "email": email,
            "password": password,
            "name": "Test User",
            "roles": list(roles) or ["customer"],
        },
    )
    assert r.status_code == 201, r.text
    return login(anon, email, password)


@pytest.fixture(scope="session")
def make_user(anon: httpx.Client, admin: User) -> Callable[..., User]:
    def make(*roles: str) -> User:
        return new_user(anon, admin, *roles)

    return make


@pytest.fixture(scope="session")
def organizer(make_user: Callable[..., User]) -> User:
    return make_user("organizer")


@pytest.fixture
def customer(make_user: Callable[..., User]) -> User:
    return make_user("customer")


def wait_for(check: Callable[[], Any], timeout: float = 15.0, every: float = 0.1) -> Any:
    """Poll until check() returns something truthy; the value is returned."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last: {value!r})")
        time.sleep(every)


@pytest.fixture(scope="session")
def make_show(organizer: User) -> Callable[..., dict[str, Any]]:
    """Shows of the session's organizer: see new_show."""

    def make(*args: Any, **kw: Any) -> dict[str, Any]:
        return new_show(organizer, *args, **kw)

    return make


def new_show(
    organizer: User,
    rows: int = 5,
    seats_per_row: int = 10,
    *,
    ga_capacity: int = 0,
    max_per_booking: int = 10,
    publish: bool = True,
    starts_in: timedelta = timedelta(days=7),
    time_zone: str = "UTC",
    max_held_per_customer: int | None = None,
) -> dict[str, Any]:
    """Create a venue, a hall (rows × seats grid, optional GA area), an event and a published
    show on sale now; waits until inventory sells it. Returns the show and its seat map."""
    venue = organizer.post(
        "/venues", json={"name": "Test Venue", "city": "Testville", "time_zone": time_zone}
    ).json()
    hall = organizer.post(
        f"/venues/{venue['id']}/halls",
        json={
            "name": "Hall",
            "grid": {
                "rows": rows,
                "seats_per_row": seats_per_row,
                "category": "standard",
                "row_categories": {"A": "premium"},
            },
            "ga_areas": [{"name": "Floor", "category": "standing", "capacity": ga_capacity}]
            if ga_capacity
            else [],
        },
    )
    assert hall.status_code == 201, hall.text
    event = organizer.post(
        "/events", json={"title": "Test Event", "category": "concert", "duration_minutes": 90}
    ).json()
    now = datetime.now(UTC)
    starts = now + starts_in
    show = organizer.post(
        "/shows",
        json={
            "event_id": event["id"],
            "hall_id": hall.json()["id"],
            "starts_at": starts.isoformat(),
            "currency": "EUR",
            "prices": {"premium": 5000, "standard": 3000, "standing": 2000},
            "sales_start": (now - timedelta(hours=1)).isoformat(),
            "sales_end": (starts - timedelta(minutes=30)).isoformat(),
            "max_per_booking": max_per_booking,
            **({"max_held_per_customer": max_held_per_customer} if max_held_per_customer else {}),
        },
    )
    assert show.status_code == 201, show.text
    show_id = show.json()["id"]
    if not publish:
        return {"show": show.json(), "seats": [], "hall": hall.json()}
    assert organizer.post(f"/shows/{show_id}/publish").status_code == 200
    seat_map = wait_for(lambda: _seat_map(organizer.client, show_id))
    return {
        "show": show.json(),
        "seats": seat_map["seats"],
        "areas": seat_map["ga_areas"],
        "hall": hall.json(),
        "id": show_id,
    }


def _seat_map(client: httpx.Client, show_id: str) -> dict[str, Any] | None:
    r = client.get(f"/shows/{show_id}/seats")
    return r.json() if r.status_code == 200 else None


def book(
    user: User,
    show_id: str,
    seat_ids: list[int],
    token: str = "tok_success",
    *,
    ga: list[dict[str, int]] | None = None,
) -> tuple[str, str]:
    """Hold and book; returns (hold_id, booking_id)."""
    hold = user.post(f"/shows/{show_id}/holds", json={"seat_ids": seat_ids, "ga": ga or []})
    assert hold.status_code == 201, hold.text
    hold_id = hold.json()["hold_id"]
    booking = user.post(
        "/bookings",
        json={"hold_id": hold_id, "payment": {"token": token}},
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    assert booking.status_code == 202, booking.text
    return hold_id, booking.json()["booking_id"]


def settled(user: User, booking_id: str, timeout: float = 15.0) -> dict[str, Any]:
    """Wait until the booking leaves PENDING; returns it."""

    def check() -> dict[str, Any] | None:
        b = user.get(f"/bookings/{booking_id}").json()
        return b if b["status"] != "PENDING" else None

    result: dict[str, Any] = wait_for(check, timeout)
    return result
