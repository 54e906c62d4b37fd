"""The admin operations page in a real browser: end a stuck saga with a typed reason, watch the
list refresh by itself, and replay a dead-lettered event (once)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import asyncpg
from playwright.sync_api import Page, expect

from tests.acceptance.conftest import User, book, settled, wait_for
from tests.conftest import ADMIN, Infra
from tests.invariants import asyncpg_dsn
from tests.ui.conftest import Tab
from tests.ui.test_pages import page_is_healthy


def end_saga_from_the_page(page: Page, booking_id: str, reason: str) -> bool:
    """Show a just-made tok_timeout booking on the page and end it with `reason`. False when the
    server's 4 s payment deadline ended it first (the page then says so)."""
    page.get_by_role("button", name="Refresh stuck sagas").click()
    row = page.locator(f'tr[data-booking="{booking_id}"]')
    expect(row).to_contain_text("Pending")
    row.get_by_role("button", name="End saga").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Reason").fill(reason)
    dialog.get_by_role("button", name="End saga").click()
    ended = page.get_by_role("status").filter(has_text=f'ended: FAILED, "{reason}"')
    too_late = dialog.get_by_role("alert").filter(has_text="already failed")
    expect(ended.or_(too_late)).to_be_visible()
    if too_late.is_visible():
        dialog.get_by_role("button", name="Close").click()
        return False
    expect(dialog).to_have_count(0)
    return True


def test_an_admin_ends_a_stuck_saga_and_the_list_refreshes_by_itself(
    open_tab: Callable[..., Tab],
    make_ui_show: Callable[..., dict[str, Any]],
    make_user: Callable[..., User],
) -> None:
    show = make_ui_show(rows=1, seats_per_row=4)
    buyer = make_user()
    tab = open_tab()
    tab.login(buyer.email)
    tab.go("/admin/operations")
    expect(tab.page.get_by_role("heading", name="Not allowed")).to_be_visible()

    tab = open_tab()
    tab.login(*ADMIN)
    page = tab.go("/")
    page.get_by_role("link", name="Operations").click()
    expect(page.get_by_role("heading", name="Operations")).to_be_visible()
    expect(page.get_by_label("Pending for more than (seconds)")).to_have_value("30")
    page.get_by_label("Pending for more than (seconds)").fill("0")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page).to_have_url(f"{tab.base_url}/#/admin/operations?older_than=0")
    page_is_healthy(page)

    reason = f"Payment provider outage {uuid.uuid4().hex[:6]}"
    for attempt in range(3):  # the saga deadline is 4 s: a slow machine can lose that race
        _, booking_id = book(buyer, show["id"], [show["seats"][attempt]["id"]], token="tok_timeout")
        if end_saga_from_the_page(page, booking_id, reason):
            break
    else:
        raise AssertionError("the payment deadline ended every saga before the page could")
    expect(page.locator(f'tr[data-booking="{booking_id}"]')).to_have_count(0)
    final = settled(buyer, booking_id)
    assert (final["status"], final["reason"]) == ("FAILED", reason)

    # Nobody touches the page: the deadline fails this one and the 5 s poll drops its row.
    _, timed_out = book(buyer, show["id"], [show["seats"][3]["id"]], token="tok_timeout")
    page.get_by_role("button", name="Refresh stuck sagas").click()
    row = page.locator(f'tr[data-booking="{timed_out}"]')
    expect(row.get_by_role("link")).to_have_attribute("href", f"#/bookings/{timed_out}")
    expect(row).to_contain_text(show["title"])
    expect(row).to_contain_text("payment_requested")
    expect(row).to_have_count(0, timeout=15_000)
    assert settled(buyer, timed_out)["status"] == "FAILED"
    assert tab.console_errors("409") == []


INSERT_DEAD_LETTER = (
    "INSERT INTO notification.dead_letters (consumer, event_id, type, envelope, error, deliveries,"
    " created_at) VALUES ($1, $2, $3, $4, $5, 5, now()) RETURNING id"
)


def park_dead_letter(infra: Infra, user_id: str, reason: str) -> tuple[int, str]:
    """A booking.booking.cancelled event the notification consumer gave up on, as the consumer
    parks it; returns (dead letter id, event id)."""
    envelope = {
        "id": str(uuid.uuid4()),
        "type": "booking.booking.cancelled",
        "version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "producer": "booking",
        "correlation_id": "",
        "trace": {},
        "payload": {
            "booking_id": str(uuid.uuid4()),
            "user_id": user_id,
            "show_id": str(uuid.uuid4()),
            "hold_id": "",
            "reason": reason,
        },
    }

    async def park() -> int:
        conn = await asyncpg.connect(asyncpg_dsn(infra.database_url))
        try:
            return int(await conn.fetchval(INSERT_DEAD_LETTER, *row))
        finally:
            await conn.close()

    row = (
        "notification-bookings",
        uuid.UUID(envelope["id"]),
        envelope["type"],
        json.dumps(envelope),
        "RuntimeError: simulated outage",
    )

    # Playwright's sync API keeps an event loop in this thread: run asyncpg in another one.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, park()).result(timeout=30), envelope["id"]


def test_an_admin_replays_a_dead_letter_once_and_reads_why_a_second_replay_is_refused(
    infra: Infra,
    admin: User,
    open_tab: Callable[..., Tab],
    make_user: Callable[..., User],
) -> None:
    customer = make_user()
    body = f"Cancelled during an outage {uuid.uuid4().hex[:6]}"
    parked, event_id = park_dead_letter(infra, customer.id, body)
    stale, _ = park_dead_letter(infra, customer.id, f"{body} (stale)")
    tab = open_tab()
    tab.login(*ADMIN)
    page = tab.go("/admin/operations")
    row = page.locator(f'tr[data-dead-letter="notification:{parked}"]')
    for text in ("notification-bookings", "booking.booking.cancelled", event_id[:8]):
        expect(row).to_contain_text(text)
    expect(row).to_contain_text("RuntimeError: simulated outage")
    page_is_healthy(page)

    row.get_by_role("button", name="Replay").click()
    expect(page.get_by_role("status").filter(has_text=f"Dead letter {parked} ")).to_contain_text(
        "was replayed: the notification-bookings consumer handled it."
    )
    expect(row).to_have_count(0)
    mine = wait_for(lambda: customer.get("/notifications").json())
    assert [n["body"] for n in mine if n["body"].startswith(body)] == [body]

    # Someone else replays the other one first: the page says why its replay was refused.
    assert admin.post(f"/admin/dead-letters/notification/{stale}/replay").status_code == 200
    page.locator(f'tr[data-dead-letter="notification:{stale}"]').get_by_role(
        "button", name="Replay"
    ).click()
    expect(page.get_by_role("alert").filter(has_text=f"Dead letter {stale} ")).to_contain_text(
        f"was not replayed: Dead letter {stale} was replayed already."
    )
    page.get_by_label("Include replayed").check()
    replayed = page.locator(f'tr[data-dead-letter="notification:{parked}"]')
    expect(replayed).to_be_visible()
    expect(replayed.get_by_role("button", name="Replay")).to_have_count(0)
    page.set_viewport_size({"width": 390, "height": 844})  # wide tables scroll inside the page
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert tab.console_errors("409") == []
