"""Show times read in the venue's time zone, whatever the time zone of the browser."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import expect

from tests.ui.conftest import Tab


def test_a_show_in_tokyo_reads_in_tokyo_time_in_a_browser_in_los_angeles(
    open_tab: Callable[..., Tab], make_ui_show: Callable[..., dict[str, Any]]
) -> None:
    # 19:30 in Tokyo (UTC+9, no daylight saving) is 10:30 UTC and 03:30 or 02:30 in Los Angeles.
    day = (datetime.now(UTC) + timedelta(days=6)).date()
    starts = datetime(day.year, day.month, day.day, 10, 30, tzinfo=UTC)
    show = make_ui_show(time_zone="Asia/Tokyo", starts_at=starts)
    tab = open_tab(time_zone="America/Los_Angeles")
    page = tab.go(f"/shows/{show['id']}")
    expect(page.get_by_role("heading", name=show["title"])).to_be_visible()
    expect(page.locator(".meta").first).to_contain_text("19:30 GMT+9")
    assert tab.console_errors() == []
