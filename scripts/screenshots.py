"""Screenshots of the web UI's main pages for the README, taken in Debian's Chromium.

    BOXOFFICE_VAR_DIR=/tmp/uivar uv run boxoffice up --demo --port 8055   # another terminal
    uv run python scripts/screenshots.py --base-url http://127.0.0.1:8055

Writes docs/screenshots/{home,seat-map,checkout,my-tickets,layout-editor,dashboard}.png. It logs
in as the demo users, books a few seats (so the seat map and the dashboard show some sales) and
buys tickets for the demo customer: run it against a demo server, never a real one.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CUSTOMER = ("customer@boxoffice.example", "customer-pass-123")
ORGANIZER = ("organizer@boxoffice.example", "organizer-pass-123")
ADMIN = ("admin@boxoffice.example", "admin-pass-123")


def api_login(client: httpx.Client, email: str, password: str) -> dict[str, str]:
    r = client.post("/auth/login", json={"email": email, "password": password})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def book(client: httpx.Client, auth: dict[str, str], show_id: str, seat_ids: list[int]) -> None:
    hold = client.post(f"/shows/{show_id}/holds", json={"seat_ids": seat_ids}, headers=auth)
    if hold.status_code != 201:
        return
    client.post(
        "/bookings",
        json={"hold_id": hold.json()["hold_id"], "payment": {"token": "tok_success"}},
        headers={**auth, "Idempotency-Key": uuid.uuid4().hex},
    )


def make_activity(client: httpx.Client, show_id: str) -> None:
    """Some sold and held seats, so the pictures look like an on-sale, not an empty hall."""
    seat_map = client.get(f"/shows/{show_id}/seats").json()
    if sum(s["state"] != "available" for s in seat_map["seats"]) > 30:
        return
    by_label = {s["label"]: s["id"] for s in seat_map["seats"] if s["state"] == "available"}
    admin = api_login(client, *ADMIN)
    for group in (["D9", "D10", "D11", "D12"], ["B5", "B6"], ["H14", "H15", "H16"], ["K3", "K4"]):
        book(client, admin, show_id, [by_label[x] for x in group if x in by_label])
    held = [by_label[x] for x in ("E15", "E16", "G4", "G5", "G6") if x in by_label]
    client.post(f"/shows/{show_id}/holds", json={"seat_ids": held}, headers=admin)


def login(page: Page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/#/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_function("localStorage.getItem('boxoffice.user') && location.hash === '#/'")


def settle(page: Page) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(400)
    for toast in page.locator(".toast").all():
        toast.evaluate("t => t.remove()")


def shoot(page: Page, out: Path, name: str, *, full: bool = False) -> None:
    settle(page)
    page.screenshot(path=str(out / f"{name}.png"), full_page=full)
    sys.stdout.write(f"wrote {out / name}.png\n")


def adjacent_available(page: Page, rows: tuple[str, ...], count: int) -> list[str]:
    labels: list[str] = page.evaluate(
        """([rows, count]) => {
          for (const row of rows) {
            const seats = [...document.querySelectorAll('.seat.state-available')]
              .map((s) => s.dataset.label).filter((l) => l.replace(/\\d+$/, '') === row);
            const nums = seats.map((l) => Number(l.slice(row.length))).sort((a, b) => a - b);
            const mid = nums.length ? nums[Math.floor(nums.length / 2)] : 0;
            for (let start = mid - 1; start > 0; start -= 1) {
              const run = Array.from({length: count}, (_, i) => start + i);
              if (run.every((n) => nums.includes(n))) return run.map((n) => row + n);
            }
          }
          return [];
        }""",
        [list(rows), count],
    )
    return labels


def customer_pages(browser: Browser, base: str, out: Path, show: dict[str, Any]) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    login(page, base, *CUSTOMER)
    page.goto(f"{base}/#/")
    page.get_by_role("heading", name="Upcoming shows").wait_for()
    page.mouse.move(0, 0)
    shoot(page, out, "home")

    page.goto(f"{base}/#/shows/{show['id']}")
    page.locator(".seatmap").wait_for()
    page.locator(".live-dot", has_text="Live").wait_for()
    for label in adjacent_available(page, ("F", "G", "E", "J"), 3):
        page.locator(f'.seat[data-label="{label}"]').click()
    page.mouse.move(0, 0)
    page.set_viewport_size({"width": 1280, "height": 1010})
    shoot(page, out, "seat-map")
    page.set_viewport_size({"width": 1280, "height": 860})

    page.get_by_role("button", name="Hold 3 tickets").click()
    page.get_by_role("heading", name="Checkout").wait_for()
    shoot(page, out, "checkout")

    page.get_by_role("button", name="Pay").click()
    page.locator('.status-word[data-status="CONFIRMED"]').wait_for(timeout=30_000)
    page.goto(f"{base}/#/tickets")
    page.get_by_role("heading", name="My tickets").wait_for()
    page.wait_for_function("[...document.images].every((i) => i.complete)")
    shoot(page, out, "my-tickets")
    context.close()


def organizer_pages(browser: Browser, base: str, out: Path, show: dict[str, Any]) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    login(page, base, *ORGANIZER)
    page.goto(f"{base}/#/org/venues/{show['venue_id']}/halls/new")
    page.get_by_label("Hall name").fill("Studio Theatre")
    page.get_by_label("Section name").fill("Parterre")
    page.get_by_label("Rows", exact=True).fill("9")
    page.get_by_label("Seats per row").fill("16")
    page.get_by_role("button", name="Generate seats").click()
    for row in ("A", "B"):
        page.get_by_label(f"Category of row {row}").select_option("premium")
    for row in ("H", "I"):
        page.get_by_label(f"Category of row {row}").select_option("budget")
    page.get_by_role("radio", name="block or unblock it").check()
    for label in ("E1", "E16", "F1", "F16"):
        page.locator(f'.seat[data-label="{label}"]').click()
    page.get_by_role("button", name="Add standing area").click()
    page.get_by_label("Capacity").fill("120")
    page.get_by_label("Capacity").blur()
    page.mouse.move(0, 0)
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, out, "layout-editor", full=True)

    page.goto(f"{base}/#/org/shows/{show['id']}/dashboard")
    page.locator("#kpi-revenue").wait_for()
    page.wait_for_timeout(2500)  # one poll of the sales
    shoot(page, out, "dashboard")
    context.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    base = args.base_url.rstrip("/")
    args.out.mkdir(parents=True, exist_ok=True)
    with httpx.Client(base_url=f"{base}/api/v1", timeout=30) as client:
        shows = client.get("/shows", params={"limit": 1}).json()["items"]
        if not shows:
            raise SystemExit("no published show: start the server with --demo")
        show = shows[0]
        make_activity(client, show["id"])
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        try:
            customer_pages(browser, base, args.out, show)
            organizer_pages(browser, base, args.out, show)
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
