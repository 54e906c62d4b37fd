"""Every page of both portals renders for the roles that may see it, with labelled controls, no
console errors, no raw error documents, and a layout that fits a phone."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from tests.acceptance.conftest import User, book, settled
from tests.conftest import ADMIN
from tests.ui.conftest import Tab, seat

# Form controls and buttons that a screen reader could not name.
UNLABELLED = """() => [...document.querySelectorAll(
    'main input, main select, main textarea, main button')]
  .filter((el) => el.offsetParent !== null && el.type !== 'hidden')
  .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
    && !el.getAttribute('aria-labelledby') && !(el.tagName === 'BUTTON' && el.textContent.trim()))
  .map((el) => el.outerHTML.slice(0, 120))"""


def page_is_healthy(page: Page) -> None:
    expect(page.locator("main h1")).to_have_count(1)
    expect(page.locator("main .loading")).to_have_count(0)
    expect(page.get_by_text("This page could not be shown")).to_have_count(0)
    assert page.evaluate(UNLABELLED) == []


def test_every_main_page_renders_labelled_without_console_errors(
    open_tab: Callable[..., Tab],
    make_ui_show: Callable[..., dict[str, Any]],
    make_user: Callable[..., User],
) -> None:
    show = make_ui_show(rows=3, seats_per_row=6, ga_capacity=20)
    buyer = make_user()
    booking = settled(buyer, book(buyer, show["id"], [show["seats"][0]["id"]])[1])
    assert booking["status"] == "CONFIRMED"
    tab = open_tab()
    for route in (
        "/",
        "/login",
        "/register",
        f"/shows/{show['id']}",
        f"/events/{show['event_id']}",
    ):
        tab.go(route)
        page_is_healthy(tab.page)
    tab.login(*ADMIN)
    routes = [
        "/bookings",
        "/tickets",
        "/notifications",
        "/org",
        "/org/venues",
        "/org/venues/new",
        f"/org/venues/{show['venue_id']}",
        f"/org/venues/{show['venue_id']}/halls/new",
        f"/org/halls/{show['hall_id']}",
        "/org/events",
        "/org/shows/new",
        f"/org/shows/{show['id']}",
        f"/org/shows/{show['id']}/dashboard",
        "/admin/bookings",
        "/admin/users",
        f"/shows/{show['id']}",
    ]
    for route in routes:
        tab.go(route)
        page_is_healthy(tab.page)
    expect(tab.page.get_by_label("Tickets for Floor")).to_be_visible()
    tab.go(f"/org/shows/{show['id']}/dashboard")
    expect(tab.page.locator("#kpi-sold")).to_have_text("1")
    tab.go("/no/such/page")
    expect(tab.page.get_by_role("heading", name="Page not found")).to_be_visible()
    assert tab.console_errors() == []


def test_the_customer_pages_fit_a_phone_and_the_menu_opens(
    open_tab: Callable[..., Tab],
    make_ui_show: Callable[..., dict[str, Any]],
    make_user: Callable[..., User],
) -> None:
    show = make_ui_show(rows=6, seats_per_row=20)
    tab = open_tab(width=390, height=844)
    tab.login(make_user().email)
    for route in ("/", f"/shows/{show['id']}", "/bookings"):
        tab.go(route)
        page_is_healthy(tab.page)
        overflow = tab.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{route} is {overflow}px wider than the phone"
    tab.go(f"/shows/{show['id']}")
    seat(tab.page, "F20").click()
    expect(tab.page.get_by_role("button", name="Hold 1 ticket")).to_be_visible()
    menu = tab.page.get_by_role("button", name="Menu")
    expect(tab.page.get_by_role("link", name="My tickets")).to_be_hidden()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    tab.page.get_by_role("link", name="My tickets").click()
    expect(tab.page.get_by_role("heading", name="My tickets")).to_be_visible()
    assert tab.console_errors() == []


def test_errors_read_as_sentences_never_as_raw_documents(
    open_tab: Callable[..., Tab], make_user: Callable[..., User]
) -> None:
    user = make_user()
    tab = open_tab()
    tab.go("/login")
    tab.page.get_by_label("Email").fill(user.email)
    tab.page.get_by_label("Password").fill("not-the-password")
    tab.page.get_by_role("button", name="Log in").click()
    expect(tab.page.get_by_role("alert")).to_have_text("Wrong email or password.")

    tab.login(user.email)
    tab.go(f"/bookings/{uuid.uuid4()}")
    expect(tab.page.get_by_role("heading", name="This page could not be shown")).to_be_visible()
    expect(tab.page.get_by_role("alert")).to_contain_text("No booking")
    expect(tab.page.get_by_role("button", name="Try again")).to_be_visible()
    assert "{" not in tab.page.locator("main").inner_text()
    tab.go("/org")  # a customer is told what the page needs
    expect(tab.page.get_by_role("heading", name="Not allowed")).to_be_visible()
    assert tab.console_errors("401", "404") == []


def test_the_api_docs_run_under_the_content_security_policy(open_tab: Callable[..., Tab]) -> None:
    tab = open_tab()
    tab.page.goto(f"{tab.base_url}/docs")
    operations = tab.page.locator(".opblock")
    expect(operations.first).to_be_visible()
    assert operations.count() > 40
    operations.first.locator(".opblock-summary").click()
    expect(tab.page.locator(".opblock-body").first).to_be_visible()
    tab.page.goto(f"{tab.base_url}/")
    expect(tab.page.locator("main h1")).to_have_count(1)
    # a CSP violation is a console error: "Refused to execute inline script…"
    assert tab.console_errors() == []
