"""One booking is one trace across services, and log lines carry its trace id."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from boxoffice.bootstrap import Runtime, create_app
from boxoffice.kernel.config import Settings
from boxoffice.kernel.migrate import upgrade
from boxoffice.kernel.telemetry import JsonFormatter, setup_tracing
from boxoffice.services import SERVICES
from tests.conftest import Infra, _delete_stream

EXPORTER = InMemorySpanExporter()


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    provider = setup_tracing("test")  # the process-wide provider the code under test uses
    assert isinstance(trace.get_tracer_provider(), TracerProvider)
    provider.add_span_processor(SimpleSpanProcessor(EXPORTER))
    return EXPORTER


@pytest.fixture
async def client(infra: Infra, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The whole system in this process (all-in-one) on the session's servers, with an event
    stream of its own."""
    run = uuid.uuid4().hex[:8]
    settings = Settings(
        database_url=infra.database_url,
        redis_url=infra.redis_url,
        nats_url=infra.nats_url,
        event_stream=f"OBS_{run}",
        event_subject_prefix=f"obs{run}",
        var_dir=tmp_path,
        payment_timeout_seconds=10,
        admin_email="obs-admin@boxoffice.example",
        admin_password="obs-admin-password",
    )
    await asyncio.to_thread(upgrade, settings.database_url, SERVICES)
    app = create_app(Runtime(settings))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://obs/api/v1") as c:
            yield c
    await asyncio.to_thread(_delete_stream, infra.nats_url, f"OBS_{run}")


async def _login(client: httpx.AsyncClient, email: str, password: str) -> dict[str, str]:
    r = await client.post("/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def test_a_booking_is_one_trace_from_request_to_confirmation(
    client: httpx.AsyncClient, spans: InMemorySpanExporter
) -> None:
    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    handler.setFormatter(JsonFormatter("test"))
    logging.getLogger("boxoffice").addHandler(handler)
    logging.getLogger("boxoffice").setLevel(logging.INFO)
    try:
        admin = await _login(client, "obs-admin@boxoffice.example", "obs-admin-password")
        email = f"org{uuid.uuid4().hex[:8]}@boxoffice.example"
        r = await client.post(
            "/admin/users",
            headers=admin,
            json={"email": email, "password": "organizer-pw", "name": "O", "roles": ["organizer"]},
        )
        assert r.status_code == 201, r.text
        org = await _login(client, email, "organizer-pw")
        venue = (await client.post("/venues", headers=org, json={"name": "V", "city": "C"})).json()
        hall = (
            await client.post(
                f"/venues/{venue['id']}/halls",
                headers=org,
                json={"name": "H", "grid": {"rows": 1, "seats_per_row": 4}},
            )
        ).json()
        event = (
            await client.post(
                "/events",
                headers=org,
                json={"title": "E", "category": "concert", "duration_minutes": 60},
            )
        ).json()
        now = datetime.now(UTC)
        show = (
            await client.post(
                "/shows",
                headers=org,
                json={
                    "event_id": event["id"],
                    "hall_id": hall["id"],
                    "starts_at": (now + timedelta(days=2)).isoformat(),
                    "prices": {"standard": 1000},
                    "sales_start": (now - timedelta(hours=1)).isoformat(),
                    "sales_end": (now + timedelta(days=1)).isoformat(),
                },
            )
        ).json()
        assert (await client.post(f"/shows/{show['id']}/publish", headers=org)).status_code == 200
        for _ in range(100):
            seat_map = await client.get(f"/shows/{show['id']}/seats")
            if seat_map.status_code == 200:
                break
            await asyncio.sleep(0.1)
        seat = seat_map.json()["seats"][0]["id"]
        hold = await client.post(
            f"/shows/{show['id']}/holds", headers=org, json={"seat_ids": [seat]}
        )
        assert hold.status_code == 201, hold.text
        # The trace is ours: the request continues the traceparent we send, so spans of any
        # other request in this process cannot be mistaken for it.
        trace_id = uuid.uuid4().int & ((1 << 128) - 1)
        traceparent = f"00-{trace_id:032x}-{uuid.uuid4().hex[:16]}-01"
        booked = await client.post(
            "/bookings",
            headers={**org, "traceparent": traceparent},
            json={"hold_id": hold.json()["hold_id"], "payment": {"token": "tok_success"}},
        )
        booking_id = booked.json()["booking_id"]
        for _ in range(200):
            status = (await client.get(f"/bookings/{booking_id}", headers=org)).json()["status"]
            if status != "PENDING":
                break
            await asyncio.sleep(0.05)
        assert status == "CONFIRMED"
        # request (booking) → payment charges → booking confirms → notification tells the user
        expected = {
            "POST /bookings",
            "consume booking.booking.created",
            "consume payment.payment.completed",
            "consume booking.booking.confirmed",
        }
        for _ in range(100):  # the notification consumer may still be finishing its span
            in_trace = {
                s.name for s in spans.get_finished_spans() if s.context.trace_id == trace_id
            }
            if expected <= in_trace:
                break
            await asyncio.sleep(0.1)
    finally:
        logging.getLogger("boxoffice").removeHandler(handler)

    assert expected <= in_trace, in_trace

    confirmed = [
        json.loads(line)
        for line in lines.getvalue().splitlines()
        if f"booking {booking_id} confirmed" in line
    ]
    assert confirmed and confirmed[0]["trace_id"] == format(trace_id, "032x")
    assert confirmed[0]["service"] == "test"
