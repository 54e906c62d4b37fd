"""The whole customer journey over HTTP: browse, hold, book, pay, tickets, cancel, refund."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.acceptance.conftest import User, book, settled, wait_for


def test_customer_journey_from_register_to_refund(
    anon: httpx.Client, make_show: Callable[..., dict[str, Any]]
) -> None:
    show = make_show()
    r = anon.post(
        "/auth/register",
        json={"email": "journey@boxoffice.example", "password": "journey-pass", "name": "Jo Urney"},
    )
    assert r.status_code == 201, r.text
    tokens = anon.post(
        "/auth/login", json={"email": "journey@boxoffice.example", "password": "journey-pass"}
    ).json()
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] > 0
    me = User(
        anon,
        "journey@boxoffice.example",
        r.json()["id"],
        {"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert me.get("/users/me").json()["roles"] == ["customer"]

    listed = anon.get("/shows", params={"city": "Testville", "limit": 200}).json()
    assert show["id"] in {s["id"] for s in listed["items"]}

    seats = [s for s in show["seats"] if s["state"] == "available"][:2]
    hold_id, booking_id = book(me, show["id"], [s["id"] for s in seats])
    booking = settled(me, booking_id)
    assert booking["status"] == "CONFIRMED", booking
    assert booking["total"] == sum(s["price"] for s in seats)
    assert [t["status"] for t in booking["tickets"]] == ["valid", "valid"]
    assert all(t["code"].startswith("BX1.") for t in booking["tickets"])
    steps = [s["step"] for s in booking["steps"]]
    assert steps[0] == "created" and steps[-1] == "confirmed"

    seat_map = anon.get(f"/shows/{show['id']}/seats").json()
    states = {s["id"]: s["state"] for s in seat_map["seats"]}
    assert all(states[s["id"]] == "sold" for s in seats)
    assert len(me.get("/tickets").json()) == 2
    payment = me.get(f"/bookings/{booking_id}/payment").json()
    assert payment["status"] == "captured" and payment["amount"] == booking["total"]

    cancelled = me.post(f"/bookings/{booking_id}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "CANCELLED"
    refunded = wait_for(
        lambda: me.get(f"/bookings/{booking_id}/payment").json()["status"] == "refunded"
    )
    assert refunded
    wait_for(
        lambda: all(
            s["state"] == "available"
            for s in anon.get(f"/shows/{show['id']}/seats").json()["seats"]
            if s["id"] in {x["id"] for x in seats}
        )
    )
    kinds = wait_for(
        lambda: (
            {n["kind"] for n in me.get("/notifications").json()}
            >= {"booking_confirmed", "booking_cancelled", "payment_refunded"}
        )
    )
    assert kinds
    assert hold_id
