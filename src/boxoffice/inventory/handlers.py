"""Inventory event consumers: shows from the catalog, compensation from the booking saga."""

from __future__ import annotations

from boxoffice.inventory.service import InventoryService
from boxoffice.kernel.messaging import EventHandler


def event_handlers(svc: InventoryService) -> dict[str, dict[str, EventHandler]]:
    """Consumer name → {event type → handler}."""
    return {
        "inventory-shows": {
            "catalog.show.published": svc.on_show_changed,
            "catalog.show.changed": svc.on_show_changed,
            "catalog.show.cancelled": svc.on_show_changed,
        },
        "inventory-bookings": {
            "booking.booking.failed": svc.release_booking,
            "booking.booking.cancelled": svc.release_booking,
        },
        # Our own event: what PostgreSQL released is freed in Redis at least once.
        "inventory-hold-store": {
            "inventory.seats.released": svc.apply_release,
        },
    }
