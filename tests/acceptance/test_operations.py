"""What an operator relies on: metrics that move, stuck sagas listed, dead letters replayed."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx

from tests.acceptance.conftest import User, book, settled, wait_for
from tests.conftest import Infra, Server
from tests.invariants import asyncpg_dsn


def metrics(server: Server) -> str:
    """Every process's /metrics (one process all-in-one; each service when distributed)."""
    listed = server.log.parent / "var" / "cluster" / "processes.json"
    if not listed.exists():
        return httpx.get(f"{server.base_url}/metrics").text
    ports = [p["port"] for p in json.loads(listed.read_text()) if p["service"] != "nginx"]
    return "\n".join(httpx.get(f"http://127.0.0.1:{port}/metrics").text for port in ports)


def total(text: str, name: str, **labels: str) -> float:
    """Sum of a metric's samples whose labels include `labels`."""
    found = 0.0
    for line in text.splitlines():
        match = re.match(rf"^{name}\{{(.*)\}} ([0-9.e+-]+)$", line)
        if match and all(f'{k}="{v}"' in match.group(1) for k, v in labels.items()):
            found += float(match.group(2))
    return found


def test_metrics_move_when_a_booking_is_made(
    server: Server, customer: User, make_show: Callable[..., dict[str, Any]]
) -> None:
    show = make_show(rows=1, seats_per_row=4)
    before = metrics(server)
    _, booking_id = book(customer, show["id"], [show["seats"][0]["id"]])
    assert settled(customer, booking_id)["status"] == "CONFIRMED"
    after = wait_for(
        lambda: (
            (m := metrics(server))
            and total(m, "boxoffice_bookings_total", status="CONFIRMED")
            > total(before, "boxoffice_bookings_total", status="CONFIRMED")
            and m
        )
    )
    for name, labels in (
        ("boxoffice_holds_total", {"outcome": "granted"}),
        ("boxoffice_payments_total", {"outcome": "approved"}),
        ("boxoffice_http_requests_total", {"method": "POST", "status": "202"}),
        ("boxoffice_events_handled_total", {"type": "booking.booking.created"}),
        ("boxoffice_saga_duration_seconds_count", {"status": "CONFIRMED"}),
    ):
        assert total(after, name, **labels) > total(before, name, **labels), name
    assert "boxoffice_store_call_seconds_bucket" in after
    assert "boxoffice_outbox_relay_lag_seconds_bucket" in after


def test_stuck_sagas_are_listed_and_an_operator_can_end_one(
    admin: User, customer: User, make_show: Callable[..., dict[str, Any]]
) -> None:
    show = make_show(rows=1, seats_per_row=4)
    seat = show["seats"][0]["id"]
    _, booking_id = book(customer, show["id"], [seat], token="tok_timeout")
    stuck = wait_for(
        lambda: [
            b
            for b in admin.get("/admin/sagas/stuck", params={"older_than": 0.5}).json()
            if b["id"] == booking_id
        ],
        timeout=10,
    )
    assert stuck[0]["status"] == "PENDING" and stuck[0]["last_step"] == "payment_requested"
    assert customer.get("/admin/sagas/stuck").status_code == 403
    ended = admin.post(f"/admin/sagas/{booking_id}/fail", json={"reason": "operator test"})
    if ended.status_code == 409:  # the saga deadline (4 s) won the race: it ended by itself
        assert settled(customer, booking_id)["status"] == "FAILED"
    else:
        assert ended.status_code == 200, ended.text
        final = settled(customer, booking_id)
        assert final["status"] == "FAILED" and final["reason"] == "operator test"
    seat_free = wait_for(
        lambda: (
            {
                s["id"]: s["state"]
                for s in customer.get(f"/shows/{show['id']}/seats").json()["seats"]
            }[seat]
            == "available"
        )
    )
    assert seat_free


def test_a_dead_lettered_event_is_listed_and_replayed_once(
    infra: Infra, admin: User, customer: User
) -> None:
    booking_id = uuid.uuid4()
    envelope = {
        "id": str(uuid.uuid4()),
        "type": "booking.booking.cancelled",
        "version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "producer": "booking",
        "correlation_id": "",
        "trace": {},
        "payload": {
            "booking_id": str(booking_id),
            "user_id": customer.id,
            "show_id": str(uuid.uuid4()),
            "hold_id": "",
            "reason": "replayed by ops",
        },
    }

    async def park() -> int:
        conn = await asyncpg.connect(asyncpg_dsn(infra.database_url))
        try:
            return int(
                await conn.fetchval(
                    "INSERT INTO notification.dead_letters (consumer, event_id, type, envelope,"
                    " error, deliveries, created_at)"
                    " VALUES ($1, $2, $3, $4, $5, 5, now()) RETURNING id",
                    "notification-bookings",
                    uuid.UUID(envelope["id"]),
                    envelope["type"],
                    json.dumps(envelope),
                    "RuntimeError: simulated outage",
                )
            )
        finally:
            await conn.close()

    parked = asyncio.run(park())
    listed = admin.get("/admin/dead-letters/notification").json()
    assert parked in {d["id"] for d in listed}
    assert customer.get("/admin/dead-letters/notification").status_code == 403

    replayed = admin.post(f"/admin/dead-letters/notification/{parked}/replay")
    assert replayed.status_code == 200, replayed.text
    assert replayed.json() == {"id": parked, "replayed": True}
    mine = customer.get("/notifications").json()
    assert [n["body"] for n in mine if n["booking_id"] == str(booking_id)] == ["replayed by ops"]
    assert admin.post(f"/admin/dead-letters/notification/{parked}/replay").status_code == 409
    assert parked not in {d["id"] for d in admin.get("/admin/dead-letters/notification").json()}
