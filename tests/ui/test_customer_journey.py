"""The customer portal in a real browser: register, find a show, pick seats on the map (mouse
and keyboard), hold, pay with a test card, follow the saga, see tickets with QR codes, cancel."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, Route, expect

from tests.acceptance.conftest import User, book, settled
from tests.ui.conftest import PASSWORD, Tab, seat


def qr_loaded(page: Page, name: str) -> bool:
    image = page.get_by_role("img", name=name)
    expect(image).to_be_visible()
    return bool(image.evaluate("img => img.complete && img.naturalWidth > 0"))


def test_customer_registers_books_seats_from_the_map_sees_tickets_and_cancels(
    open_tab: Callable[..., Tab], make_ui_show: Callable[..., dict[str, Any]]
) -> None:
    show = make_ui_show()
    tab = open_tab()
    page = tab.go("/register")
    page.get_by_label("Your name").fill("Uma Interface")
    page.get_by_label("Email").fill(f"uma{uuid.uuid4().hex[:10]}@boxoffice.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    page.get_by_label("Search", exact=True).fill(show["title"])
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("status").filter(has_text="1 show match")).to_be_visible()
    page.get_by_role("link", name=show["title"]).click()
    expect(page.get_by_role("heading", name=show["title"])).to_be_visible()

    a1, a2 = seat(page, "A1"), seat(page, "A2")
    expect(a1).to_have_attribute("aria-label", "Row A seat 1, premium, 50.00 EUR, available")
    a1.click()  # the mouse selects A1 …
    page.keyboard.press("ArrowRight")  # … the keyboard moves to A2 and selects it
    page.keyboard.press("Enter")
    expect(a1).to_have_attribute("aria-checked", "true")
    expect(a2).to_have_attribute("aria-checked", "true")
    expect(page.locator(".pick-total")).to_contain_text("€100.00")
    page.get_by_role("button", name="Hold 2 tickets").click()

    expect(page.get_by_role("heading", name="Checkout")).to_be_visible()
    expect(page.get_by_role("timer")).to_contain_text(re.compile(r"\d+:\d\d"))
    for token in ("tok_success", "tok_decline", "tok_timeout", "tok_slow"):
        expect(page.get_by_text(token, exact=True)).to_be_visible()
    page.get_by_role("radio", name=re.compile("tok_success")).check()
    page.get_by_role("button", name="Pay €100.00").click()

    expect(page.locator(".status-word")).to_have_attribute(
        "data-status", "CONFIRMED", timeout=15_000
    )
    expect(page.get_by_role("list", name="Booking progress")).to_contain_text("Tickets issued")
    assert qr_loaded(page, "QR code for ticket A1")
    assert qr_loaded(page, "QR code for ticket A2")

    page.get_by_role("link", name="My tickets").click()
    expect(page.get_by_role("heading", name="My tickets")).to_be_visible()
    assert qr_loaded(page, "QR code for ticket A2")
    expect(page.get_by_role("article", name="Ticket A1")).to_contain_text("BX1.")

    page.get_by_role("link", name="My bookings").click()
    page.get_by_role("link", name=show["title"]).click()
    page.get_by_role("button", name="Cancel booking").click()
    page.get_by_role("button", name="Yes, cancel booking").click()
    expect(page.locator(".status-word")).to_have_attribute("data-status", "CANCELLED")
    expect(page.get_by_text(re.compile(r"Payment refunded"))).to_be_visible(timeout=15_000)

    page.get_by_role("link", name="Notifications").click()
    expect(page.get_by_role("main")).to_contain_text(f"Booked: {show['title']}")
    expect(page.get_by_role("main")).to_contain_text("Refund issued")

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    assert tab.console_errors() == []


def test_standing_places_with_a_declined_card_fail_with_the_reason_shown(
    open_tab: Callable[..., Tab],
    make_ui_show: Callable[..., dict[str, Any]],
    make_user: Callable[..., User],
) -> None:
    show = make_ui_show(rows=1, seats_per_row=4, ga_capacity=30)
    tab = open_tab()
    tab.login(make_user().email)
    page = tab.go(f"/shows/{show['id']}")
    expect(page.get_by_text("30 of 30 left")).to_be_visible()
    page.get_by_role("button", name="One more for Floor").click()
    page.get_by_role("button", name="One more for Floor").click()
    expect(page.get_by_label("Tickets for Floor")).to_have_value("2")
    page.get_by_role("button", name="Hold 2 tickets").click()

    expect(page.get_by_role("heading", name="Checkout")).to_be_visible()
    expect(page.locator(".pick-list")).to_contain_text("2 × Floor")
    page.get_by_role("radio", name=re.compile("tok_decline")).check()
    page.get_by_role("button", name="Pay €40.00").click()

    expect(page.locator(".status-word")).to_have_attribute("data-status", "FAILED", timeout=15_000)
    expect(page.locator(".reason")).to_contain_text("Payment failed")
    page.get_by_role("link", name="Try again").click()
    expect(page.get_by_text("30 of 30 left")).to_be_visible()  # the places came back
    assert tab.console_errors() == []


def test_a_booking_the_server_sheds_with_503_is_asked_again_with_its_key_and_goes_through(
    open_tab: Callable[..., Tab],
    make_ui_show: Callable[..., dict[str, Any]],
    make_user: Callable[..., User],
) -> None:
    show = make_ui_show()
    tab = open_tab()
    tab.login(make_user().email)
    page = tab.go(f"/shows/{show['id']}")
    keys: list[str | None] = []

    def shed_twice(route: Route) -> None:
        keys.append(route.request.headers.get("idempotency-key"))
        if len(keys) <= 2:  # as the booking service answers past its admission queue
            route.fulfill(
                status=503,
                headers={"Retry-After": "1", "Content-Type": "application/problem+json"},
                body='{"type": "/problems/unavailable", "title": "Service Unavailable",'
                ' "status": 503, "detail": "Busy; try again."}',
            )
        else:
            route.continue_()

    page.route("**/api/v1/bookings", shed_twice)
    seat(page, "A3").click()
    page.get_by_role("button", name="Hold 1 ticket").click()
    expect(page.get_by_role("heading", name="Checkout")).to_be_visible()
    page.get_by_role("radio", name=re.compile("tok_success")).check()
    page.get_by_role("button", name="Pay €50.00").click()

    expect(page.locator(".status-word")).to_have_attribute(
        "data-status", "CONFIRMED", timeout=20_000
    )
    assert len(keys) == 3 and keys[0] is not None and len(set(keys)) == 1
    assert tab.console_errors("503") == []


def test_the_booking_page_hears_of_a_cancellation_on_the_live_channel_without_polling(
    open_tab: Callable[..., Tab],
    make_ui_show: Callable[..., dict[str, Any]],
    make_user: Callable[..., User],
) -> None:
    """A confirmed booking's page does not poll (its status is final), so only the pushed
    status change can tell it that the booking was cancelled elsewhere (another tab, support)."""
    show = make_ui_show()
    customer = make_user()
    seat_id = next(s["id"] for s in show["seats"] if s["state"] == "available")
    _, booking_id = book(customer, show["id"], [seat_id])
    assert settled(customer, booking_id)["status"] == "CONFIRMED"

    tab = open_tab()
    tab.login(customer.email)
    with tab.page.expect_response(lambda r: r.url.endswith("/api/v1/live")) as live:
        page = tab.go(f"/bookings/{booking_id}")
    assert live.value.status == 200
    expect(page.locator(".status-word")).to_have_attribute("data-status", "CONFIRMED")
    reads: list[str] = []
    page.on(
        "request",
        lambda r: reads.append(r.url) if r.url.endswith(f"/bookings/{booking_id}") else None,
    )
    cancelled = customer.post(f"/bookings/{booking_id}/cancel", json={"reason": "plans changed"})
    assert cancelled.status_code == 200, cancelled.text
    expect(page.locator(".status-word")).to_have_attribute(
        "data-status", "CANCELLED", timeout=10_000
    )
    assert reads, "the page read the booking again because it was told to"
    assert tab.console_errors() == []
