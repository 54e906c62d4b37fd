"""The admin portal in a real browser: find a booking, refund part of it; give a user a role."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from tests.acceptance.conftest import User, book, settled, wait_for
from tests.conftest import ADMIN
from tests.ui.conftest import Tab


def test_admin_finds_a_booking_refunds_part_of_it_and_makes_a_user_an_organizer(
    open_tab: Callable[..., Tab],
    make_ui_show: Callable[..., dict[str, Any]],
    make_user: Callable[..., User],
) -> None:
    show = make_ui_show(rows=1, seats_per_row=4)
    buyer = make_user()
    booking = settled(buyer, book(buyer, show["id"], [show["seats"][0]["id"]])[1])
    assert booking["status"] == "CONFIRMED"
    tab = open_tab()
    tab.login(*ADMIN)
    page = tab.go("/admin/bookings")
    page.get_by_label("Show").fill(show["id"])
    page.get_by_role("button", name="Search").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    page.get_by_role("button", name="Refund").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("€50.00 charged, €0.00 refunded so far")
    dialog.get_by_label("Amount (EUR)").fill("12.50")
    dialog.get_by_role("button", name="Refund").click()
    expect(page.get_by_role("status").filter(has_text="Refunded: €12.50")).to_be_visible()
    payment = wait_for(lambda: buyer.get(f"/bookings/{booking['id']}/payment").json())
    assert payment["refunded"] == 1250

    page = tab.go(f"/admin/users?email={buyer.email}")
    page.get_by_label(f"organizer role for {buyer.email}").check()
    page.get_by_role("button", name="Save roles").click()
    expect(
        page.get_by_role("status").filter(has_text=re.compile("customer, organizer"))
    ).to_be_visible()
    assert sorted(buyer.get("/users/me").json()["roles"]) in (
        ["customer"],
        ["customer", "organizer"],
    )
    assert tab.console_errors() == []
