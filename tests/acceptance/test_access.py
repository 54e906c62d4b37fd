"""Who may do what over HTTP: roles, other people's data, admin refunds, tokens."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx

from tests.acceptance.checks import MakeShow, problem, seat_states
from tests.acceptance.conftest import User, book, settled, wait_for

PASSWORD = "a-good-password"  # what make_user gives every user


def _confirmed(user: User, show: dict[str, object], seat_ids: list[int]) -> str:
    _, booking_id = book(user, str(show["id"]), seat_ids)
    assert settled(user, booking_id)["status"] == "CONFIRMED"
    return booking_id


def test_customers_get_403_on_organizer_and_admin_actions(
    make_show: MakeShow, customer: User, make_user: Callable[..., User]
) -> None:
    show = make_show()
    buyer = make_user("customer")
    booking_id = _confirmed(buyer, show, [show["seats"][0]["id"]])
    payment_id = buyer.get(f"/bookings/{booking_id}/payment").json()["id"]
    starts = datetime.now(UTC) + timedelta(days=3)
    attempts = [
        customer.post("/venues", json={"name": "Mine", "city": "Nowhere"}),
        customer.post(
            f"/venues/{show['hall']['venue_id']}/halls",
            json={"name": "H", "grid": {"rows": 1, "seats_per_row": 1}},
        ),
        customer.post(
            "/events", json={"title": "Mine", "category": "concert", "duration_minutes": 60}
        ),
        customer.post(
            "/shows",
            json={
                "event_id": show["show"]["event_id"],
                "hall_id": show["hall"]["id"],
                "starts_at": starts.isoformat(),
                "prices": {"standard": 1, "premium": 1},
                "sales_start": datetime.now(UTC).isoformat(),
                "sales_end": (starts - timedelta(hours=1)).isoformat(),
            },
        ),
        customer.patch(f"/shows/{show['id']}", json={"max_per_booking": 1}),
        customer.post(f"/shows/{show['id']}/publish"),
        customer.post(f"/shows/{show['id']}/cancel"),
        customer.get("/admin/users"),
        customer.post(
            "/admin/users",
            json={"email": "x@boxoffice.example", "password": "12345678", "name": "X"},
        ),
        customer.patch(f"/admin/users/{customer.id}", json={"roles": ["admin"]}),
        customer.post(f"/payments/{payment_id}/refund", json={"amount": 1}),
    ]
    for r in attempts:
        problem(r, 403)

    # Nothing changed: the show still sells, the payment is untouched, the roles are the same.
    assert seat_states(customer.client, show["id"])[show["seats"][1]["id"]] == "available"
    payment = buyer.get(f"/payments/{payment_id}").json()
    assert payment["status"] == "captured" and payment["refunded"] == 0
    assert customer.get("/users/me").json()["roles"] == ["customer"]


def test_anonymous_callers_get_401_problems_on_everything_personal(
    anon: httpx.Client, make_show: MakeShow
) -> None:
    show = make_show()
    someone = str(uuid.uuid4())
    attempts = [
        anon.get("/users/me"),
        anon.get("/bookings"),
        anon.get(f"/bookings/{someone}"),
        anon.post("/bookings", json={"hold_id": "x", "payment": {"token": "tok_success"}}),
        anon.post(f"/bookings/{someone}/cancel"),
        anon.get("/tickets"),
        anon.get("/notifications"),
        anon.post(f"/shows/{show['id']}/holds", json={"seat_ids": [show["seats"][0]["id"]]}),
        anon.get(f"/holds/{show['id']}.0000000000000000"),
        anon.get(f"/payments/{someone}"),
        anon.post(f"/payments/{someone}/refund"),
        anon.post("/venues", json={"name": "V", "city": "C"}),
        anon.get("/admin/users"),
        anon.get("/users/me", headers={"Authorization": "Bearer not-a-token"}),
    ]
    for r in attempts:
        problem(r, 401)
        assert r.headers["www-authenticate"] == "Bearer"
    assert seat_states(anon, show["id"])[show["seats"][0]["id"]] == "available"


def test_organizers_cannot_change_another_organizers_venue_event_or_show(
    make_show: MakeShow, organizer: User, make_user: Callable[..., User]
) -> None:
    show = make_show()
    rival = make_user("organizer")
    venue_id = show["hall"]["venue_id"]

    problem(
        rival.post(
            f"/venues/{venue_id}/halls",
            json={"name": "Annex", "grid": {"rows": 1, "seats_per_row": 2}},
        ),
        403,
    )
    problem(rival.patch(f"/shows/{show['id']}", json={"max_per_booking": 1}), 403)
    problem(rival.post(f"/shows/{show['id']}/cancel"), 403)
    starts = datetime.now(UTC) + timedelta(days=5)
    problem(
        rival.post(
            "/shows",
            json={
                "event_id": show["show"]["event_id"],
                "hall_id": show["hall"]["id"],
                "starts_at": starts.isoformat(),
                "prices": {"standard": 1, "premium": 1},
                "sales_start": datetime.now(UTC).isoformat(),
                "sales_end": (starts - timedelta(hours=1)).isoformat(),
            },
        ),
        403,
    )
    # Someone else's draft is not even visible.
    draft = make_show(publish=False)["show"]
    problem(rival.post(f"/shows/{draft['id']}/publish"), 404)
    problem(rival.get(f"/shows/{draft['id']}"), 404)

    assert organizer.get(f"/venues/{venue_id}").json()["halls"] == [
        {"id": show["hall"]["id"], "name": "Hall", "seat_count": 50}
    ]
    mine = organizer.get(f"/shows/{show['id']}").json()
    assert mine["status"] == "published" and mine["max_per_booking"] == 10
    assert organizer.get(f"/shows/{draft['id']}").json()["status"] == "draft"
    # The owner can do what the rival could not.
    changed = organizer.patch(f"/shows/{show['id']}", json={"max_per_booking": 4})
    assert changed.status_code == 200 and changed.json()["max_per_booking"] == 4


def test_admin_refunds_in_parts_never_beyond_the_charge_and_replays_repeated_keys(
    make_show: MakeShow, admin: User, customer: User
) -> None:
    show = make_show()
    seats = [s for s in show["seats"] if s["row"] == "B"][:2]
    booking_id = _confirmed(customer, show, [s["id"] for s in seats])
    payment = customer.get(f"/bookings/{booking_id}/payment").json()
    total = payment["amount"]
    assert total == 6000 and payment["status"] == "captured"

    key = {"Idempotency-Key": uuid.uuid4().hex}
    part = admin.post(
        f"/payments/{payment['id']}/refund",
        json={"amount": 1000, "reason": "Goodwill"},
        headers=key,
    )
    assert part.status_code == 200, part.text
    assert part.json()["refunded"] == 1000 and part.json()["status"] == "captured"
    assert [r["amount"] for r in part.json()["refunds"]] == [1000]

    replay = admin.post(
        f"/payments/{payment['id']}/refund",
        json={"amount": 1000, "reason": "Goodwill"},
        headers=key,
    )
    assert replay.status_code == 200 and replay.json() == part.json()
    assert admin.get(f"/payments/{payment['id']}").json()["refunded"] == 1000
    problem(
        admin.post(f"/payments/{payment['id']}/refund", json={"amount": 2000}, headers=key), 409
    )

    too_much = problem(admin.post(f"/payments/{payment['id']}/refund", json={"amount": 5001}), 422)
    assert too_much["refundable"] == 5000
    rest = admin.post(f"/payments/{payment['id']}/refund", json={"reason": "The rest"})
    assert rest.status_code == 200, rest.text
    assert rest.json()["status"] == "refunded" and rest.json()["refunded"] == total
    assert [r["amount"] for r in rest.json()["refunds"]] == [1000, 5000]
    problem(admin.post(f"/payments/{payment['id']}/refund", json={"amount": 1}), 409)

    seen = customer.get(f"/payments/{payment['id']}").json()
    assert seen["refunded"] == total and len(seen["refunds"]) == 2
    refunds = wait_for(
        lambda: (
            n
            if len(
                n := [
                    x
                    for x in customer.get("/notifications").json()
                    if x["kind"] == "payment_refunded"
                ]
            )
            == 2
            else None
        )
    )
    assert {n["booking_id"] for n in refunds} == {booking_id}


def test_customers_see_and_change_only_their_own_bookings_holds_and_payments(
    make_show: MakeShow, admin: User, make_user: Callable[..., User]
) -> None:
    show = make_show()
    a, b = make_user("customer"), make_user("customer")
    seats = [s["id"] for s in show["seats"]]
    a_booking = _confirmed(a, show, seats[:2])
    b_booking = _confirmed(b, show, seats[2:3])
    a_payment = a.get(f"/bookings/{a_booking}/payment").json()["id"]
    a_hold = a.post(f"/shows/{show['id']}/holds", json={"seat_ids": seats[5:7]}).json()["hold_id"]

    problem(b.get(f"/bookings/{a_booking}"), 404)
    problem(b.get(f"/bookings/{a_booking}/payment"), 404)
    problem(b.get(f"/payments/{a_payment}"), 404)
    problem(b.post(f"/bookings/{a_booking}/cancel"), 404)
    problem(b.get(f"/holds/{a_hold}"), 404)
    problem(b.delete(f"/holds/{a_hold}"), 404)
    stolen = b.post(
        "/bookings",
        json={"hold_id": a_hold, "payment": {"token": "tok_success"}},
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    problem(stolen, 404)

    # A's things are untouched.
    assert a.get(f"/bookings/{a_booking}").json()["status"] == "CONFIRMED"
    assert a.get(f"/holds/{a_hold}").json()["state"] == "held"
    assert a.get(f"/holds/{a_hold}").json()["booking_id"] is None

    assert [x["id"] for x in b.get("/bookings").json()] == [b_booking]
    assert [x["id"] for x in b.get("/bookings", params={"all": "true"}).json()] == [b_booking]
    assert {t["booking_id"] for t in b.get("/tickets").json()} == {b_booking}
    assert {t["booking_id"] for t in a.get("/tickets").json()} == {a_booking}
    wait_for(lambda: b.get("/notifications").json())
    assert {n["booking_id"] for n in b.get("/notifications").json()} == {b_booking}
    assert {n["booking_id"] for n in a.get("/notifications").json()} == {a_booking}

    everyone = admin.get("/bookings", params={"all": "true", "show_id": show["id"]}).json()
    assert {x["id"] for x in everyone} == {a_booking, b_booking}
    only_a = admin.get(
        "/bookings", params={"all": "true", "show_id": show["id"], "user_id": a.id}
    ).json()
    assert [x["id"] for x in only_a] == [a_booking]
    assert admin.get(f"/bookings/{a_booking}").json()["user_id"] == a.id


def test_refresh_tokens_rotate_and_logout_revokes_them(anon: httpx.Client) -> None:
    email = f"rot{uuid.uuid4().hex[:10]}@boxoffice.example"
    r = anon.post("/auth/register", json={"email": email, "password": "rotate-me-1", "name": "R"})
    assert r.status_code == 201, r.text
    dup = anon.post(
        "/auth/register", json={"email": email.upper(), "password": "another-pass", "name": "R2"}
    )
    assert problem(dup, 409)["title"] == "Email already registered"

    problem(anon.post("/auth/login", json={"email": email, "password": "wrong-password"}), 401)
    problem(
        anon.post("/auth/login", json={"email": f"no{email}", "password": "rotate-me-1"}),
        401,
    )
    first = anon.post("/auth/login", json={"email": email, "password": "rotate-me-1"}).json()

    second = anon.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200, second.text
    pair = second.json()
    assert pair["refresh_token"] != first["refresh_token"]
    assert pair["access_token"] != first["access_token"]
    me = anon.get("/users/me", headers={"Authorization": f"Bearer {pair['access_token']}"})
    assert me.status_code == 200 and me.json()["email"] == email
    third = anon.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert third.status_code == 200, third.text

    latest = third.json()["refresh_token"]
    assert anon.post("/auth/logout", json={"refresh_token": latest}).status_code == 204
    problem(anon.post("/auth/refresh", json={"refresh_token": latest}), 401)
    problem(anon.post("/auth/refresh", json={"refresh_token": "made-up"}), 401)


def _login(client: httpx.Client, email: str, password: str) -> dict[str, str]:
    r = client.post("/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    tokens: dict[str, str] = r.json()
    return tokens


def test_a_reused_refresh_token_ends_every_session_of_its_login_and_no_other(
    anon: httpx.Client, make_user: Callable[..., User]
) -> None:
    user = make_user()
    stolen = _login(anon, user.email, PASSWORD)
    owner = anon.post("/auth/refresh", json={"refresh_token": stolen["refresh_token"]}).json()
    laptop = _login(anon, user.email, PASSWORD)  # another login: another family

    reused = anon.post("/auth/refresh", json={"refresh_token": stolen["refresh_token"]})
    assert problem(reused, 401)["title"] == "Refresh token reused"
    assert "every session of that login has ended" in reused.json()["detail"]
    problem(anon.post("/auth/refresh", json={"refresh_token": owner["refresh_token"]}), 401)

    kept = anon.post("/auth/refresh", json={"refresh_token": laptop["refresh_token"]})
    assert kept.status_code == 200, kept.text


def test_answers_that_carry_tokens_are_never_cached(
    anon: httpx.Client, make_user: Callable[..., User]
) -> None:
    user = make_user()
    login = anon.post("/auth/login", json={"email": user.email, "password": PASSWORD})
    assert login.headers["cache-control"] == "no-store"
    refreshed = anon.post("/auth/refresh", json={"refresh_token": login.json()["refresh_token"]})
    assert refreshed.status_code == 200 and refreshed.headers["cache-control"] == "no-store"
    changed = user.post(
        "/users/me/password",
        json={"current_password": PASSWORD, "new_password": "a-better-password"},
    )
    assert changed.status_code == 204, changed.text
    assert changed.headers["cache-control"] == "no-store"


def test_changing_the_password_ends_every_session_and_needs_the_current_one(
    anon: httpx.Client, make_user: Callable[..., User]
) -> None:
    user = make_user()
    sessions = [_login(anon, user.email, PASSWORD) for _ in range(2)]
    wrong = user.post(
        "/users/me/password",
        json={"current_password": "not-my-password", "new_password": "a-better-password"},
    )
    assert problem(wrong, 422)["title"] == "Wrong password"
    short = user.post(
        "/users/me/password", json={"current_password": PASSWORD, "new_password": "short"}
    )
    problem(short, 422)
    anonymous = anon.post(
        "/users/me/password",
        json={"current_password": PASSWORD, "new_password": "a-better-password"},
    )
    problem(anonymous, 401)
    still = anon.post("/auth/refresh", json={"refresh_token": sessions[1]["refresh_token"]})
    assert still.status_code == 200, still.text  # failed changes ended nothing
    sessions[1] = still.json()

    changed = user.post(
        "/users/me/password",
        json={"current_password": PASSWORD, "new_password": "a-better-password"},
    )
    assert changed.status_code == 204, changed.text
    for session in sessions:
        problem(anon.post("/auth/refresh", json={"refresh_token": session["refresh_token"]}), 401)
    problem(anon.post("/auth/login", json={"email": user.email, "password": PASSWORD}), 401)
    _login(anon, user.email, "a-better-password")
