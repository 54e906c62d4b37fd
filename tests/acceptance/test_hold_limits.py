"""Holds cannot be hoarded and an Idempotency-Key cannot be reused for other seats."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.acceptance.conftest import User


def test_a_customer_may_keep_only_so_many_live_holds_on_one_show(
    customer: User, make_show: Callable[..., dict[str, Any]]
) -> None:
    show = make_show(rows=2, seats_per_row=10)
    seats = [s["id"] for s in show["seats"]]
    for seat in seats[:10]:  # the default limit is 10 live holds per customer and show
        assert (
            customer.post(f"/shows/{show['id']}/holds", json={"seat_ids": [seat]}).status_code
            == 201
        )
    refused = customer.post(f"/shows/{show['id']}/holds", json={"seat_ids": [seats[10]]})
    assert refused.status_code == 409
    assert refused.json()["title"] == "Too many holds" and refused.json()["limit"] == 10
    states = {
        s["id"]: s["state"] for s in customer.get(f"/shows/{show['id']}/seats").json()["seats"]
    }
    assert states[seats[10]] == "available"


def test_releasing_a_hold_makes_room_for_another(
    customer: User, make_show: Callable[..., dict[str, Any]]
) -> None:
    show = make_show(rows=2, seats_per_row=10)
    seats = [s["id"] for s in show["seats"]]
    holds = [
        customer.post(f"/shows/{show['id']}/holds", json={"seat_ids": [s]}).json()["hold_id"]
        for s in seats[:10]
    ]
    assert customer.delete(f"/holds/{holds[0]}").status_code == 204
    again = customer.post(f"/shows/{show['id']}/holds", json={"seat_ids": [seats[10]]})
    assert again.status_code == 201, again.text


def test_an_idempotency_key_reused_for_other_seats_is_refused(
    customer: User, make_show: Callable[..., dict[str, Any]]
) -> None:
    show = make_show(rows=1, seats_per_row=6)
    seats = [s["id"] for s in show["seats"]]
    key = {"Idempotency-Key": "hold-key-1"}
    first = customer.post(f"/shows/{show['id']}/holds", json={"seat_ids": seats[:2]}, headers=key)
    assert first.status_code == 201
    other = customer.post(f"/shows/{show['id']}/holds", json={"seat_ids": seats[2:4]}, headers=key)
    assert other.status_code == 409
    assert other.headers["content-type"].startswith("application/problem+json")
    states = {
        s["id"]: s["state"] for s in customer.get(f"/shows/{show['id']}/seats").json()["seats"]
    }
    assert states[seats[2]] == states[seats[3]] == "available"
