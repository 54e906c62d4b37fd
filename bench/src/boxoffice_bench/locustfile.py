"""Realistic user journeys for Locust (not run by `make test` or `boxoffice bench`):

    uv run locust -f bench/src/boxoffice_bench/locustfile.py --headless -u 200 -r 20 -t 2m \\
        --host http://127.0.0.1:8000 --csv var/locust/run

Buyers register, browse the show list, open a seat map, hold 1–4 adjacent free seats, book and
pay with the test card, poll the booking until it settles and open their tickets; browsers only
look. Seat maps are revalidated with If-None-Match, as the web UI does. Works against either
shape and any data (e.g. `boxoffice up --demo`)."""

from __future__ import annotations

import random
import time
import uuid
from typing import Any

from locust import HttpUser, between, task

PASSWORD = "locust-password-1"


def adjacent_free(seat_map: dict[str, Any], k: int) -> list[int]:
    """Up to k adjacent available seats of one row, chosen at random; [] when none are free."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for seat in seat_map.get("seats", []):
        rows.setdefault(seat["row"], []).append(seat)
    candidates = []
    for row in rows.values():
        row.sort(key=lambda s: s["x"])
        for i in range(len(row)):
            run = row[i : i + k]
            if len(run) == k and all(s["state"] == "available" for s in run):
                candidates.append([s["id"] for s in run])
    return random.choice(candidates) if candidates else []


class Browser(HttpUser):
    """Looks at shows and seat maps, never buys."""

    weight = 3
    wait_time = between(1, 4)

    def on_start(self) -> None:
        self.etags: dict[str, str] = {}

    @task
    def browse(self) -> None:
        shows = self.client.get("/api/v1/shows?limit=20", name="/shows").json()["items"]
        if not shows:
            return
        show = random.choice(shows)
        headers = {"If-None-Match": self.etags[show["id"]]} if show["id"] in self.etags else {}
        with self.client.get(
            f"/api/v1/shows/{show['id']}/seats",
            headers=headers,
            name="/shows/{id}/seats",
            catch_response=True,
        ) as r:
            if r.status_code in (200, 304):
                r.success()
                if "ETag" in r.headers:
                    self.etags[show["id"]] = r.headers["ETag"]


class Buyer(HttpUser):
    """Registers once, then buys: browse → seat map → hold → book → poll → tickets."""

    weight = 1
    wait_time = between(2, 6)

    def on_start(self) -> None:
        email = f"locust-{uuid.uuid4().hex[:12]}@boxoffice.example"
        self.client.post(
            "/api/v1/auth/register",
            json={"email": email, "password": PASSWORD, "name": "Locust Buyer"},
            name="/auth/register",
        )
        r = self.client.post(
            "/api/v1/auth/login",
            json={"email": email, "password": PASSWORD},
            name="/auth/login",
        )
        self.headers = {"Authorization": f"Bearer {r.json()['access_token']}"}

    @task
    def buy(self) -> None:
        shows = self.client.get("/api/v1/shows?limit=50", name="/shows").json()["items"]
        if not shows:
            return
        show = random.choice(shows)
        seat_map = self.client.get(
            f"/api/v1/shows/{show['id']}/seats", name="/shows/{id}/seats"
        ).json()
        seats = adjacent_free(seat_map, random.randint(1, 4))
        if not seats:
            return
        with self.client.post(
            f"/api/v1/shows/{show['id']}/holds",
            json={"seat_ids": seats},
            headers=self.headers,
            name="/shows/{id}/holds",
            catch_response=True,
        ) as r:
            if r.status_code == 409:  # someone was faster: part of the game, not a failure
                r.success()
                return
            if r.status_code != 201:
                r.failure(f"hold answered {r.status_code}")
                return
            hold_id = r.json()["hold_id"]
        r = self.client.post(
            "/api/v1/bookings",
            json={"hold_id": hold_id, "payment": {"method": "card", "token": "tok_success"}},
            headers={**self.headers, "Idempotency-Key": uuid.uuid4().hex},
            name="/bookings",
        )
        if r.status_code != 202:
            return
        booking_id = r.json()["booking_id"]
        deadline = time.monotonic() + 30
        status = "PENDING"
        while status == "PENDING" and time.monotonic() < deadline:
            time.sleep(0.25)
            status = self.client.get(
                f"/api/v1/bookings/{booking_id}", headers=self.headers, name="/bookings/{id}"
            ).json()["status"]
        if status == "CONFIRMED":
            self.client.get("/api/v1/tickets", headers=self.headers, name="/tickets")
