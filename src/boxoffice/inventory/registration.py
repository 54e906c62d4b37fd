"""The inventory service as the registry knows it (boxoffice.services)."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from boxoffice.catalog.contract import CatalogClient
from boxoffice.inventory import api, fastpath, handlers, store
from boxoffice.inventory.client import InventoryHttpClient
from boxoffice.inventory.holdstore import HoldStore
from boxoffice.inventory.live import SeatFeed
from boxoffice.inventory.onsale import Queue, QueueFeed, Signer
from boxoffice.inventory.rooms import WaitingRooms
from boxoffice.inventory.service import InventoryService
from boxoffice.inventory.waitlist import Waitlists
from boxoffice.kernel.registry import Built, Context, Job, ServiceSpec


def build(ctx: Context) -> Built:
    s = ctx.settings
    signer = Signer(ctx.secret("admission-secret", s.admission_secret).encode())
    inventory = InventoryService(
        ctx.store,
        HoldStore(ctx.redis),
        cast(CatalogClient, ctx.peer("catalog")),
        s.hold_ttl_seconds,
        s.max_held_per_customer,
        signer,
    )
    rooms = WaitingRooms(inventory, Queue(ctx.redis, signer, s.queue_pow_bits))
    lists = Waitlists(inventory, s.waitlist_offer_seconds)
    feed = SeatFeed(ctx.redis)
    line = QueueFeed(ctx.redis)
    lease_ms = int(s.hold_sweep_seconds * 900)

    def stopping() -> None:  # end the live streams
        feed.close()
        line.close()

    return Built(
        inventory,
        parts=(feed, rooms, line, lists),
        handlers=handlers.event_handlers(inventory),
        jobs=(
            Job("seat-feed", feed.run),
            Job("seat-feed-keep-alive", feed.keep_alive),
            Job("holds", lambda: inventory.sweep(lease_ms), every=s.hold_sweep_seconds),
            Job("admission", rooms.admit, every=s.admission_tick_seconds),
            Job(
                "waitlist",
                lambda: lists.offer(int(s.admission_tick_seconds * 900)),
                every=s.admission_tick_seconds,
            ),
            Job("queue-feed", line.run),
            Job("queue-feed-keep-alive", line.keep_alive),
        ),
        resume=rooms.resync,
        stopping=stopping,
    )


SPEC = ServiceSpec(
    name="inventory",
    messaging=store.messaging,
    migrations=Path(__file__).resolve().parent / "migrations",
    router=api.router,
    internal_router=api.internal_router,
    build=build,
    client=InventoryHttpClient,
    middleware=(fastpath.FastHolds,),
    replicas=2,
)
