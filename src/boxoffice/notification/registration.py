"""The notification service as the registry knows it (boxoffice.services)."""

from __future__ import annotations

from pathlib import Path

from boxoffice.kernel.registry import Built, Context, ServiceSpec
from boxoffice.notification import api, handlers, store
from boxoffice.notification.service import NotificationService


def build(ctx: Context) -> Built:
    notification = NotificationService(ctx.store)
    return Built(notification, handlers=handlers.event_handlers(notification))


SPEC = ServiceSpec(
    name="notification",
    messaging=store.messaging,
    migrations=Path(__file__).resolve().parent / "migrations",
    router=api.router,
    build=build,
)
