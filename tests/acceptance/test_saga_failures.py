"""The booking saga's failure branches over HTTP: declined, unanswered and slow payments,
expired holds, repeated requests, and shows cancelled under confirmed bookings."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.acceptance.checks import MakeShow, notification_kinds, problem, seat_states
from tests.acceptance.conftest import User, book, login, settled, wait_for
from tests.conftest import Infra, start_server, stop_server

PASSWORD = "a-good-password"  # what make_user gives every user


def _available(client: httpx.Client, show_id: str, seat_ids: list[int]) -> bool:
    states = seat_states(client, show_id)
    return all(states[s] == "available" for s in seat_ids)


def test_declined_card_fails_the_booking_releases_the_seats_and_tells_the_customer(
    anon: httpx.Client, make_show: MakeShow, customer: User, make_user: Callable[..., User]
) -> None:
    show = make_show()
    seats = [s["id"] for s in show["seats"][:2]]
    hold_id, booking_id = book(customer, show["id"], seats, "tok_decline")

    booking = settled(customer, booking_id)
    assert booking["status"] == "FAILED", booking
    assert "declined" in booking["reason"], booking["reason"]
    assert booking["tickets"] == []
    steps = [s["step"] for s in booking["steps"]]
    assert steps[0] == "created" and steps[-1] == "failed" and "payment_captured" not in steps

    payment = customer.get(f"/bookings/{booking_id}/payment").json()
    assert payment["status"] == "failed", payment
    assert "declined" in payment["failure_reason"]
    assert payment["refunded"] == 0 and payment["refunds"] == []

    wait_for(lambda: _available(anon, show["id"], seats))
    problem(customer.get(f"/holds/{hold_id}"), 404)
    assert wait_for(lambda: "booking_failed" in notification_kinds(customer, booking_id))
    failed = [n for n in customer.get("/notifications").json() if n["kind"] == "booking_failed"]
    assert "declined" in failed[0]["body"]

    # The freed seats sell to the next customer.
    other = make_user("customer")
    _, again = book(other, show["id"], seats)
    assert settled(other, again)["status"] == "CONFIRMED"
    assert customer.get("/tickets").json() == []


def test_unanswered_payment_fails_the_booking_at_the_saga_deadline_and_charges_nothing(
    anon: httpx.Client, make_show: MakeShow, customer: User
) -> None:
    show = make_show()
    seats = [s["id"] for s in show["seats"][:2]]
    _, booking_id = book(customer, show["id"], seats, "tok_timeout")
    assert customer.get(f"/bookings/{booking_id}").json()["status"] == "PENDING"
    assert seat_states(anon, show["id"])[seats[0]] == "held"

    booking = settled(customer, booking_id, timeout=20)
    assert booking["status"] == "FAILED", booking
    assert "did not complete within 4 seconds" in booking["reason"], booking["reason"]
    waited = datetime.fromisoformat(booking["updated_at"]) - datetime.fromisoformat(
        booking["created_at"]
    )
    assert 4 <= waited.total_seconds() < 15, waited  # the server runs with a 4 s deadline
    assert booking["tickets"] == []

    wait_for(lambda: _available(anon, show["id"], seats))
    payment = wait_for(
        lambda: (
            p
            if (p := customer.get(f"/bookings/{booking_id}/payment").json())["status"] == "voided"
            else None
        )
    )
    assert payment["refunded"] == 0 and payment["refunds"] == []
    assert payment["provider_ref"] is None
    assert wait_for(lambda: "booking_failed" in notification_kinds(customer, booking_id))
    # Still nothing captured a little later: the provider's silence never turns into a charge.
    time.sleep(1)
    assert customer.get(f"/bookings/{booking_id}/payment").json()["status"] == "voided"


def test_slow_payment_within_the_deadline_confirms_the_booking(
    anon: httpx.Client, make_show: MakeShow, customer: User
) -> None:
    show = make_show()
    seats = [s["id"] for s in show["seats"][:3]]
    _, booking_id = book(customer, show["id"], seats, "tok_slow")
    assert customer.get(f"/bookings/{booking_id}").json()["status"] == "PENDING"

    booking = settled(customer, booking_id)
    assert booking["status"] == "CONFIRMED", booking
    assert booking["reason"] is None
    assert len(booking["tickets"]) == 3
    payment = customer.get(f"/bookings/{booking_id}/payment").json()
    assert payment["status"] == "captured" and payment["amount"] == booking["total"]
    states = seat_states(anon, show["id"])
    assert [states[s] for s in seats] == ["sold"] * 3


@pytest.mark.own_server
def test_expired_hold_frees_its_seats_and_can_no_longer_be_booked(
    infra: Infra,
    tmp_path: Path,
    make_show: MakeShow,
    make_user: Callable[..., User],
) -> None:
    show = make_show()
    seats = [s["id"] for s in show["seats"][:2]]
    first, second = make_user("customer"), make_user("customer")
    short = start_server(infra, tmp_path / "short", hold_ttl_seconds="2", hold_sweep_seconds="0.5")
    try:
        with httpx.Client(base_url=short.api, timeout=30) as client:
            a = login(client, first.email, PASSWORD)
            b = login(client, second.email, PASSWORD)
            r = a.post(f"/shows/{show['id']}/holds", json={"seat_ids": seats})
            assert r.status_code == 201, r.text
            held_at = time.monotonic()
            hold_id = r.json()["hold_id"]
            ttl = datetime.fromisoformat(r.json()["expires_at"]) - datetime.now(UTC)
            assert 0 < ttl.total_seconds() <= 2.5, ttl
            assert a.get(f"/holds/{hold_id}").json()["state"] == "held"
            assert [seat_states(client, show["id"])[s] for s in seats] == ["held", "held"]
            problem(b.post(f"/shows/{show['id']}/holds", json={"seat_ids": seats}), 409)

            wait_for(lambda: _available(client, show["id"], seats), timeout=5, every=0.1)
            assert time.monotonic() - held_at < 3.5
            # The sweeper deletes the expired hold: it is unknown from then on.
            wait_for(lambda: a.get(f"/holds/{hold_id}").status_code == 404, timeout=3)
            gone = problem(a.get(f"/holds/{hold_id}"), 404)
            assert "expired" in gone["detail"]
            late = a.post(
                "/bookings",
                json={"hold_id": hold_id, "payment": {"token": "tok_success"}},
                headers={"Idempotency-Key": uuid.uuid4().hex},
            )
            assert problem(late, 404)["title"] == "Unknown hold"
            assert a.get("/bookings").json() == []

            taken_over = b.post(f"/shows/{show['id']}/holds", json={"seat_ids": seats})
            assert taken_over.status_code == 201, taken_over.text
            assert [seat_states(client, show["id"])[s] for s in seats] == ["held", "held"]
    finally:
        stop_server(short)
        # Let a pull request the stopped server left open at NATS lapse (1 s) before more events.
        time.sleep(1.5)
    assert "Traceback" not in short.log.read_text()


def test_repeated_idempotency_key_books_once_and_a_changed_body_is_rejected(
    make_show: MakeShow, customer: User
) -> None:
    show = make_show()
    hold = customer.post(
        f"/shows/{show['id']}/holds", json={"seat_ids": [show["seats"][0]["id"]]}
    ).json()
    key = {"Idempotency-Key": uuid.uuid4().hex}
    body = {"hold_id": hold["hold_id"], "payment": {"method": "card", "token": "tok_success"}}

    first = customer.post("/bookings", json=body, headers=key)
    again = customer.post("/bookings", json=body, headers=key)
    assert first.status_code == again.status_code == 202, (first.text, again.text)
    assert again.json() == first.json()
    booking_id = first.json()["booking_id"]

    changed = {**body, "payment": {"method": "card", "token": "tok_slow"}}
    assert (
        "Idempotency-Key"
        in problem(customer.post("/bookings", json=changed, headers=key), 409)["detail"]
    )
    # A hold backs one booking: booking it again, under any key, finds that booking.
    other_key = customer.post("/bookings", json=body, headers={"Idempotency-Key": "another-key"})
    assert other_key.status_code == 202 and other_key.json()["booking_id"] == booking_id
    no_key = customer.post("/bookings", json=body)
    assert no_key.status_code == 202 and no_key.json()["booking_id"] == booking_id

    assert settled(customer, booking_id)["status"] == "CONFIRMED"
    after = customer.post("/bookings", json=body, headers=key)
    assert after.status_code == 202 and after.json()["booking_id"] == booking_id
    listed = customer.get("/bookings").json()
    assert [b["id"] for b in listed] == [booking_id]
    assert len(customer.get("/tickets").json()) == 1


def test_cancelling_a_show_cancels_and_refunds_its_confirmed_bookings(
    anon: httpx.Client, make_show: MakeShow, organizer: User, customer: User
) -> None:
    show = make_show()
    seats = [s["id"] for s in show["seats"][:2]]
    _, booking_id = book(customer, show["id"], seats)
    assert settled(customer, booking_id)["status"] == "CONFIRMED"

    r = organizer.post(f"/shows/{show['id']}/cancel", json={"reason": "The band is ill."})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"

    booking = wait_for(
        lambda: (
            b
            if (b := customer.get(f"/bookings/{booking_id}").json())["status"] == "CANCELLED"
            else None
        )
    )
    assert "show was cancelled" in booking["reason"] and "The band is ill." in booking["reason"]
    assert [t["status"] for t in booking["tickets"]] == ["void", "void"]
    payment = wait_for(
        lambda: (
            p
            if (p := customer.get(f"/bookings/{booking_id}/payment").json())["status"] == "refunded"
            else None
        )
    )
    assert payment["refunded"] == payment["amount"] == booking["total"]
    assert len(payment["refunds"]) == 1
    assert wait_for(
        lambda: (
            notification_kinds(customer, booking_id)
            >= {"booking_confirmed", "booking_cancelled", "payment_refunded"}
        )
    )
    wait_for(lambda: anon.get(f"/shows/{show['id']}/seats").json()["status"] == "cancelled")

    # A cancelled show sells nothing, and cannot be cancelled twice.
    def refused() -> dict[str, object] | None:
        r = customer.post(f"/shows/{show['id']}/holds", json={"seat_ids": [seats[0]]})
        return r.json() if r.status_code == 409 else None

    closed = wait_for(refused)
    assert closed["title"] == "Not on sale" and "cancelled" in str(closed["detail"])
    problem(customer.post(f"/shows/{show['id']}/holds", json={"seat_ids": [seats[0]]}), 409)
    problem(organizer.post(f"/shows/{show['id']}/cancel"), 409)
    problem(customer.post(f"/bookings/{booking_id}/cancel"), 409)
