"""Inventory event consumers: shows from the catalog, compensation from the booking saga."""

from __future__ import annotations

from boxoffice.booking.contract import BookingCancelled, BookingFailed
from boxoffice.catalog.contract import ShowCancelled, ShowChanged, ShowPublished
from boxoffice.inventory.contract import SeatsReleased
from boxoffice.inventory.service import InventoryService
from boxoffice.kernel.messaging import HandlerTable


def event_handlers(svc: InventoryService) -> dict[str, HandlerTable]:
    """Consumer name → its handlers by event class."""
    return {
        "inventory-shows": HandlerTable()
        .on(ShowPublished, svc.on_show_changed)
        .on(ShowChanged, svc.on_show_changed)
        .on(ShowCancelled, svc.on_show_changed),
        "inventory-bookings": HandlerTable()
        .on(BookingFailed, svc.release_booking)
        .on(BookingCancelled, svc.release_booking),
        # Our own event: what PostgreSQL released is freed in Redis at least once.
        "inventory-hold-store": HandlerTable().on(SeatsReleased, svc.apply_release),
    }
