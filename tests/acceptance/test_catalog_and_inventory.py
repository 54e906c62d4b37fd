"""Browsing the catalog and holding inventory over HTTP: filters, drafts, sales windows, taken
seats, general admission, bad input and seat-map caching."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.acceptance.checks import (
    MakeShow,
    ga_available,
    notification_kinds,
    problem,
    seat_map,
    seat_states,
)
from tests.acceptance.conftest import User, book, settled, wait_for

# -- holds: taken seats, all-or-nothing, idempotency --------------------------------------


def test_hold_on_a_sold_seat_is_rejected_naming_the_taken_seats(
    anon: httpx.Client, make_show: MakeShow, customer: User, make_user: Callable[..., User]
) -> None:
    show = make_show()
    s = show["seats"]
    _, booking_id = book(customer, show["id"], [s[0]["id"], s[1]["id"]])
    assert settled(customer, booking_id)["status"] == "CONFIRMED"

    rival = make_user("customer")
    r = rival.post(f"/shows/{show['id']}/holds", json={"seat_ids": [s[1]["id"], s[2]["id"]]})
    taken = problem(r, 409)
    assert taken["seat_ids"] == [s[1]["id"]]
    assert taken["seats"] == [s[1]["label"]]
    assert s[1]["label"] in taken["detail"]
    states = seat_states(anon, show["id"])
    assert [states[x["id"]] for x in s[:3]] == ["sold", "sold", "available"]


def test_hold_is_all_or_nothing_when_one_seat_is_held_by_someone_else(
    anon: httpx.Client, make_show: MakeShow, customer: User, make_user: Callable[..., User]
) -> None:
    show = make_show()
    a, b, c = (x["id"] for x in show["seats"][10:13])
    first = customer.post(f"/shows/{show['id']}/holds", json={"seat_ids": [b]})
    assert first.status_code == 201, first.text
    before = seat_map(anon, show["id"])["version"]

    rival = make_user("customer")
    taken = problem(rival.post(f"/shows/{show['id']}/holds", json={"seat_ids": [a, b, c]}), 409)
    assert taken["seat_ids"] == [b]
    assert taken["seats"] == [show["seats"][11]["label"]]
    after = seat_map(anon, show["id"])
    assert after["version"] == before
    states = {x["id"]: x["state"] for x in after["seats"]}
    assert (states[a], states[b], states[c]) == ("available", "held", "available")

    rest = rival.post(f"/shows/{show['id']}/holds", json={"seat_ids": [a, c]})
    assert rest.status_code == 201, rest.text
    assert sorted(rest.json()["seat_ids"]) == [a, c]


def test_repeated_idempotency_key_on_a_hold_returns_the_same_hold(
    anon: httpx.Client, make_show: MakeShow, customer: User
) -> None:
    show = make_show()
    seats = [x["id"] for x in show["seats"][:2]]
    key = {"Idempotency-Key": uuid.uuid4().hex}
    path = f"/shows/{show['id']}/holds"
    first = customer.post(path, json={"seat_ids": seats}, headers=key)
    assert first.status_code == 201, first.text
    version = seat_map(anon, show["id"])["version"]
    again = customer.post(path, json={"seat_ids": seats}, headers=key)
    assert again.status_code == 201, again.text
    assert again.json()["hold_id"] == first.json()["hold_id"]
    assert again.json()["seat_ids"] == seats
    assert again.json()["expires_at"] == first.json()["expires_at"]
    assert seat_map(anon, show["id"])["version"] == version

    # A new key is a new request: the seats are this customer's own hold now, so it is refused.
    taken = problem(customer.post(path, json={"seat_ids": seats}), 409)
    assert taken["seat_ids"] == seats


# -- shows that do not sell --------------------------------------------------------------


def test_draft_show_has_no_seat_map_and_takes_no_holds(
    make_show: MakeShow, organizer: User, customer: User
) -> None:
    draft = make_show(publish=False)
    show_id = draft["show"]["id"]
    seat = draft["hall"]["seats"][0]["id"]
    problem(customer.post(f"/shows/{show_id}/holds", json={"seat_ids": [seat]}), 404)
    problem(customer.get(f"/shows/{show_id}/seats"), 404)
    # Publishing makes it sell.
    assert organizer.post(f"/shows/{show_id}/publish").status_code == 200

    def hold() -> httpx.Response | None:
        r = customer.post(f"/shows/{show_id}/holds", json={"seat_ids": [seat]})
        return r if r.status_code == 201 else None

    held = wait_for(hold)
    assert held.json()["seat_ids"] == [seat]


def test_hold_before_the_sales_window_opens_is_rejected_with_the_window(
    organizer: User, make_show: MakeShow, customer: User
) -> None:
    base = make_show(publish=False)
    starts = datetime.now(UTC) + timedelta(days=10)
    created = organizer.post(
        "/shows",
        json={
            "event_id": base["show"]["event_id"],
            "hall_id": base["hall"]["id"],
            "starts_at": starts.isoformat(),
            "prices": {"standard": 3000, "premium": 5000},
            "sales_start": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
            "sales_end": (starts - timedelta(hours=1)).isoformat(),
        },
    )
    assert created.status_code == 201, created.text
    show_id = created.json()["id"]
    assert organizer.post(f"/shows/{show_id}/publish").status_code == 200
    seat = base["hall"]["seats"][0]["id"]
    wait_for(lambda: customer.get(f"/shows/{show_id}/seats").status_code == 200)
    closed = problem(customer.post(f"/shows/{show_id}/holds", json={"seat_ids": [seat]}), 409)
    assert closed["title"] == "Not on sale"
    assert datetime.fromisoformat(closed["sales_start"]) > datetime.now(UTC)
    assert seat_states(customer.client, show_id)[seat] == "available"


# -- general admission ---------------------------------------------------------------------


def test_general_admission_never_holds_more_than_capacity_and_cancel_gives_places_back(
    anon: httpx.Client, make_show: MakeShow, customer: User, make_user: Callable[..., User]
) -> None:
    show = make_show(2, 5, ga_capacity=5)
    area = show["areas"][0]
    assert (area["capacity"], area["available"], area["price"]) == (5, 5, 2000)
    three = [{"area_id": area["id"], "quantity": 3}]

    hold = customer.post(f"/shows/{show['id']}/holds", json={"ga": three})
    assert hold.status_code == 201, hold.text
    assert hold.json()["ga"] == three
    assert ga_available(anon, show["id"], area["id"]) == 2

    rival = make_user("customer")
    full = problem(rival.post(f"/shows/{show['id']}/holds", json={"ga": three}), 409)
    assert full["available"] == 2 and full["area_id"] == area["id"]
    assert ga_available(anon, show["id"], area["id"]) == 2
    two = rival.post(
        f"/shows/{show['id']}/holds", json={"ga": [{"area_id": area["id"], "quantity": 2}]}
    )
    assert two.status_code == 201, two.text
    assert ga_available(anon, show["id"], area["id"]) == 0
    assert rival.delete(f"/holds/{two.json()['hold_id']}").status_code == 204
    assert ga_available(anon, show["id"], area["id"]) == 2

    r = customer.post(
        "/bookings",
        json={"hold_id": hold.json()["hold_id"], "payment": {"token": "tok_success"}},
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    assert r.status_code == 202, r.text
    booking = settled(customer, r.json()["booking_id"])
    assert booking["status"] == "CONFIRMED", booking
    assert booking["total"] == 3 * 2000
    assert [(x["area_id"], x["quantity"]) for x in booking["lines"]] == [(area["id"], 3)]
    tickets = booking["tickets"]
    assert len(tickets) == 3 and {t["area_id"] for t in tickets} == {area["id"]}
    assert sorted(t["label"] for t in tickets) == ["Floor #1", "Floor #2", "Floor #3"]
    assert len({t["code"] for t in tickets}) == 3
    assert ga_available(anon, show["id"], area["id"]) == 2

    cancelled = customer.post(f"/bookings/{booking['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    wait_for(lambda: ga_available(anon, show["id"], area["id"]) == 5)
    assert wait_for(lambda: "booking_cancelled" in notification_kinds(customer, booking["id"]))
    again = rival.post(
        f"/shows/{show['id']}/holds", json={"ga": [{"area_id": area["id"], "quantity": 5}]}
    )
    assert again.status_code == 201, again.text


# -- bad input -------------------------------------------------------------------------------


def test_rejected_holds_are_problems_and_leave_the_seat_map_unchanged(
    anon: httpx.Client, make_show: MakeShow, customer: User
) -> None:
    show = make_show(max_per_booking=4)
    other = make_show(1, 2)
    path = f"/shows/{show['id']}/holds"
    seats = [x["id"] for x in show["seats"]]
    before = anon.get(f"/shows/{show['id']}/seats")
    etag = before.headers["etag"]

    invalid_json = customer.post(
        path, content=b'{"seat_ids": [1,', headers={"Content-Type": "application/json"}
    )
    problem(invalid_json, 422)
    wrong_type = problem(customer.post(path, json={"seat_ids": "A1"}), 422)
    assert wrong_type["errors"][0]["field"] == "body.seat_ids"
    problem(customer.post(path, json={"seat_ids": [1.5]}), 422)
    problem(customer.post(path, json=[seats[0]]), 422)
    problem(customer.post(path, json={"ga": [{"area_id": "x", "quantity": 1}]}), 422)
    problem(customer.post(path, json={}), 422)
    problem(customer.post(path, json={"seat_ids": [], "ga": []}), 422)
    dup = problem(customer.post(path, json={"seat_ids": [seats[0], seats[0]]}), 422)
    assert "once" in dup["detail"]
    problem(customer.post(path, json={"ga": [{"area_id": 1, "quantity": 0}]}), 422)
    problem(customer.post(path, json={"seat_ids": [0]}), 422)
    problem(customer.post(path, json={"seat_ids": list(range(1, 102))}), 422)

    too_many = problem(customer.post(path, json={"seat_ids": seats[:5]}), 422)
    assert too_many["limit"] == 4 and "4" in too_many["detail"]
    strangers = [other["seats"][0]["id"], 10**12]
    unknown = problem(customer.post(path, json={"seat_ids": [seats[0], *strangers]}), 422)
    assert unknown["seat_ids"] == strangers
    no_area = problem(customer.post(path, json={"ga": [{"area_id": 10**12, "quantity": 1}]}), 422)
    assert no_area["area_id"] == 10**12
    problem(
        customer.post(path, json={"seat_ids": [seats[0]]}, headers={"Idempotency-Key": ""}), 422
    )
    problem(
        customer.post(path, json={"seat_ids": [seats[0]]}, headers={"Idempotency-Key": "k" * 201}),
        422,
    )

    assert (
        anon.get(f"/shows/{show['id']}/seats", headers={"If-None-Match": etag}).status_code == 304
    )
    assert seat_map(anon, show["id"]) == before.json()
    assert set(seat_states(anon, other["id"]).values()) == {"available"}


def test_malformed_ids_unknown_things_and_overlong_strings_are_problems_not_500s(
    anon: httpx.Client, make_show: MakeShow, organizer: User, customer: User
) -> None:
    show = make_show()
    unknown = str(uuid.uuid4())
    for r in (
        anon.get("/shows/not-a-uuid/seats"),
        anon.get("/shows/123"),
        customer.post("/shows/xyz/holds", json={"seat_ids": [1]}),
        customer.get("/bookings/nope"),
        customer.post("/bookings/nope/cancel"),
        customer.get("/payments/1234"),
        anon.get("/venues/x"),
        anon.get("/halls/x"),
        customer.get("/bookings", params={"show_id": "x"}),
        customer.get("/bookings", params={"limit": "0"}),
        customer.get("/bookings", params={"status": "DONE"}),
    ):
        problem(r, 422)

    for r in (
        anon.get(f"/shows/{unknown}"),
        anon.get(f"/shows/{unknown}/seats"),
        anon.get(f"/shows/{unknown}/seats/stream"),
        customer.post(f"/shows/{unknown}/holds", json={"seat_ids": [1]}),
        customer.get(f"/bookings/{unknown}"),
        customer.post(f"/bookings/{unknown}/cancel"),
        customer.get(f"/bookings/{unknown}/payment"),
        customer.get(f"/payments/{unknown}"),
        customer.get("/holds/garbage"),
        customer.delete("/holds/garbage"),
        customer.get(f"/holds/{uuid.UUID(show['id']).hex}.0123456789abcdef"),
        anon.get(f"/venues/{unknown}"),
        anon.get(f"/events/{unknown}"),
        anon.get(f"/halls/{unknown}"),
    ):
        problem(r, 404)
    # A hold id longer than any hold id can be is malformed input, not an unknown hold.
    problem(customer.get("/holds/" + "a" * 300), 422)
    for hold_id in ("garbage", f"{uuid.UUID(show['id']).hex}.0123456789abcdef"):
        r = customer.post(
            "/bookings", json={"hold_id": hold_id, "payment": {"token": "tok_success"}}
        )
        assert problem(r, 404)["title"] == "Unknown hold"
    event = show["show"]["event_id"]
    starts = datetime.now(UTC) + timedelta(days=4)
    window = {
        "starts_at": starts.isoformat(),
        "prices": {"standard": 1},
        "sales_start": datetime.now(UTC).isoformat(),
        "sales_end": (starts - timedelta(hours=1)).isoformat(),
    }
    problem(organizer.post("/shows", json={"event_id": event, "hall_id": unknown, **window}), 404)
    problem(organizer.post("/shows", json={"event_id": unknown, "hall_id": unknown, **window}), 404)

    long = "x" * 1001
    for r in (
        organizer.post("/venues", json={"name": long, "city": "C"}),
        organizer.post("/venues", json={"name": "V", "city": "C", "address": long}),
        organizer.post("/events", json={"title": long, "category": "c", "duration_minutes": 5}),
        organizer.post("/events", json={"title": "T", "category": long, "duration_minutes": 5}),
        customer.post("/bookings", json={"hold_id": long, "payment": {"token": "tok_success"}}),
        customer.post("/bookings", json={"hold_id": "h", "payment": {"token": long}}),
        customer.post("/bookings", json={"hold_id": "h", "payment": {"method": "cash"}}),
        customer.post(f"/bookings/{unknown}/cancel", json={"reason": long}),
        anon.post(
            "/auth/register", json={"email": "a@b.example", "password": "p" * 200, "name": "N"}
        ),
        anon.post("/auth/register", json={"email": long, "password": "long-enough", "name": "N"}),
        anon.post("/auth/login", json={"email": "not-an-email", "password": "x"}),
        anon.get("/shows", params={"city": long}),
        anon.get("/shows", params={"limit": 1000}),
        anon.get("/shows", params={"from": "2030-01-01T00:00:00"}),  # no time zone
    ):
        problem(r, 422)
    assert long not in {v["name"] for v in anon.get("/venues", params={"limit": 200}).json()}


def test_unknown_api_paths_and_methods_are_problems(anon: httpx.Client) -> None:
    problem(anon.get("/no-such-thing"), 404)
    problem(anon.delete("/shows"), 405)


# -- seat-map caching --------------------------------------------------------------------------


def test_seat_map_etag_answers_304_until_a_hold_changes_it(
    anon: httpx.Client, make_show: MakeShow, customer: User
) -> None:
    show = make_show()
    first = anon.get(f"/shows/{show['id']}/seats")
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    assert first.headers["cache-control"] == "no-cache"

    same = anon.get(f"/shows/{show['id']}/seats", headers={"If-None-Match": etag})
    assert same.status_code == 304 and same.content == b""
    assert same.headers["etag"] == etag
    weak = anon.get(f"/shows/{show['id']}/seats", headers={"If-None-Match": f"W/{etag}"})
    assert weak.status_code == 304

    seat = show["seats"][0]["id"]
    assert customer.post(f"/shows/{show['id']}/holds", json={"seat_ids": [seat]}).status_code == 201
    changed = anon.get(f"/shows/{show['id']}/seats", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert {s["id"]: s["state"] for s in changed.json()["seats"]}[seat] == "held"
    now = anon.get(f"/shows/{show['id']}/seats", headers={"If-None-Match": changed.headers["etag"]})
    assert now.status_code == 304


# -- catalog -----------------------------------------------------------------------------------


def _catalog(organizer: User) -> dict[str, Any]:
    """A city of its own with two events (own categories), three published shows and a draft."""
    tag = uuid.uuid4().hex[:10]
    city = f"Filterton {tag}"
    venue = organizer.post("/venues", json={"name": "Filter Hall", "city": city}).json()
    hall = organizer.post(
        f"/venues/{venue['id']}/halls",
        json={"name": "Main", "grid": {"rows": 1, "seats_per_row": 2}},
    ).json()
    events = [
        organizer.post(
            "/events",
            json={"title": f"Event {n}", "category": f"cat-{n}-{tag}", "duration_minutes": 60},
        ).json()
        for n in (1, 2)
    ]
    now = datetime.now(UTC)

    def show(event: dict[str, Any], days: int, publish: bool = True) -> str:
        starts = now + timedelta(days=days)
        r = organizer.post(
            "/shows",
            json={
                "event_id": event["id"],
                "hall_id": hall["id"],
                "starts_at": starts.isoformat(),
                "prices": {"standard": 1000},
                "sales_start": now.isoformat(),
                "sales_end": (starts - timedelta(hours=1)).isoformat(),
            },
        )
        assert r.status_code == 201, r.text
        if publish:
            assert organizer.post(f"/shows/{r.json()['id']}/publish").status_code == 200
        return str(r.json()["id"])

    shows = [show(events[0], 2), show(events[0], 4), show(events[1], 6)]
    draft = show(events[0], 3, publish=False)
    return {
        "city": city,
        "events": events,
        "shows": shows,
        "draft": draft,
        "hall": hall,
        "now": now,
    }


def _ids(page: dict[str, Any]) -> list[str]:
    return [s["id"] for s in page["items"]]


def test_browsing_filters_by_city_event_dates_and_category_and_pages(
    anon: httpx.Client, organizer: User
) -> None:
    c = _catalog(organizer)
    s1, s2, s3 = c["shows"]
    now: datetime = c["now"]

    page = anon.get("/shows", params={"city": c["city"].upper()}).json()
    assert _ids(page) == [s1, s2, s3] and page["total"] == 3
    assert {s["city"] for s in page["items"]} == {c["city"]}
    assert {s["status"] for s in page["items"]} == {"published"}

    by_event = anon.get("/shows", params={"event_id": c["events"][0]["id"]}).json()
    assert _ids(by_event) == [s1, s2] and by_event["total"] == 2
    by_category = anon.get("/shows", params={"category": c["events"][1]["category"]}).json()
    assert _ids(by_category) == [s3] and by_category["total"] == 1
    window = anon.get(
        "/shows",
        params={
            "city": c["city"],
            "from": (now + timedelta(days=3)).isoformat(),
            "to": (now + timedelta(days=5)).isoformat(),
        },
    ).json()
    assert _ids(window) == [s2] and window["total"] == 1
    combined = anon.get(
        "/shows", params={"city": c["city"], "category": c["events"][0]["category"]}
    ).json()
    assert _ids(combined) == [s1, s2]
    nothing = anon.get("/shows", params={"city": c["city"], "event_id": str(uuid.uuid4())}).json()
    assert nothing == {"items": [], "total": 0, "limit": 20, "offset": 0}

    pages = [
        anon.get("/shows", params={"city": c["city"], "limit": 2, "offset": offset}).json()
        for offset in (0, 2, 4)
    ]
    assert [_ids(p) for p in pages] == [[s1, s2], [s3], []]
    assert [(p["total"], p["limit"], p["offset"]) for p in pages] == [
        (3, 2, 0),
        (3, 2, 2),
        (3, 2, 4),
    ]


def test_drafts_are_hidden_from_the_public_but_listed_for_their_organizer(
    anon: httpx.Client, organizer: User, customer: User, make_user: Callable[..., User]
) -> None:
    c = _catalog(organizer)
    draft = c["draft"]
    public = anon.get("/shows", params={"city": c["city"]}).json()
    assert draft not in _ids(public)
    problem(anon.get(f"/shows/{draft}"), 404)
    problem(customer.get(f"/shows/{draft}"), 404)
    assert draft not in _ids(
        customer.get("/shows", params={"city": c["city"], "mine": True}).json()
    )

    mine = organizer.get("/shows", params={"city": c["city"], "mine": True}).json()
    assert mine["total"] == 4 and draft in _ids(mine)
    assert {s["id"]: s["status"] for s in mine["items"]}[draft] == "draft"
    assert organizer.get(f"/shows/{draft}").json()["status"] == "draft"
    rival = make_user("organizer")
    assert rival.get("/shows", params={"city": c["city"], "mine": True}).json()["total"] == 0

    published = organizer.post(f"/shows/{draft}/publish")
    assert published.status_code == 200 and published.json()["status"] == "published"
    twice = problem(organizer.post(f"/shows/{draft}/publish"), 409)
    assert "published" in twice["detail"]
    # The public list is cached for a moment, but a change shows at once.
    assert draft in _ids(anon.get("/shows", params={"city": c["city"]}).json())
    assert organizer.post(f"/shows/{draft}/cancel", json={}).status_code == 200
    assert draft not in _ids(anon.get("/shows", params={"city": c["city"]}).json())


def test_show_times_and_prices_are_validated(organizer: User) -> None:
    c = _catalog(organizer)
    event = c["events"][0]["id"]
    now = datetime.now(UTC)
    starts = now + timedelta(days=8)

    def create(hall_id: str, **changes: Any) -> httpx.Response:
        body = {
            "event_id": event,
            "hall_id": hall_id,
            "starts_at": starts.isoformat(),
            "prices": {"standard": 1000},
            "sales_start": now.isoformat(),
            "sales_end": (starts - timedelta(hours=1)).isoformat(),
            **changes,
        }
        return organizer.post("/shows", json=body)

    late = problem(
        create(c["hall"]["id"], sales_end=(starts + timedelta(hours=1)).isoformat()), 422
    )
    assert "before the show starts" in late["detail"]
    backwards = problem(
        create(
            c["hall"]["id"],
            sales_start=(starts - timedelta(hours=2)).isoformat(),
            sales_end=(starts - timedelta(hours=3)).isoformat(),
        ),
        422,
    )
    assert "end after it starts" in backwards["detail"]
    problem(create(c["hall"]["id"], starts_at="2030-01-01T20:00:00"), 422)
    problem(create(c["hall"]["id"], prices={"standard": -1}), 422)
    problem(create(c["hall"]["id"], currency="euro"), 422)
    problem(create(c["hall"]["id"], max_per_booking=0), 422)
    shows_before = organizer.get("/shows", params={"city": c["city"], "mine": True}).json()["total"]
    assert shows_before == 4

    # A hall with premium and standard seats: a show priced for standard only cannot go on sale.
    venue = organizer.post("/venues", json={"name": "Two Tier", "city": c["city"]}).json()
    hall = organizer.post(
        f"/venues/{venue['id']}/halls",
        json={
            "name": "Tiered",
            "grid": {"rows": 2, "seats_per_row": 2, "row_categories": {"A": "premium"}},
        },
    ).json()
    unpriced = create(hall["id"])
    assert unpriced.status_code == 201, unpriced.text
    show_id = unpriced.json()["id"]
    missing = problem(organizer.post(f"/shows/{show_id}/publish"), 422)
    assert "premium" in missing["detail"]
    assert organizer.get(f"/shows/{show_id}").json()["status"] == "draft"
    patched = organizer.patch(
        f"/shows/{show_id}", json={"prices": {"standard": 1000, "premium": 2000}}
    )
    assert patched.status_code == 200, patched.text
    assert organizer.post(f"/shows/{show_id}/publish").json()["status"] == "published"
