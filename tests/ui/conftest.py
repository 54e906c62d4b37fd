"""UI test fixtures: Debian's Chromium driven by Playwright against the session's live server,
with test data made over the API."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, Response, sync_playwright

from tests.acceptance.conftest import (  # noqa: F401  (fixtures shared with the acceptance tests)
    User,
    admin,
    anon,
    make_user,
    organizer,
    wait_for,
)
from tests.conftest import Server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "a-good-password"


@pytest.fixture(scope="module")
def playwright(server: Server) -> Iterator[Playwright]:  # noqa: ARG001
    """Playwright's sync API runs an event loop in this thread while it is started, so it starts
    after the session's infrastructure (which uses asyncio.run) and stops with each module,
    leaving no loop behind for the async tests that follow."""
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium: Playwright never downloads a browser of its own."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"the UI tests drive Debian's Chromium at {CHROMIUM}: apt-get install chromium")
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@dataclass
class Tab:
    """A page in its own browser context (own storage: one person), with its console errors."""

    page: Page
    base_url: str
    errors: list[str]

    def go(self, route: str) -> Page:
        self.page.goto(f"{self.base_url}/#{route}")
        return self.page

    def login(self, email: str, password: str = PASSWORD) -> None:
        self.go("/login")
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Log in").click()
        # A function, not an expression: Playwright evals expressions inside the page, which
        # the Content-Security-Policy (no 'unsafe-eval') refuses.
        self.page.wait_for_function(
            "() => localStorage.getItem('boxoffice.user') && !location.hash.startsWith('#/login')"
        )

    def console_errors(self, *allowed: str) -> list[str]:
        return [e for e in self.errors if not any(a in e for a in allowed)]


@pytest.fixture
def open_tab(browser: Browser, server: Server) -> Iterator[Callable[..., Tab]]:
    contexts = []

    def open_(width: int = 1280, height: int = 900, time_zone: str | None = None) -> Tab:
        context = browser.new_context(
            viewport={"width": width, "height": height}, timezone_id=time_zone
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        tab = Tab(page, server.base_url, [])

        def on_console(message: ConsoleMessage) -> None:
            if message.type != "error":
                return
            # the browser's "Failed to load resource" does not say which: the response does
            failed = [r for r in responses if r.status >= 400]
            which = (
                f" [{failed[-1].status} {failed[-1].request.method} {failed[-1].url}]"
                if failed
                else ""
            )
            tab.errors.append(
                message.text + (which if "Failed to load resource" in message.text else "")
            )

        responses: list[Response] = []
        page.on("response", lambda r: responses.append(r) if r.status >= 400 else None)
        page.on("console", on_console)
        page.on("pageerror", lambda exc: tab.errors.append(f"uncaught: {exc}"))
        return tab

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def make_ui_show(organizer: User) -> Callable[..., dict[str, Any]]:  # noqa: F811
    """A published show with a unique title (so a search finds exactly it) on sale now."""

    def make(
        rows: int = 4,
        seats_per_row: int = 8,
        ga_capacity: int = 0,
        *,
        time_zone: str = "UTC",
        starts_at: datetime | None = None,
    ) -> dict[str, Any]:
        title = f"UI Show {uuid.uuid4().hex[:8]}"
        venue = organizer.post(
            "/venues", json={"name": "UI Venue", "city": "Uitown", "time_zone": time_zone}
        ).json()
        hall = organizer.post(
            f"/venues/{venue['id']}/halls",
            json={
                "name": "UI Hall",
                "grid": {
                    "rows": rows,
                    "seats_per_row": seats_per_row,
                    "row_categories": {"A": "premium"},
                },
                "ga_areas": [{"name": "Floor", "category": "standing", "capacity": ga_capacity}]
                if ga_capacity
                else [],
            },
        )
        assert hall.status_code == 201, hall.text
        event = organizer.post(
            "/events", json={"title": title, "category": "concert", "duration_minutes": 90}
        ).json()
        now = datetime.now(UTC)
        show = organizer.post(
            "/shows",
            json={
                "event_id": event["id"],
                "hall_id": hall.json()["id"],
                "starts_at": (starts_at or now + timedelta(days=5)).isoformat(),
                "prices": {"premium": 5000, "standard": 3000, "standing": 2000},
                "sales_start": (now - timedelta(hours=1)).isoformat(),
                "sales_end": (now + timedelta(days=4)).isoformat(),
                "max_per_booking": 6,
            },
        )
        assert show.status_code == 201, show.text
        show_id = show.json()["id"]
        assert organizer.post(f"/shows/{show_id}/publish").status_code == 200
        seat_map = wait_for(lambda: _seat_map(organizer, show_id))
        return {
            "id": show_id,
            "title": title,
            "seats": seat_map["seats"],
            "ga_areas": seat_map["ga_areas"],
            "event_id": event["id"],
            "venue_id": venue["id"],
            "hall_id": hall.json()["id"],
        }

    return make


def _seat_map(user: User, show_id: str) -> dict[str, Any] | None:
    r = user.get(f"/shows/{show_id}/seats")
    return r.json() if r.status_code == 200 else None


def seat(page: Page, label: str) -> Any:
    """The seat-map element of a seat, by its label ("A5")."""
    return page.locator(f'.seatmap .seat[data-label="{label}"]')
