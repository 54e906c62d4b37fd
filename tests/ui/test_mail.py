"""Mail in a real browser: a customer who forgot their password asks for a link, the admin
finds the mail in the development inbox, and the link sets a new password; the admin reads a
booking's confirmation there, HTML and all, with its tickets' PDF to download."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from tests.acceptance.conftest import ADMIN, User, book, settled
from tests.acceptance.test_mail import mail_to
from tests.ui.conftest import Tab


def test_a_forgotten_password_and_a_confirmation_through_the_development_inbox(
    open_tab: Callable[..., Tab],
    make_ui_show: Callable[..., dict[str, Any]],
    make_user: Callable[..., User],
    admin: User,
) -> None:
    customer = make_user()
    tab = open_tab()
    page = tab.go("/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(customer.email)
    page.get_by_role("button", name="Send me a link").click()
    expect(
        page.get_by_text(re.compile("a link to choose a new password is on its way"))
    ).to_be_visible()

    mail = mail_to(admin, customer.email, "password_reset")  # it has arrived
    org = open_tab()
    org.login(*ADMIN)
    inbox = org.go(f"/admin/inbox?to={customer.email}")
    inbox.get_by_role("link", name=re.compile("Reset your boxoffice password")).click()
    reading = inbox.get_by_role("article", name=re.compile("Reset your boxoffice password"))
    expect(reading).to_contain_text(customer.email)
    frame = inbox.frame_locator("iframe.mail-html")
    link = frame.get_by_role("link", name="Choose a new password")
    expect(link).to_be_visible()
    href = link.get_attribute("href")
    assert href and "#/reset-password?token=" in href and href.split("#", 1)[1] in mail["text"]

    page = tab.go(href.split("#", 1)[1])
    page.get_by_label("New password").fill("a-brand-new-pass")
    page.get_by_role("button", name="Set the new password").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    tab.login(customer.email, "a-brand-new-pass")
    assert tab.console_errors() == []

    # the admin reads a booking's confirmation and downloads its tickets
    show = make_ui_show(rows=1, seats_per_row=2)
    _, booking_id = book(customer, show["id"], [show["seats"][0]["id"]])
    assert settled(customer, booking_id)["status"] == "CONFIRMED"
    mail_to(admin, customer.email, "booking_confirmed")
    inbox = org.go(f"/admin/inbox?to={customer.email}")
    inbox.get_by_role("link", name=re.compile(f"Your tickets: {show['title']}")).click()
    reading = inbox.get_by_role("article", name=re.compile("Your tickets"))
    expect(inbox.frame_locator("iframe.mail-html").get_by_text("A1", exact=True)).to_be_visible()
    with inbox.expect_download() as download:
        reading.get_by_role("button", name=re.compile("tickets.pdf")).click()
    assert download.value.suggested_filename == "tickets.pdf"
    assert download.value.path().read_bytes()[:5] == b"%PDF-"
    expect(inbox.get_by_role("region", name="Deliveries")).to_contain_text("booking_confirmed")
    assert org.console_errors() == []


def test_a_confirmation_reaches_an_open_page_without_a_reload(
    open_tab: Callable[..., Tab],
    make_ui_show: Callable[..., dict[str, Any]],
    make_user: Callable[..., User],
) -> None:
    customer = make_user()
    show = make_ui_show(rows=1, seats_per_row=2)
    tab = open_tab()
    tab.login(customer.email)
    page = tab.go("/tickets")  # any page: the channel is the app's, not the page's
    with page.expect_response(lambda r: r.url.endswith("/api/v1/live")) as stream:
        page.reload()  # the app opens it as it starts
    assert stream.value.status == 200
    reads: list[str] = []
    page.on("request", lambda r: reads.append(r.url) if "/notifications" in r.url else None)
    _, booking_id = book(customer, show["id"], [show["seats"][0]["id"]])  # from elsewhere
    assert settled(customer, booking_id)["status"] == "CONFIRMED"
    expect(page.get_by_text(re.compile(f"Booked: {show['title']}"))).to_be_visible(timeout=10_000)
    expect(page.locator("#bell-count")).to_have_text("1")
    assert not [r for r in reads if "unread" not in r]  # the count came pushed, not polled
    assert tab.console_errors() == []


def test_a_customer_turns_a_kind_of_mail_off_but_not_their_tickets(
    open_tab: Callable[..., Tab], make_user: Callable[..., User]
) -> None:
    customer = make_user()
    tab = open_tab()
    tab.login(customer.email)
    page = tab.go("/notifications")
    moves = page.get_by_label(re.compile("^Email: A show of yours moves"))
    expect(moves).to_be_checked()
    moves.uncheck()
    expect(page.get_by_text("Saved.")).to_be_visible()
    expect(page.get_by_label(re.compile("^Email: Your tickets"))).to_be_disabled()
    page.reload()
    expect(page.get_by_label(re.compile("^Email: A show of yours moves"))).not_to_be_checked()
    prefs = {p["kind"]: p for p in customer.get("/users/me/notification-preferences").json()}
    assert prefs["show_changed"]["email"] is False and prefs["show_changed"]["in_app"] is True
    # a phone number for texts, then texts for the tickets
    page.get_by_label("Phone number (for texts)").fill("+4915123456789")
    page.get_by_label("Send me texts").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your phone number is saved.")).to_be_visible()
    page.get_by_label(re.compile("^SMS: Your tickets")).check()
    expect(page.get_by_text("Saved.")).to_be_visible()
    me = customer.get("/users/me").json()
    assert (me["phone"], me["sms_opt_in"]) == ("+4915123456789", True)
    prefs = {p["kind"]: p for p in customer.get("/users/me/notification-preferences").json()}
    assert prefs["booking_confirmed"]["sms"] is True
    assert tab.console_errors() == []
