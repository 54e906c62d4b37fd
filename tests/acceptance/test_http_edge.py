"""What every answer carries, in either shape: security headers on the UI and the API, the
Location of what was created, Allow on a 405, and a Swagger UI that needs no inline script."""

from __future__ import annotations

import re
import uuid

import httpx

from tests.acceptance.checks import MakeShow, problem
from tests.acceptance.conftest import User
from tests.conftest import Server


def assert_security_headers(r: httpx.Response) -> None:
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, csp
    assert "unsafe-inline" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"


def test_the_web_ui_the_api_and_the_docs_carry_security_headers(server: Server) -> None:
    with httpx.Client(base_url=server.base_url) as web:
        for path in ("/", "/js/app.js", "/openapi.json", "/docs", "/api/v1/venues", "/api/nope"):
            r = web.get(path)
            assert r.status_code in (200, 404), (path, r.status_code)
            assert_security_headers(r)


def test_the_swagger_ui_loads_its_script_from_files(server: Server) -> None:
    with httpx.Client(base_url=server.base_url) as web:
        page = web.get("/docs")
        assert page.status_code == 200
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.DOTALL)
        assert scripts and all("src=" in attrs and not body.strip() for attrs, body in scripts)
        for src in re.findall(r'src="([^"]+)"', page.text):
            assert web.get(src).status_code == 200, src


def test_the_web_ui_has_no_inline_script_or_handlers(server: Server) -> None:
    with httpx.Client(base_url=server.base_url) as web:
        html = web.get("/").text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\son[a-z]+=", html)
    assert "style=" not in html


def test_created_things_answer_with_their_location(
    organizer: User, customer: User, make_show: MakeShow
) -> None:
    venue = organizer.post("/venues", json={"name": "V", "city": "Testville"})
    assert venue.headers["location"] == f"/api/v1/venues/{venue.json()['id']}"
    event = organizer.post(
        "/events", json={"title": "E", "category": "concert", "duration_minutes": 60}
    )
    assert event.headers["location"] == f"/api/v1/events/{event.json()['id']}"
    show = make_show(rows=1, seats_per_row=4)
    hold = customer.post(f"/shows/{show['id']}/holds", json={"seat_ids": [show["seats"][0]["id"]]})
    assert hold.status_code == 201, hold.text
    assert hold.headers["location"] == f"/api/v1/holds/{hold.json()['hold_id']}"
    assert (
        customer.client.get(
            hold.headers["location"].removeprefix("/api/v1"), headers=customer.headers
        ).status_code
        == 200
    )
    booking = customer.post(
        "/bookings",
        json={"hold_id": hold.json()["hold_id"], "payment": {"token": "tok_success"}},
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    assert booking.status_code == 202, booking.text
    assert booking.headers["location"] == f"/api/v1/bookings/{booking.json()['booking_id']}"


def test_a_wrong_method_says_which_are_allowed(anon: httpx.Client) -> None:
    r = anon.delete("/venues")
    problem(r, 405)
    assert "GET" in r.headers["allow"]
