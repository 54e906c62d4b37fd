"""Two people want the same seat: one wins, the other is told at once and sees the seat go,
without reloading the page (live seat map), or is told by the 409 of a hold that lost; standing
places that others take or give back are counted live too."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from tests.acceptance.conftest import User
from tests.ui.conftest import Tab, seat


def test_two_customers_race_for_a_seat_the_loser_sees_it_taken_live_without_reload(
    open_tab: Callable[..., Tab],
    make_ui_show: Callable[..., dict[str, Any]],
    make_user: Callable[..., User],
) -> None:
    show = make_ui_show()
    alice, bob = open_tab(), open_tab()
    alice.login(make_user().email)
    bob.login(make_user().email)
    for tab in (alice, bob):
        tab.go(f"/shows/{show['id']}")
        expect(tab.page.locator(".live-dot")).to_have_text("Live")
        seat(tab.page, "B3").click()
        expect(seat(tab.page, "B3")).to_have_attribute("aria-checked", "true")
    bob.page.evaluate("window.__sameDocument = true")

    alice.page.get_by_role("button", name="Hold 1 ticket").click()
    expect(alice.page.get_by_role("heading", name="Checkout")).to_be_visible()

    b3 = seat(bob.page, "B3")
    expect(b3).to_have_attribute("aria-label", re.compile("held by someone else"), timeout=3_000)
    expect(b3).to_have_attribute("aria-checked", "false")
    expect(b3).to_have_attribute("aria-disabled", "true")
    expect(bob.page.locator(".pick-status")).to_contain_text(
        "Seat B3 was just taken by someone else"
    )
    expect(bob.page.get_by_role("button", name="Hold seats")).to_be_disabled()
    assert bob.page.evaluate("window.__sameDocument") is True  # no reload happened
    b3.click(force=True)  # a taken seat cannot be selected
    expect(b3).to_have_attribute("aria-checked", "false")
    assert alice.console_errors() == [] and bob.console_errors() == []


def test_a_hold_that_loses_the_race_names_the_taken_seat_and_refreshes_the_map(
    open_tab: Callable[..., Tab],
    make_ui_show: Callable[..., dict[str, Any]],
    make_user: Callable[..., User],
) -> None:
    show = make_ui_show()
    rival = make_user()
    tab = open_tab()
    tab.login(make_user().email)
    # A live feed that lags behind: this page learns of the rival's hold only from the 409.
    tab.page.route("**/seats/stream", lambda route: route.abort())
    tab.go(f"/shows/{show['id']}")
    seat(tab.page, "C4").click()
    seat(tab.page, "C5").click()
    c4 = next(s["id"] for s in show["seats"] if s["label"] == "C4")
    assert rival.post(f"/shows/{show['id']}/holds", json={"seat_ids": [c4]}).status_code == 201

    tab.page.get_by_role("button", name="Hold 2 tickets").click()

    expect(tab.page.get_by_role("alert")).to_contain_text("Already taken: C4")
    expect(seat(tab.page, "C4")).to_have_attribute("aria-label", re.compile("held by someone"))
    expect(seat(tab.page, "C4")).to_have_attribute("aria-checked", "false")
    expect(seat(tab.page, "C5")).to_have_attribute("aria-checked", "true")
    expect(tab.page.get_by_role("button", name="Hold 1 ticket")).to_be_enabled()
    # The failed hold and the blocked stream are the only console errors.
    assert tab.console_errors("409", "net::ERR_FAILED") == []


def test_standing_places_taken_by_someone_else_are_counted_down_live_without_reload(
    open_tab: Callable[..., Tab],
    make_ui_show: Callable[..., dict[str, Any]],
    make_user: Callable[..., User],
) -> None:
    show = make_ui_show(rows=1, seats_per_row=4, ga_capacity=30)
    area = show["ga_areas"][0]["id"]
    tab = open_tab()
    tab.login(make_user().email)
    page = tab.go(f"/shows/{show['id']}")
    expect(page.locator(".live-dot")).to_have_text("Live")
    expect(page.get_by_text("30 of 30 left")).to_be_visible()
    page.evaluate("window.__sameDocument = true")

    rival = make_user()
    hold = rival.post(f"/shows/{show['id']}/holds", json={"ga": [{"area_id": area, "quantity": 3}]})
    assert hold.status_code == 201
    # Pushed on the seat stream; the page's fallback re-fetch comes only every 30 s.
    expect(page.get_by_text("27 of 30 left")).to_be_visible(timeout=3_000)
    assert rival.delete(f"/holds/{hold.json()['hold_id']}").status_code == 204
    expect(page.get_by_text("30 of 30 left")).to_be_visible(timeout=3_000)
    assert page.evaluate("window.__sameDocument") is True  # no reload happened
    assert tab.console_errors() == []
