"""The routes added for the web UI, over HTTP: a ticket's QR code (its owner or an admin only)
and a show's sales (its organizer or an admin only)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from tests.acceptance.conftest import User, book, settled


def test_a_ticket_qr_code_is_an_svg_for_its_owner_and_admins_and_hidden_from_others(
    make_ui_show: Callable[..., dict[str, Any]], make_user: Callable[..., User], admin: User
) -> None:
    show = make_ui_show(rows=2, seats_per_row=3)
    owner, stranger = make_user(), make_user()
    booking = settled(owner, book(owner, show["id"], [show["seats"][0]["id"]])[1])
    ticket = booking["tickets"][0]

    mine = owner.get(f"/tickets/{ticket['id']}/qr")
    assert mine.status_code == 200
    assert mine.headers["content-type"].startswith("image/svg+xml")
    assert mine.text.startswith("<svg") and 'xmlns="http://www.w3.org/2000/svg"' in mine.text
    assert admin.get(f"/tickets/{ticket['id']}/qr").text == mine.text
    hidden = stranger.get(f"/tickets/{ticket['id']}/qr")
    assert hidden.status_code == 404
    assert hidden.headers["content-type"] == "application/problem+json"
    assert owner.get(f"/tickets/{uuid.uuid4()}/qr").status_code == 404


def test_show_sales_count_bookings_and_revenue_for_the_organizer_and_admins_only(
    make_ui_show: Callable[..., dict[str, Any]],
    make_user: Callable[..., User],
    organizer: User,
    admin: User,
) -> None:
    show = make_ui_show(rows=2, seats_per_row=4)
    buyer = make_user()
    seats = [s["id"] for s in show["seats"]]
    confirmed = settled(buyer, book(buyer, show["id"], seats[:2])[1])
    declined = settled(buyer, book(buyer, show["id"], seats[2:3], "tok_decline")[1])
    assert (confirmed["status"], declined["status"]) == ("CONFIRMED", "FAILED")

    sales = organizer.get(f"/shows/{show['id']}/sales")
    assert sales.status_code == 200, sales.text
    body = sales.json()
    assert body["bookings"] == {
        "PENDING": 0,
        "CONFIRMED": 1,
        "CANCELLED": 0,
        "FAILED": 1,
        "EXPIRED": 0,
    }
    assert body["tickets_sold"] == 2
    assert body["revenue"] == confirmed["total"] == 10_000
    assert body["currency"] == "EUR"
    assert [b["id"] for b in body["recent"]] == [declined["id"], confirmed["id"]]
    assert admin.get(f"/shows/{show['id']}/sales").json()["revenue"] == 10_000

    assert make_user("organizer").get(f"/shows/{show['id']}/sales").status_code == 403
    assert buyer.get(f"/shows/{show['id']}/sales").status_code == 403
    assert organizer.get(f"/shows/{uuid.uuid4()}/sales").status_code == 404
