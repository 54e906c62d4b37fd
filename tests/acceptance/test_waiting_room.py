"""A show's waiting room, through the API of a running server (both shapes): the organizer opens
it, a hold without a pass is refused naming the queue, a customer does the join's proof of work,
is let in at on-sale and holds with the pass; passes of others, of other shows and forged ones
are refused; bad settings and strangers change nothing."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from boxoffice.inventory.onsale import solve, solves
from tests.acceptance.conftest import User, settled, wait_for


def problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return dict(r.json())


def open_room(
    organizer: User, show_id: str, *, on_sale_in: float, rate: int | str = 600, **more: Any
) -> Any:
    now = datetime.now(UTC)
    return organizer.put(
        f"/shows/{show_id}/waiting-room",
        json={
            "opens_at": (now - timedelta(minutes=1)).isoformat(),
            "on_sale_at": (now + timedelta(seconds=on_sale_in)).isoformat(),
            "admission_rate": rate,
            "pass_ttl_seconds": 600,
            **more,
        },
    )


def join(user: User, show_id: str) -> Any:
    challenge = user.get(f"/shows/{show_id}/queue/challenge")
    assert challenge.status_code == 200, challenge.text
    c = challenge.json()
    return user.post(
        f"/shows/{show_id}/queue",
        json={"challenge": c["challenge"], "solution": solve(c["challenge"], c["difficulty_bits"])},
    )


def admitted(user: User, queue_id: str) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        status = user.get(f"/queue/{queue_id}").json()
        return status if status["state"] == "admitted" else None

    return dict(wait_for(check, timeout=20))


def hold(user: User, show_id: str, seat: int, admission_pass: str | None) -> Any:
    headers = {"X-Admission-Pass": admission_pass} if admission_pass is not None else {}
    return user.post(f"/shows/{show_id}/holds", json={"seat_ids": [seat]}, headers=headers)


def test_a_hold_needs_a_pass_from_the_queue_while_the_room_is_open(
    make_show: Callable[..., dict[str, Any]], organizer: User, make_user: Callable[..., User]
) -> None:
    show = make_show()
    other_show = make_show()
    show_id, seats = show["id"], [s["id"] for s in show["seats"]]
    r = open_room(organizer, show_id, on_sale_in=2)
    assert r.status_code == 200, r.text
    assert r.json()["queue"] == f"/api/v1/shows/{show_id}/queue"
    assert open_room(organizer, other_show["id"], on_sale_in=0).status_code == 200

    alice, bob = make_user(), make_user()
    refused = problem(hold(alice, show_id, seats[0], None), 403)
    assert refused["type"].endswith(":admission-required")
    assert refused["queue"] == f"/api/v1/shows/{show_id}/queue" and refused["reason"] == "missing"

    joined = join(alice, show_id)
    assert joined.status_code == 201, joined.text
    place = joined.json()
    assert joined.headers["location"] == f"/api/v1/queue/{place['queue_id']}"
    assert place["state"] == "waiting" and place["admission_pass"] is None
    again = join(alice, show_id)
    assert again.status_code == 200 and again.json()["queue_id"] == place["queue_id"]
    assert problem(bob.get(f"/queue/{place['queue_id']}"), 404)["type"].endswith(":not-in-queue")

    status = admitted(alice, place["queue_id"])
    token = status["admission_pass"]
    figures = alice.get(f"/shows/{show_id}/waiting-room").json()
    assert figures["in_queue"] == 1 and figures["admitted_so_far"] == 1
    assert figures["sold_out"] is False
    assert datetime.fromisoformat(status["pass_expires_at"]) > datetime.now(UTC)

    # bob's queue place for the other show gives him a pass for that show only
    bob_place = join(bob, other_show["id"]).json()
    bob_token = admitted(bob, bob_place["queue_id"])["admission_pass"]

    body, mac = token.split(".")
    assert problem(hold(bob, show_id, seats[1], token), 403)["reason"] == "other-customer"
    assert problem(hold(bob, show_id, seats[1], bob_token), 403)["reason"] == "other-show"
    forged = f"{body}.{mac[:-3]}AAA"
    assert problem(hold(alice, show_id, seats[1], forged), 403)["reason"] == "invalid"
    assert hold(alice, show_id, seats[1], "x" * 1025).status_code == 422
    assert hold(alice, show_id, seats[0], token).status_code == 201
    assert hold(alice, show_id, seats[1], token).status_code == 201  # the same session
    taken = {s["id"]: s["state"] for s in alice.get(f"/shows/{show_id}/seats").json()["seats"]}
    assert taken[seats[0]] == taken[seats[1]] == "held" and taken[seats[2]] == "available"
    assert hold(bob, other_show["id"], other_show["seats"][0]["id"], bob_token).status_code == 201

    # without the room, holds need no pass again
    assert organizer.delete(f"/shows/{show_id}/waiting-room").status_code == 204
    assert organizer.get(f"/shows/{show_id}/waiting-room").json()["enabled"] is False
    assert wait_for(lambda: hold(bob, show_id, seats[5], None).status_code == 201, timeout=10)


def test_room_settings_are_checked_and_only_the_show_s_organizer_may_change_them(
    make_show: Callable[..., dict[str, Any]], organizer: User, make_user: Callable[..., User]
) -> None:
    show = make_show()
    show_id = show["id"]
    customer, rival = make_user(), make_user("organizer")
    assert problem(open_room(customer, show_id, on_sale_in=60), 403)
    assert problem(open_room(rival, show_id, on_sale_in=60), 403)
    now = datetime.now(UTC)
    good = {
        "opens_at": now.isoformat(),
        "on_sale_at": (now + timedelta(minutes=5)).isoformat(),
        "admission_rate": 100,
    }
    for bad in (
        {**good, "on_sale_at": (now - timedelta(minutes=5)).isoformat()},  # before opening
        {**good, "on_sale_at": (now + timedelta(days=30)).isoformat()},  # after the sales end
        {**good, "admission_rate": "fast"},
        {**good, "admission_rate": 0},
        {**good, "admission_rate": "auto", "auto_start_rate": 0},
        {**good, "max_tickets_per_customer": 0},
        {**good, "pass_ttl_seconds": 5},
        {**good, "opens_at": "yesterday"},
        {k: v for k, v in good.items() if k != "on_sale_at"},
    ):
        assert organizer.put(f"/shows/{show_id}/waiting-room", json=bad).status_code == 422, bad
    unset = organizer.get(f"/shows/{show_id}/waiting-room")
    assert unset.status_code == 200 and unset.json()["enabled"] is False  # nothing was set
    assert unset.json()["opens_at"] is None
    assert problem(organizer.get(f"/shows/{uuid.uuid4()}/waiting-room"), 404)
    assert problem(organizer.put(f"/shows/{uuid.uuid4()}/waiting-room", json=good), 404)
    r = organizer.put(f"/shows/{show_id}/waiting-room", json=good)
    assert r.status_code == 200, r.text
    assert customer.get(f"/shows/{show_id}/waiting-room").json()["admission_rate"] == 100
    assert problem(rival.delete(f"/shows/{show_id}/waiting-room"), 403)

    # joining: a wrong solution, someone else's challenge
    c = customer.get(f"/shows/{show_id}/queue/challenge").json()
    bits = c["difficulty_bits"]
    assert bits > 0
    wrong = next(str(n) for n in range(1000) if not solves(c["challenge"], str(n), bits))
    bad_join = customer.post(
        f"/shows/{show_id}/queue", json={"challenge": c["challenge"], "solution": wrong}
    )
    assert problem(bad_join, 422)["type"].endswith(":challenge-failed")
    stolen = rival.post(
        f"/shows/{show_id}/queue",
        json={"challenge": c["challenge"], "solution": solve(c["challenge"], c["difficulty_bits"])},
    )
    assert problem(stolen, 422)["type"].endswith(":challenge-failed")
    assert problem(customer.get(f"/queue/{'0' * 56}"), 404)
    assert problem(customer.get("/queue/nonsense"), 404)


def test_when_nothing_is_left_the_line_is_told_and_moves_again_when_seats_come_back(
    make_show: Callable[..., dict[str, Any]], organizer: User, make_user: Callable[..., User]
) -> None:
    show = make_show(rows=1, seats_per_row=2)
    show_id, seats = show["id"], [s["id"] for s in show["seats"]]
    assert open_room(organizer, show_id, on_sale_in=0, rate=6000).status_code == 200
    first, second = make_user(), make_user()
    token = admitted(first, join(first, show_id).json()["queue_id"])["admission_pass"]
    held = first.post(
        f"/shows/{show_id}/holds",
        json={"seat_ids": seats},
        headers={"X-Admission-Pass": token},
    )
    assert held.status_code == 201, held.text

    place = join(second, show_id).json()["queue_id"]
    told = wait_for(
        lambda: (s := second.get(f"/queue/{place}").json())["state"] == "sold_out" and s
    )
    assert told["admission_pass"] is None
    assert second.get(f"/shows/{show_id}/waiting-room").json()["sold_out"] is True
    # the seats come back: the line moves again and the second customer is let in
    assert first.delete(f"/holds/{held.json()['hold_id']}").status_code == 204
    assert admitted(second, place)["admission_pass"]


def test_the_line_s_now_serving_is_pushed_to_everyone_watching(
    make_show: Callable[..., dict[str, Any]], organizer: User, make_user: Callable[..., User]
) -> None:
    show_id = make_show()["id"]
    without = organizer.client.get(f"/shows/{show_id}/queue/stream")
    assert problem(without, 404)["type"].endswith(":no-waiting-room")
    assert open_room(organizer, show_id, on_sale_in=0, rate=60).status_code == 200
    customer = make_user()
    place = join(customer, show_id).json()
    seen: list[dict[str, Any]] = []
    with organizer.client.stream("GET", f"/shows/{show_id}/queue/stream", timeout=20) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith("data:"):
                seen.append(json.loads(line[5:]))
                if seen[-1]["admitted_so_far"] >= 1:
                    break
    assert seen[-1]["in_queue"] == 1 and seen[-1]["sold_out"] is False
    assert admitted(customer, place["queue_id"])["admission_pass"]


def test_an_automatic_rate_starts_where_the_organizer_says_and_reports_what_it_measures(
    make_show: Callable[..., dict[str, Any]], organizer: User, make_user: Callable[..., User]
) -> None:
    show = make_show()
    show_id = show["id"]
    r = open_room(organizer, show_id, on_sale_in=0, rate="auto", auto_start_rate=120)
    assert r.status_code == 200, r.text
    assert r.json()["admission_rate"] == "auto"
    customer = make_user()
    place = join(customer, show_id).json()
    token = admitted(customer, place["queue_id"])["admission_pass"]
    hold_id = hold(customer, show_id, show["seats"][0]["id"], token).json()["hold_id"]
    booking = customer.post(
        "/bookings", json={"hold_id": hold_id, "payment": {"token": "tok_success"}}
    ).json()
    assert settled(customer, booking["booking_id"])["status"] == "CONFIRMED"

    def measured() -> dict[str, Any] | None:
        room = organizer.get(f"/shows/{show_id}/waiting-room").json()
        return room if room["confirmed_per_minute"] > 0 else None

    room = wait_for(measured, timeout=20)
    assert room["admission_rate"] == "auto"
    assert room["admitting_per_minute"] >= 120  # never below the start
    assert room["refused_share"] == 0


def test_a_pass_buys_once_and_the_room_limits_tickets_per_customer_under_concurrency(
    make_show: Callable[..., dict[str, Any]], organizer: User, make_user: Callable[..., User]
) -> None:
    show = make_show()
    show_id, seats = show["id"], [s["id"] for s in show["seats"]]
    assert (
        open_room(organizer, show_id, on_sale_in=0, rate=6000, max_tickets_per_customer=3)
    ).status_code == 200
    customer = make_user()
    token = admitted(customer, join(customer, show_id).json()["queue_id"])["admission_pass"]

    # twenty holds of one seat at once: exactly three are granted, the rest name the limit
    def one(seat: int) -> Any:
        return hold(customer, show_id, seat, token)

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(one, seats[:20]))
    granted = [a for a in answers if a.status_code == 201]
    refused = [problem(a, 409) for a in answers if a.status_code != 201]
    assert len(granted) == 3 and len(refused) == 17
    assert all(p["type"].endswith(":ticket-limit-reached") and p["limit"] == 3 for p in refused)

    # one of them is bought; the other two are given back; what was bought still counts
    bought, *others = (g.json()["hold_id"] for g in granted)
    for hold_id in others:
        assert customer.delete(f"/holds/{hold_id}").status_code == 204
    booking = customer.post(
        "/bookings", json={"hold_id": bought, "payment": {"token": "tok_success"}}
    ).json()
    assert settled(customer, booking["booking_id"])["status"] == "CONFIRMED"

    # the pass's booking session has bought: it admits no more holds
    spent = problem(hold(customer, show_id, seats[30], token), 403)
    assert spent["type"].endswith(":admission-required") and spent["reason"] == "spent"
    seat_map = {
        s["id"]: s["state"] for s in customer.get(f"/shows/{show_id}/seats").json()["seats"]
    }
    assert [seat_map[s] for s in seats[:20]].count("sold") == 1
    assert [seat_map[s] for s in seats[:20]].count("held") == 0
