"""Assertions shared by the acceptance tests: problem documents and seat maps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.acceptance.conftest import User

PROBLEM = "application/problem+json"

MakeShow = Callable[..., dict[str, Any]]


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """Assert an RFC 9457 problem document with this status; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status, body
    assert isinstance(body["title"], str) and body["title"], body
    assert isinstance(body["detail"], str) and body["detail"], body
    return body


def seat_map(client: httpx.Client, show_id: str) -> dict[str, Any]:
    r = client.get(f"/shows/{show_id}/seats")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def seat_states(client: httpx.Client, show_id: str) -> dict[int, str]:
    return {s["id"]: s["state"] for s in seat_map(client, show_id)["seats"]}


def ga_available(client: httpx.Client, show_id: str, area_id: int) -> int:
    areas = {a["id"]: a for a in seat_map(client, show_id)["ga_areas"]}
    return int(areas[area_id]["available"])


def notification_kinds(user: User, booking_id: str) -> set[str]:
    """Kinds of the user's in-app notifications about one booking."""
    r = user.get("/notifications")
    assert r.status_code == 200, r.text
    return {n["kind"] for n in r.json() if n["booking_id"] == booking_id}
