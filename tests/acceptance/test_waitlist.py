"""A sold-out show's waiting list through the API of a running server (both shapes): customers
join it, a seat that comes back is offered to the first as a hold reserved for them with a
notification, they book it as any hold, an offer given back goes to the next; a sold-out
waiting room sends its line there and lets no one in while the list is served; bad input and
strangers change nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from tests.acceptance.conftest import User, settled, wait_for
from tests.acceptance.test_mail import mail_to
from tests.acceptance.test_waiting_room import admitted, hold, join, open_room, problem


def offered(user: User, show_id: str) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        status = user.get(f"/shows/{show_id}/waitlist/me").json()
        return status if status["state"] == "offered" else None

    return dict(wait_for(check, timeout=20))


def test_a_seat_that_comes_back_is_offered_in_turn_and_booked_like_any_hold(
    make_show: Callable[..., dict[str, Any]],
    make_user: Callable[..., User],
    anon: Any,
    admin: User,
) -> None:
    show = make_show(rows=1, seats_per_row=2)
    show_id, seats = show["id"], [s["id"] for s in show["seats"]]
    alice, bob, carol = make_user(), make_user(), make_user()
    holds = [
        alice.post(f"/shows/{show_id}/holds", json={"seat_ids": [s]}).json()["hold_id"]
        for s in seats
    ]

    # bad input and strangers
    assert problem(anon.post(f"/shows/{show_id}/waitlist", json={}), 401)
    for bad in ({"quantity": 0}, {"quantity": "two"}, {"quantity": 101}, [1]):
        assert problem(bob.post(f"/shows/{show_id}/waitlist", json=bad), 422), bad
    assert problem(bob.post(f"/shows/{show_id}/waitlist", json={"quantity": 11}), 422)[
        "type"
    ].endswith(":too-many-seats")
    assert problem(bob.post(f"/shows/{uuid.uuid4()}/waitlist", json={}), 404)
    assert problem(bob.get(f"/shows/{show_id}/waitlist/me"), 404)["type"].endswith(
        ":not-on-waitlist"
    )
    roomy = make_show(rows=1, seats_per_row=2)
    free = problem(bob.post(f"/shows/{roomy['id']}/waitlist", json={}), 409)
    assert free["type"].endswith(":places-available") and free["seats_free"] == 2

    joined = bob.post(f"/shows/{show_id}/waitlist", json={"quantity": 1})
    assert joined.status_code == 201, joined.text
    assert joined.headers["location"] == f"/api/v1/shows/{show_id}/waitlist/me"
    assert joined.json()["state"] == "waiting" and joined.json()["position"] == 1
    assert bob.post(f"/shows/{show_id}/waitlist", json={}).status_code == 200  # kept place
    assert carol.post(f"/shows/{show_id}/waitlist").json()["position"] == 2  # body optional

    # a seat comes back: bob is offered it, told, and books it as any hold
    assert alice.delete(f"/holds/{holds[0]}").status_code == 204
    offer = offered(bob, show_id)["offer"]
    assert carol.get(f"/shows/{show_id}/waitlist/me").json()["position"] == 1
    mine = bob.get(f"/holds/{offer['hold_id']}").json()
    assert mine["seat_ids"] == [seats[0]]
    assert problem(carol.get(f"/holds/{offer['hold_id']}"), 404)  # reserved for bob
    told = wait_for(
        lambda: [n for n in bob.get("/notifications").json() if n["kind"] == "waitlist_offer"]
    )
    assert told[0]["title"].startswith("Tickets for you: ")
    assert show["seats"][0]["label"] in told[0]["body"]
    mail = mail_to(admin, bob.email, "waitlist_offer")  # and by mail, with the way to book
    assert f"#/checkout/{offer['hold_id']}" in mail["text"]
    assert show["seats"][0]["label"] in mail["text"]
    booking = bob.post(
        "/bookings", json={"hold_id": offer["hold_id"], "payment": {"token": "tok_success"}}
    )
    assert booking.status_code == 202, booking.text
    assert settled(bob, booking.json()["booking_id"])["status"] == "CONFIRMED"
    wait_for(lambda: bob.get(f"/shows/{show_id}/waitlist/me").json()["state"] == "booked")

    # the second seat goes to carol; she gives the offer back and the seat is free again
    assert alice.delete(f"/holds/{holds[1]}").status_code == 204
    second = offered(carol, show_id)["offer"]
    assert carol.delete(f"/shows/{show_id}/waitlist/me").status_code == 204
    assert problem(carol.delete(f"/shows/{show_id}/waitlist/me"), 404)
    assert carol.get(f"/shows/{show_id}/waitlist/me").json()["state"] == "left"
    assert problem(carol.get(f"/holds/{second['hold_id']}"), 404)
    states = {s["id"]: s["state"] for s in anon.get(f"/shows/{show_id}/seats").json()["seats"]}
    assert states == {seats[0]: "sold", seats[1]: "available"}


def test_a_sold_out_waiting_room_sends_its_line_to_the_waiting_list_and_serves_it_first(
    make_show: Callable[..., dict[str, Any]], organizer: User, make_user: Callable[..., User]
) -> None:
    show = make_show(rows=1, seats_per_row=1)
    show_id, seat = show["id"], show["seats"][0]["id"]
    assert open_room(organizer, show_id, on_sale_in=0, rate=6000).status_code == 200
    first, second = make_user(), make_user()
    token = admitted(first, join(first, show_id).json()["queue_id"])["admission_pass"]
    held = hold(first, show_id, seat, token)
    assert held.status_code == 201, held.text

    place = join(second, show_id).json()["queue_id"]
    told = wait_for(
        lambda: (s := second.get(f"/queue/{place}").json())["state"] == "sold_out" and s
    )
    assert told["waitlist"] == f"/api/v1/shows/{show_id}/waitlist"
    assert second.post(told["waitlist"].removeprefix("/api/v1"), json={}).status_code == 201

    # the seat comes back: it is offered to the waiting list, not to the line
    assert first.delete(f"/holds/{held.json()['hold_id']}").status_code == 204
    offer = offered(second, show_id)["offer"]
    assert second.get(f"/holds/{offer['hold_id']}").json()["seat_ids"] == [seat]
    status = second.get(f"/queue/{place}").json()
    assert status["state"] == "sold_out" and status["admission_pass"] is None
    room = organizer.get(f"/shows/{show_id}/waiting-room").json()
    assert room["waitlist"]["offered"] == 1 and room["sold_out"] is True
