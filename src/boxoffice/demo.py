"""Demo data for a first run: three users, a venue with a 300-seat hall, published shows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from boxoffice.bootstrap import Runtime
from boxoffice.catalog.domain import AreaSpec, GridSpec, NewShow
from boxoffice.catalog.service import CatalogService
from boxoffice.identity.service import IdentityService
from boxoffice.kernel.auth import Principal

USERS = (
    ("admin@boxoffice.example", "admin-pass-123", "Ada Admin", ["admin"]),
    ("organizer@boxoffice.example", "organizer-pass-123", "Otto Organizer", ["organizer"]),
    ("customer@boxoffice.example", "customer-pass-123", "Cleo Customer", ["customer"]),
)

EVENTS = (
    ("The Midnight Orchestra", "concert", "Late-night symphonic rock.", 120, ["orchestra", "rock"]),
    ("Hamlet", "theatre", "Shakespeare's tragedy in a modern staging.", 170, ["classic"]),
    ("Stand-up Night", "comedy", "Five comedians, one microphone.", 90, ["comedy"]),
)


async def seed(runtime: Runtime) -> list[str]:
    """Create the demo data unless it exists; returns lines to print."""
    identity = runtime.services.get(IdentityService)
    catalog = runtime.services.get(CatalogService)
    for email, password, name, roles in USERS:
        await identity.ensure_user(email, password, name, roles)
    lines = [f"  {roles[0]:<10} {email} / {password}" for email, password, _, roles in USERS]
    organizer = await identity.search(
        email="organizer@boxoffice.example", role=None, limit=1, offset=0
    )
    owner = Principal(user_id=uuid.UUID(str(organizer[0].id)), roles=frozenset({"organizer"}))
    if await catalog.list_venues("Berlin", 10, 0):
        return lines
    venue = await catalog.create_venue(
        owner, "Demo Concert Hall", "Berlin", "Unter den Linden 1", "Europe/Berlin"
    )
    hall = await catalog.create_hall(
        owner,
        venue.id,
        "Main Hall",
        [],
        GridSpec(
            rows=15,
            seats_per_row=20,
            section="Stalls",
            category="standard",
            row_categories={**dict.fromkeys("ABC", "premium"), **dict.fromkeys("LMNO", "budget")},
        ),
        [AreaSpec(name="Standing", category="standing", capacity=150)],
    )
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    prices = {"premium": 7900, "standard": 4900, "budget": 2900, "standing": 2500}
    for days, (title, category, description, duration, tags) in enumerate(EVENTS, start=3):
        event = await catalog.create_event(
            owner,
            title=title,
            category=category,
            description=description,
            duration_minutes=duration,
            tags=tags,
        )
        for extra in (0, 7):
            starts = now + timedelta(days=days + extra, hours=20 - now.hour)
            show = await catalog.create_show(
                owner,
                NewShow(
                    event_id=event.id,
                    hall_id=hall.id,
                    starts_at=starts,
                    currency="EUR",
                    prices=prices,
                    sales_start=now - timedelta(days=1),
                    sales_end=starts - timedelta(hours=1),
                    max_per_booking=8,
                ),
            )
            await catalog.publish(owner, show.id)
    return lines
