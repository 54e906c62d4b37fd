"""Money and tickets never drift apart, tried over HTTP the way the integrity report did: a hold
on a cancelled show, a price raised under a hold, an admin's full refund, a forged payment
event, one account hoarding a show, and show times in the venue's time zone."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import nats
import pytest

from boxoffice.kernel.events import Envelope
from tests.acceptance.checks import MakeShow, problem, seat_states
from tests.acceptance.conftest import User, book, settled, wait_for
from tests.conftest import Infra
from tests.invariants import wait_for_invariants


def _invariants(infra: Infra, show_id: str) -> list[str]:
    return asyncio.run(wait_for_invariants(infra.database_url, show_id, timeout=20))


def _payment(user: User, booking_id: str, *statuses: str) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        r = user.get(f"/bookings/{booking_id}/payment")
        return r.json() if r.status_code == 200 and r.json()["status"] in statuses else None

    found: dict[str, Any] = wait_for(check, 20)
    return found


def _status(user: User, booking_id: str, status: str) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        b = user.get(f"/bookings/{booking_id}").json()
        return b if b["status"] == status else None

    found: dict[str, Any] = wait_for(check, 20)
    return found


def test_a_hold_on_a_cancelled_show_can_no_longer_be_booked_or_paid(
    anon: httpx.Client, make_show: MakeShow, organizer: User, customer: User
) -> None:
    show = make_show()
    seat = show["seats"][0]["id"]
    hold = customer.post(f"/shows/{show['id']}/holds", json={"seat_ids": [seat]})
    assert hold.status_code == 201, hold.text
    hold_id = hold.json()["hold_id"]
    assert organizer.post(f"/shows/{show['id']}/cancel").status_code == 200

    # Cancelling the show ends its live holds...
    wait_for(lambda: customer.get(f"/holds/{hold_id}").status_code == 404)
    assert seat_states(anon, show["id"])[seat] == "available"
    # ...and booking the hold afterwards is refused without charging anything.
    r = customer.post("/bookings", json={"hold_id": hold_id, "payment": {"token": "tok_success"}})
    assert r.status_code in (404, 409), r.text
    problem(r, r.status_code)
    assert customer.get("/bookings").json() == []


def test_a_booking_paid_while_its_show_is_cancelled_ends_refunded_with_no_ticket(
    make_show: MakeShow, organizer: User, customer: User, infra: Infra
) -> None:
    show = make_show()
    _, booking_id = book(customer, show["id"], [show["seats"][0]["id"]], "tok_slow")
    assert organizer.post(f"/shows/{show['id']}/cancel").status_code == 200

    booking = settled(customer, booking_id, timeout=20)
    assert booking["status"] == "CANCELLED", booking
    assert "cancelled" in booking["reason"]
    assert all(t["status"] == "void" for t in booking["tickets"])
    payment = _payment(customer, booking_id, "voided", "refunded")
    assert payment["refunded"] in (0, payment["amount"])
    assert _invariants(infra, show["id"]) == []


def test_a_hold_keeps_the_price_it_was_quoted_and_a_new_price_applies_to_new_holds(
    anon: httpx.Client, make_show: MakeShow, organizer: User, customer: User
) -> None:
    show = make_show(rows=2, seats_per_row=4)
    standard = [s["id"] for s in show["seats"] if s["category"] == "standard"]
    quoted = customer.post(f"/shows/{show['id']}/holds", json={"seat_ids": standard[:1]})
    assert quoted.status_code == 201
    assert customer.get(f"/holds/{quoted.json()['hold_id']}").json()["total"] == 3000

    raised = organizer.patch(
        f"/shows/{show['id']}",
        json={"prices": {"premium": 5000, "standard": 99000, "standing": 2000}},
    )
    assert raised.status_code == 200, raised.text
    wait_for(
        lambda: (
            {s["id"]: s["price"] for s in anon.get(f"/shows/{show['id']}/seats").json()["seats"]}[
                standard[1]
            ]
            == 99000
        )
    )

    r = customer.post(
        "/bookings",
        json={"hold_id": quoted.json()["hold_id"], "payment": {"token": "tok_success"}},
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    assert r.status_code == 202, r.text
    booking = settled(customer, r.json()["booking_id"])
    assert (booking["status"], booking["total"]) == ("CONFIRMED", 3000)
    assert [line["unit_price"] for line in booking["lines"]] == [3000]
    assert customer.get(f"/bookings/{booking['id']}/payment").json()["amount"] == 3000

    def new_price() -> int | None:
        hold = customer.post(f"/shows/{show['id']}/holds", json={"seat_ids": standard[1:2]})
        assert hold.status_code == 201, hold.text
        total = int(customer.get(f"/holds/{hold.json()['hold_id']}").json()["total"])
        customer.delete(f"/holds/{hold.json()['hold_id']}")
        return total if total == 99000 else None

    assert wait_for(new_price) == 99000


def test_a_full_refund_cancels_the_booking_and_a_partial_one_keeps_it_with_the_amount(
    anon: httpx.Client, make_show: MakeShow, admin: User, customer: User, infra: Infra
) -> None:
    show = make_show()
    seats = [s["id"] for s in show["seats"][:4]]
    _, kept_id = book(customer, show["id"], seats[:2])
    _, refunded_id = book(customer, show["id"], seats[2:])
    kept, refunded = settled(customer, kept_id), settled(customer, refunded_id)
    assert kept["status"] == refunded["status"] == "CONFIRMED"

    partial = admin.post(
        f"/payments/{kept['payment_id']}/refund",
        json={"amount": 1000, "reason": "A draughty seat."},
    )
    assert partial.status_code == 200, partial.text
    kept = wait_for(
        lambda: (
            b if (b := customer.get(f"/bookings/{kept_id}").json())["refunded"] == 1000 else None
        )
    )
    assert kept["status"] == "CONFIRMED"
    assert [t["status"] for t in kept["tickets"]] == ["valid", "valid"]

    full = admin.post(f"/payments/{refunded['payment_id']}/refund", json={"reason": "Goodwill."})
    assert full.status_code == 200, full.text
    assert full.json()["status"] == "refunded"
    gone = _status(customer, refunded_id, "CANCELLED")
    assert gone["refunded"] == gone["total"]
    assert gone["reason"] == "Refunded in full: Goodwill."
    assert [t["status"] for t in gone["tickets"]] == ["void", "void"]
    wait_for(lambda: all(seat_states(anon, show["id"])[s] == "available" for s in seats[2:]))
    assert _invariants(infra, show["id"]) == []

    sales = admin.get(f"/shows/{show['id']}/sales").json()
    assert sales["revenue"] == kept["total"] - 1000
    assert sales["bookings"]["CANCELLED"] == 1


async def _publish(infra: Infra, envelope: Envelope) -> None:
    nc = await nats.connect(infra.nats_url)
    try:
        await nc.jetstream().publish(f"{infra.prefix}.{envelope.type}", envelope.to_json())
    finally:
        await nc.close()


def test_a_payment_event_for_the_wrong_amount_confirms_nothing_and_is_parked(
    make_show: MakeShow, admin: User, customer: User, infra: Infra
) -> None:
    show = make_show()
    _, booking_id = book(customer, show["id"], [show["seats"][0]["id"]], "tok_timeout")
    forged = Envelope(
        type="payment.payment.completed",
        payload={
            "payment_id": str(uuid.uuid4()),
            "booking_id": booking_id,
            "amount": 1,
            "currency": "EUR",
        },
        producer="payment",
    )
    asyncio.run(_publish(infra, forged))

    def parked() -> bool:
        letters = admin.get("/admin/dead-letters/booking").json()
        return any(d["event_id"] == str(forged.id) for d in letters)

    assert wait_for(parked)
    booking = settled(customer, booking_id, timeout=20)  # the saga's deadline ends it
    assert booking["status"] == "FAILED", booking
    assert booking["tickets"] == []
    assert _invariants(infra, show["id"]) == []


def test_one_account_cannot_hoard_a_show_with_bookings_that_never_pay(
    make_show: MakeShow, customer: User, make_user: Callable[..., User]
) -> None:
    show = make_show(max_held_per_customer=4)
    assert show["show"]["max_held_per_customer"] == 4
    seats = [s["id"] for s in show["seats"]]
    _, pending = book(customer, show["id"], seats[:4], "tok_timeout")

    refused = customer.post(f"/shows/{show['id']}/holds", json={"seat_ids": seats[4:5]})
    body = problem(refused, 409)
    assert body["title"] == "Too many holds" and body["limit"] == 4
    other = make_user("customer")
    assert (
        other.post(f"/shows/{show['id']}/holds", json={"seat_ids": seats[4:5]}).status_code == 201
    )

    assert settled(customer, pending, timeout=20)["status"] == "FAILED"
    # Its release gives the places back (asynchronously, by events).
    wait_for(
        lambda: (
            customer.post(f"/shows/{show['id']}/holds", json={"seat_ids": seats[5:9]}).status_code
            == 201
        )
    )


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "America/New_York"])
def test_show_times_carry_the_time_zone_of_their_venue(
    make_show: MakeShow, customer: User, zone: str
) -> None:
    show = make_show(time_zone=zone)
    assert show["show"]["time_zone"] == zone
    _, booking_id = book(customer, show["id"], [show["seats"][0]["id"]])
    booking = settled(customer, booking_id)
    assert booking["show_time_zone"] == zone
    tickets = [t for t in customer.get("/tickets").json() if t["booking_id"] == booking_id]
    assert {t["show_time_zone"] for t in tickets} == {zone}


def test_a_venue_needs_a_real_time_zone(organizer: User) -> None:
    r = organizer.post("/venues", json={"name": "V", "city": "C", "time_zone": "Mars/Olympus"})
    problem(r, 422)
