"""Bad input over HTTP, in either shape: NUL characters, integers past 64 bits, instants past
UTC's range, explicit nulls in a patch and oversized bodies each get a 4xx problem document,
never a 500, and leave nothing written."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from tests.acceptance.checks import MakeShow, problem
from tests.acceptance.conftest import User

TYPES = "tag:boxoffice.example,2025:problem:"
FAR = "9999-12-31T23:59:59-14:00"  # past year 9999 once in UTC
BIG = "99999999999999999999"  # past 64 bits


def refused(response: httpx.Response, status: int = 422) -> dict[str, Any]:
    body = problem(response, status)
    assert body["type"].startswith(TYPES), body
    return body


@pytest.fixture(scope="module")
def draft(make_show: MakeShow) -> dict[str, Any]:
    return make_show(publish=False)


def show_body(draft: dict[str, Any], **changes: Any) -> dict[str, Any]:
    show = draft["show"]
    return {
        "event_id": show["event_id"],
        "hall_id": show["hall_id"],
        "starts_at": show["starts_at"],
        "prices": {"standard": 3000, "premium": 5000},
        "sales_start": show["sales_start"],
        "sales_end": show["sales_end"],
        **changes,
    }


def my_shows(organizer: User) -> int:
    r = organizer.get("/shows", params={"mine": "true", "limit": 1})
    assert r.status_code == 200, r.text
    total: int = r.json()["total"]
    return total


# -- NUL characters ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", "Hall\x00"), ("city", "{marker}\x00"), ("address", "1 Main St\x00")],
)
def test_a_venue_with_a_nul_is_refused_and_not_stored(
    organizer: User, anon: httpx.Client, field: str, value: str
) -> None:
    marker = f"City{uuid.uuid4().hex[:8]}"
    venue = {"name": "Hall", "city": marker, "address": "", field: value.format(marker=marker)}
    body = refused(organizer.post("/venues", json=venue))
    assert body["errors"][0]["field"] == f"body.{field}"
    assert anon.get("/venues", params={"city": marker}).json() == []


def test_an_escaped_nul_in_the_json_text_is_refused(organizer: User, anon: httpx.Client) -> None:
    marker = f"City{uuid.uuid4().hex[:8]}"
    text = '{"name": "A\\u0000B", "city": "' + marker + '"}'
    refused(
        organizer.client.post(
            "/venues",
            content=text.encode(),
            headers={**organizer.headers, "content-type": "application/json"},
        )
    )
    assert anon.get("/venues", params={"city": marker}).json() == []


def test_an_escaped_backslash_before_u0000_is_ordinary_text(organizer: User) -> None:
    text = '{"name": "C:\\\\u0000", "city": "Testville"}'
    r = organizer.client.post(
        "/venues",
        content=text.encode(),
        headers={**organizer.headers, "content-type": "application/json"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "C:\\u0000"


@pytest.mark.parametrize(
    "event",
    [
        {"title": "T\x00", "category": "concert", "duration_minutes": 60},
        {"title": "T", "description": "\x00", "category": "concert", "duration_minutes": 60},
        {"title": "T", "category": "concert", "duration_minutes": 60, "tags": ["ok", "b\x00"]},
    ],
)
def test_an_event_with_a_nul_is_refused_and_not_stored(
    organizer: User, anon: httpx.Client, event: dict[str, Any]
) -> None:
    marker = f"Ev{uuid.uuid4().hex[:8]}"
    event = {**event, "title": marker + event["title"]}
    refused(organizer.post("/events", json=event))
    assert anon.get("/events", params={"q": marker}).json() == []


@pytest.mark.parametrize(
    "path",
    ["/venues?city=%00", "/events?q=a%00b", "/shows?city=x%00", "/events?category=%00"],
)
def test_a_nul_in_a_query_parameter_is_refused(anon: httpx.Client, path: str) -> None:
    body = refused(anon.get(path))
    assert body["errors"][0]["field"].startswith("query.")


def test_a_nul_in_the_path_is_refused(anon: httpx.Client, shape: str) -> None:
    # nginx refuses a NUL in the path itself, as a malformed request, before any service
    refused(anon.get("/venues/%00"), 400 if shape == "distributed" else 422)


def test_a_nul_in_a_payment_token_is_refused(customer: User) -> None:
    r = customer.post("/bookings", json={"hold_id": "x" * 10, "payment": {"token": "tok\x00"}})
    assert refused(r)["errors"][0]["field"] == "body.payment.token"


@pytest.mark.parametrize("hold_id", ["\x02\x7f", "a/../b", "x?y#z", "%41", "\U000f7561"])
def test_a_booking_of_a_hold_id_that_is_no_hold_id_is_a_problem(
    customer: User, hold_id: str
) -> None:
    # the distributed shape puts the hold id into the URL of its call to inventory (once a 500)
    r = customer.post(
        "/bookings",
        json={"hold_id": hold_id, "payment": {"token": "tok_success"}},
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    assert problem(r, 404)["type"].endswith(":unknown-hold")


def test_a_nul_in_a_cancel_reason_leaves_the_show_as_it_was(
    organizer: User, draft: dict[str, Any]
) -> None:
    show_id = draft["show"]["id"]
    refused(organizer.post(f"/shows/{show_id}/cancel", json={"reason": "no\x00"}))
    assert organizer.get(f"/shows/{show_id}").json()["status"] == "draft"


def test_a_registration_with_a_nul_creates_no_user(anon: httpx.Client) -> None:
    email = f"nul{uuid.uuid4().hex[:8]}@boxoffice.example"
    password = "a-good-password"
    refused(
        anon.post("/auth/register", json={"email": email, "password": password, "name": "\x00"})
    )
    problem(anon.post("/auth/login", json={"email": email, "password": password}), 401)


def test_the_hold_fast_path_refuses_a_nul_too(customer: User, make_show: MakeShow) -> None:
    show = make_show(rows=1, seats_per_row=4)
    seat = show["seats"][0]["id"]
    text = '{"seat_ids": [' + str(seat) + '], "note": "\\u0000"}'
    refused(
        customer.client.post(
            f"/shows/{show['id']}/holds",
            content=text.encode(),
            headers={**customer.headers, "content-type": "application/json"},
        )
    )
    seats = customer.get(f"/shows/{show['id']}/seats").json()["seats"]
    assert {s["state"] for s in seats} == {"available"}


# -- integers past 64 bits ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("anon", f"/venues?offset={BIG}"),
        ("anon", f"/events?limit={BIG}"),
        ("anon", f"/shows?offset={BIG}"),
        ("customer", f"/bookings?offset={BIG}"),
        ("customer", f"/tickets?offset={BIG}"),
        ("customer", f"/notifications?offset={BIG}"),
        ("admin", f"/admin/users?offset={BIG}"),
        ("admin", f"/admin/sagas/stuck?limit={BIG}"),
    ],
)
def test_an_integer_past_64_bits_in_a_query_is_refused(
    anon: httpx.Client, customer: User, admin: User, who: str, path: str
) -> None:
    client = {"anon": anon, "customer": customer, "admin": admin}[who]
    refused(client.get(path))


@pytest.mark.parametrize("service", ["booking", "catalog", "identity", "payment"])
def test_a_dead_letter_id_past_64_bits_is_refused(admin: User, service: str) -> None:
    refused(admin.post(f"/admin/dead-letters/{service}/{BIG}/replay"))


def test_a_seat_id_past_64_bits_in_a_hold_is_refused(customer: User, make_show: MakeShow) -> None:
    show = make_show(rows=1, seats_per_row=2)
    refused(customer.post(f"/shows/{show['id']}/holds", json={"seat_ids": [int(BIG)]}))


# -- instants past UTC's range ------------------------------------------------------------


@pytest.mark.parametrize("query", [{"to": FAR}, {"from": "0001-01-01T00:00:00+14:00"}])
def test_a_browse_filter_past_utc_range_is_refused(
    anon: httpx.Client, query: dict[str, str]
) -> None:
    refused(anon.get("/shows", params=query))


@pytest.mark.parametrize("field", ["starts_at", "sales_start", "sales_end"])
def test_a_show_at_an_instant_past_utc_range_is_refused_and_not_created(
    organizer: User, draft: dict[str, Any], field: str
) -> None:
    before = my_shows(organizer)
    refused(organizer.post("/shows", json=show_body(draft, **{field: FAR})))
    assert my_shows(organizer) == before


def test_a_show_moved_past_utc_range_is_refused_and_unchanged(
    organizer: User, draft: dict[str, Any]
) -> None:
    show_id = draft["show"]["id"]
    refused(organizer.patch(f"/shows/{show_id}", json={"starts_at": FAR}))
    assert organizer.get(f"/shows/{show_id}").json()["starts_at"] == draft["show"]["starts_at"]


# -- explicit nulls in a patch ------------------------------------------------------------


@pytest.mark.parametrize(
    "field", ["prices", "starts_at", "sales_start", "sales_end", "max_per_booking"]
)
def test_an_explicit_null_in_a_show_patch_is_refused_and_the_show_keeps_working(
    organizer: User, anon: httpx.Client, make_show: MakeShow, field: str
) -> None:
    show = make_show(rows=1, seats_per_row=2)
    body = refused(organizer.patch(f"/shows/{show['id']}", json={field: None}))
    assert body["errors"][0]["field"] == f"body.{field}"
    after = organizer.get(f"/shows/{show['id']}")
    assert after.status_code == 200
    assert after.json()[field] == show["show"][field]
    assert anon.get("/shows", params={"limit": 200}).status_code == 200


# -- sizes --------------------------------------------------------------------------------


def test_twenty_thousand_price_categories_are_refused(
    organizer: User, draft: dict[str, Any]
) -> None:
    before = my_shows(organizer)
    prices = {f"cat{i}": 100 for i in range(20_000)}
    body = refused(organizer.post("/shows", json=show_body(draft, prices=prices)))
    assert body["errors"][0]["field"] == "body.prices"
    assert my_shows(organizer) == before


def test_a_body_over_the_limit_is_a_413_problem(organizer: User, anon: httpx.Client) -> None:
    marker = f"City{uuid.uuid4().hex[:8]}"
    venue = json.dumps({"name": "x", "city": marker, "address": "y" * (20 * 2**20)})
    r = organizer.client.post(
        "/venues",
        content=venue.encode(),
        headers={**organizer.headers, "content-type": "application/json"},
    )
    body = refused(r, 413)
    assert body["type"] == TYPES + "request-too-large"
    assert anon.get("/venues", params={"city": marker}).json() == []


def test_a_chunked_body_over_the_limit_is_a_413_problem(organizer: User) -> None:
    def chunks() -> Any:
        yield b'{"name": "x", "city": "y", "address": "'
        for _ in range(20):
            yield b"z" * 2**20
        yield b'"}'

    r = organizer.client.post(
        "/venues",
        content=chunks(),
        headers={**organizer.headers, "content-type": "application/json"},
    )
    refused(r, 413)


def test_the_largest_valid_hall_fits_under_the_body_limit(organizer: User) -> None:
    """100,000 seats (catalog MAX_SEATS_PER_HALL) with coordinates: about 9 MiB of JSON."""
    venue = organizer.post("/venues", json={"name": "Stadium", "city": "Testville"}).json()
    sections = [
        {
            "name": f"Section {s}",
            "rows": [
                {
                    "label": f"R{r}",
                    "seats": [
                        {"label": f"{r}-{n}", "category": "standard", "x": s * 1000.5 + n, "y": r}
                        for n in range(1, 51)
                    ],
                }
                for r in range(1, 21)
            ],
        }
        for s in range(1, 101)
    ]
    r = organizer.client.post(
        f"/venues/{venue['id']}/halls",
        json={"name": "Bowl", "sections": sections},
        headers=organizer.headers,
        timeout=120,
    )
    assert r.status_code == 201, r.text[:500]
    assert len(r.json()["seats"]) == 100_000
