"""The waiting room in a real browser: the organizer opens one for a show from the show's page;
a customer who tries to hold is sent to the line, the browser does the join's proof of work,
and at their turn they are back on the seat map, their pick kept, with a pass, and hold. An
automatic rate and a limit of tickets set in the form; a sold-out show's waiting list joined
from the show's page, the seat that comes back offered and booked from there."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import expect

from tests.acceptance.conftest import ADMIN, User
from tests.acceptance.test_waiting_room import admitted, hold, join, open_room
from tests.ui.conftest import Tab, seat


def test_the_organizer_opens_a_waiting_room_and_a_customer_queues_then_holds(
    open_tab: Callable[..., Tab],
    make_ui_show: Callable[..., dict[str, Any]],
    make_user: Callable[..., User],
) -> None:
    show = make_ui_show()
    org_tab = open_tab()
    org_tab.login(*ADMIN)  # the admin may manage every show
    page = org_tab.go(f"/org/shows/{show['id']}")
    panel = page.get_by_role("region", name="Waiting room")
    expect(panel).to_contain_text("No waiting room")
    # The form's fields are in the venue's zone (UTC for the UI hall), to the minute: the
    # on-sale began a minute ago, so a customer who comes now joins the end of the line.
    now = datetime.now(UTC)
    panel.get_by_label(re.compile("Opens at")).fill(
        (now - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M")
    )
    panel.get_by_label(re.compile("On-sale at")).fill(
        (now - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    )
    panel.get_by_label("Admission").select_option("fixed")
    panel.get_by_label("Buyers let in per minute").fill("600")
    panel.get_by_role("button", name="Open a waiting room").click()
    expect(panel).to_contain_text("600 buyers a minute")
    assert org_tab.console_errors() == []

    customer = make_user()
    tab = open_tab()
    tab.login(customer.email)
    page = tab.go(f"/shows/{show['id']}")
    expect(page.get_by_role("status").filter(has_text="has a waiting room")).to_be_visible()
    seat(page, "A3").click()
    page.get_by_role("button", name="Hold 1 ticket").click()  # refused: no pass yet

    expect(page.get_by_role("heading", name=re.compile("Waiting room"))).to_be_visible()
    # the browser solves the challenge, joins, and within a second or two is let in
    expect(page.get_by_text(re.compile("You're in: pick your seats"))).to_be_visible(timeout=30_000)
    expect(seat(page, "A3")).to_have_attribute("aria-checked", "true")  # the pick came back
    page.get_by_role("button", name="Hold 1 ticket").click()
    expect(page.get_by_role("heading", name="Checkout")).to_be_visible()
    assert tab.console_errors("403") == []

    # the organizer's dashboard counts the line
    board = org_tab.go(f"/org/shows/{show['id']}/dashboard")
    figures = board.get_by_role("region", name="Waiting room")
    expect(figures).to_contain_text("Let in so far1")
    expect(figures).to_contain_text("600 buyers a minute")
    assert org_tab.console_errors() == []


def test_the_waiting_room_page_moves_the_place_up_as_the_line_is_served(
    open_tab: Callable[..., Tab],
    make_ui_show: Callable[..., dict[str, Any]],
    organizer: User,
    make_user: Callable[..., User],
) -> None:
    show = make_ui_show()
    now = datetime.now(UTC)
    room = organizer.put(
        f"/shows/{show['id']}/waiting-room",
        json={
            "opens_at": (now - timedelta(minutes=2)).isoformat(),
            "on_sale_at": (now - timedelta(minutes=1)).isoformat(),
            "admission_rate": 6,  # one every 10 s
        },
    )
    assert room.status_code == 200, room.text
    ahead = [make_user() for _ in range(2)]
    for user in ahead:  # two people in line first (the first is let in at once)
        assert join(user, show["id"]).status_code == 201

    tab = open_tab()
    tab.login(make_user().email)
    reads: list[str] = []
    tab.page.on("request", lambda r: reads.append(r.url) if "/api/v1/queue/" in r.url else None)
    with tab.page.expect_response(lambda r: r.url.endswith("/queue/stream")) as stream:
        page = tab.go(f"/shows/{show['id']}/queue")
    assert stream.value.status == 200
    place = page.locator("[data-position]")
    expect(place).to_have_attribute("data-position", "2", timeout=15_000)
    expect(place).to_have_attribute("data-position", "1", timeout=15_000)
    expect(page.get_by_text(re.compile("You're in: pick your seats"))).to_be_visible(timeout=20_000)
    # ~20 s in line: a read every 2 s would be ten; pushed, the page reads when the turn comes
    # and every 10 s as a fallback
    assert len(reads) <= 5, reads
    assert tab.console_errors() == []


def test_automatic_admission_and_the_waiting_list_of_a_sold_out_show(
    open_tab: Callable[..., Tab],
    make_ui_show: Callable[..., dict[str, Any]],
    organizer: User,
    make_user: Callable[..., User],
) -> None:
    show = make_ui_show(rows=1, seats_per_row=2)
    org_tab = open_tab()
    org_tab.login(*ADMIN)
    page = org_tab.go(f"/org/shows/{show['id']}")
    panel = page.get_by_role("region", name="Waiting room")
    expect(panel.get_by_label("Admission")).to_have_value("auto")  # a new room's default
    now = datetime.now(UTC)
    panel.get_by_label(re.compile("Opens at")).fill(
        (now - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M")
    )
    panel.get_by_label(re.compile("On-sale at")).fill(
        (now - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    )
    panel.get_by_label(re.compile("Buyers a minute to start with")).fill("300")
    panel.get_by_label("Tickets per customer").fill("2")
    panel.get_by_role("button", name="Open a waiting room").click()
    expect(panel).to_contain_text("automatic admission")
    room = organizer.get(f"/shows/{show['id']}/waiting-room").json()
    assert room["admission_rate"] == "auto" and room["auto_start_rate"] == 300, room
    assert room["max_tickets_per_customer"] == 2, room
    # the room goes again so that the customers below hold directly
    panel.get_by_role("button", name="Remove").click()
    expect(panel).to_contain_text("No waiting room")
    assert org_tab.console_errors() == []

    holder = make_user()
    holds = [
        holder.post(f"/shows/{show['id']}/holds", json={"seat_ids": [s["id"]]}).json()["hold_id"]
        for s in show["seats"]
    ]
    fan = make_user()
    tab = open_tab()
    tab.login(fan.email)
    page = tab.go(f"/shows/{show['id']}")
    page.get_by_role("button", name="Join the waiting list").click()
    expect(page.get_by_text(re.compile("You are #1 on the waiting list"))).to_be_visible()
    # a seat comes back: it is offered to the fan, whose page shows it within its next read
    assert holder.delete(f"/holds/{holds[0]}").status_code == 204
    expect(page.get_by_text(re.compile("Seats came back for you"))).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Book them now").click()
    expect(page.get_by_role("heading", name="Checkout")).to_be_visible()
    # the one 404: the page asking for the fan's place before they joined
    assert tab.console_errors("404") == []


def test_a_sold_out_line_offers_the_waiting_list_on_the_waiting_room_page(
    open_tab: Callable[..., Tab],
    make_ui_show: Callable[..., dict[str, Any]],
    organizer: User,
    make_user: Callable[..., User],
) -> None:
    show = make_ui_show(rows=1, seats_per_row=1)
    assert open_room(organizer, show["id"], on_sale_in=0, rate=6000).status_code == 200
    first = make_user()
    token = admitted(first, join(first, show["id"]).json()["queue_id"])["admission_pass"]
    assert hold(first, show["id"], show["seats"][0]["id"], token).status_code == 201

    tab = open_tab()
    tab.login(make_user().email)
    page = tab.go(f"/shows/{show['id']}/queue")
    expect(page.get_by_text(re.compile("Sold out for now: every ticket"))).to_be_visible(
        timeout=20_000
    )
    page.get_by_role("button", name="Join the waiting list").click()
    expect(page.get_by_text(re.compile("You are #1 on the waiting list"))).to_be_visible()
    assert tab.console_errors("404") == []  # the place asked for before joining
