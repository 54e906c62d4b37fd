"""The booking service as the registry knows it (boxoffice.services)."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from boxoffice.booking import api, handlers, store
from boxoffice.booking.live import CustomerFeed, StatusAnnouncer
from boxoffice.booking.service import BookingService
from boxoffice.catalog.contract import CatalogClient
from boxoffice.inventory.contract import InventoryClient
from boxoffice.kernel.gate import Gate
from boxoffice.kernel.registry import Built, Context, Job, ServiceSpec


def build(ctx: Context) -> Built:
    s = ctx.settings
    booking = BookingService(
        ctx.store,
        cast(InventoryClient, ctx.peer("inventory")),
        cast(CatalogClient, ctx.peer("catalog")),
        payment_timeout=s.payment_timeout_seconds,
        ticket_secret=ctx.secret("ticket-secret", s.ticket_signing_secret).encode(),
        admission=Gate("booking-create", s.db_pool_size, s.booking_queue_size),
        announce=StatusAnnouncer(ctx.redis),
    )
    feed = CustomerFeed(ctx.redis)
    return Built(
        booking,
        parts=(feed,),
        handlers=handlers.event_handlers(booking),
        jobs=(
            Job("saga-timeouts", booking.expire_overdue, every=s.saga_sweep_seconds),
            Job("customer-feed", feed.run),
            Job("customer-feed-keep-alive", feed.keep_alive),
        ),
        stopping=feed.close,
    )


SPEC = ServiceSpec(
    name="booking",
    messaging=store.messaging,
    migrations=Path(__file__).resolve().parent / "migrations",
    router=api.router,
    build=build,
    replicas=2,
)
