"""The organizer portal in a real browser: a venue and its hall drawn in the layout editor, an
event and a show with prices, published, then a sale made by a customer appearing live on the
sales dashboard."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import httpx
from playwright.sync_api import expect

from tests.acceptance.conftest import User, book, settled, wait_for
from tests.ui.conftest import Tab, seat


def test_organizer_draws_a_hall_publishes_a_show_and_watches_a_sale_arrive(
    open_tab: Callable[..., Tab], make_user: Callable[..., User], anon: httpx.Client
) -> None:
    organizer, buyer = make_user("organizer"), make_user("customer")
    name = uuid.uuid4().hex[:6]
    tab = open_tab()
    tab.login(organizer.email)
    page = tab.page

    page.get_by_role("link", name="Organizer").click()
    page.get_by_role("link", name="New venue").click()
    page.get_by_label("Venue name").fill(f"Venue {name}")
    page.get_by_label("City").fill("Editville")
    page.get_by_role("button", name="Create venue").click()

    expect(page.get_by_role("heading", name="New hall")).to_be_visible()
    page.get_by_label("Hall name").fill("Studio")
    page.get_by_label("Rows", exact=True).fill("3")
    page.get_by_label("Seats per row").fill("6")
    page.get_by_role("button", name="Generate seats").click()
    page.get_by_label("Category of row A").select_option("premium")
    page.get_by_label("Name of row 3").fill("R")
    page.get_by_label("Name of row 3").press("Tab")
    page.get_by_role("radio", name="block or unblock it").check()
    seat(page, "B6").click()
    expect(seat(page, "B6")).to_have_attribute("aria-label", re.compile("not for sale"))
    expect(seat(page, "A1")).to_have_attribute("aria-label", re.compile("premium"))
    expect(seat(page, "R1")).to_be_visible()
    page.get_by_role("button", name="Add standing area").click()
    page.get_by_label("Capacity").fill("50")
    expect(page.locator(".editor-summary")).to_have_text(
        "18 seats in 3 rows (1 blocked) · 1 standing area with 50 places"
    )
    page.get_by_role("button", name="Save hall").click()
    expect(page.get_by_role("heading", name="Studio")).to_be_visible()
    expect(page.get_by_text("18 seats · 1 blocked · 50 standing places")).to_be_visible()

    page.get_by_role("link", name="Events").click()
    page.get_by_label("Title").fill(f"Premiere {name}")
    page.get_by_label("Category").fill("theatre")
    page.get_by_label("Duration (minutes)").fill("100")
    page.get_by_role("button", name="Create event").click()

    expect(page.get_by_role("heading", name="New show")).to_be_visible()
    page.get_by_label("Venue").select_option(label=f"Venue {name}, Editville")
    page.get_by_label("Hall").select_option(label="Studio (18 seats)")
    page.get_by_label("Price for premium").fill("60")
    page.get_by_label("Price for standard").fill("35")
    page.get_by_label("Price for standing").fill("20")
    page.get_by_label("Max tickets per booking").fill("4")
    page.get_by_role("button", name="Create show (draft)").click()
    expect(page.get_by_role("heading", name=f"Premiere {name}")).to_be_visible()
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".badge-published")).to_be_visible()

    show_id = page.url.rsplit("/", 1)[-1]
    seats = wait_for(lambda: anon.get(f"/shows/{show_id}/seats").json().get("seats"))
    page.get_by_role("link", name="Sales dashboard").click()
    expect(page.locator("#kpi-sold")).to_have_text("0")
    expect(page.locator("#kpi-available")).to_have_text("67")  # 17 seats + 50 standing

    by_label = {s["label"]: s["id"] for s in seats}
    _, booking_id = book(buyer, show_id, [by_label["A1"], by_label["B1"]])
    assert settled(buyer, booking_id)["status"] == "CONFIRMED"

    expect(page.locator("#kpi-sold")).to_have_text("2", timeout=10_000)
    expect(page.locator("#kpi-revenue")).to_have_text("€95.00")
    expect(page.locator("#recent-bookings")).to_contain_text(booking_id[:8])
    expect(page.locator("#recent-bookings")).to_contain_text("Confirmed")
    expect(page.locator(".seatmap .seat.state-sold")).to_have_count(2)
    assert tab.console_errors() == []
