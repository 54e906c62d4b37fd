"""The registry: every service of boxoffice, in the order they are migrated and built.
Adding a service is one package with a `registration.py` and one line here; bootstrap, the
migrations, the gateway's routes, the distributed launcher and the tests derive from it."""

from __future__ import annotations

from boxoffice.booking import registration as booking
from boxoffice.catalog import registration as catalog
from boxoffice.identity import registration as identity
from boxoffice.inventory import registration as inventory
from boxoffice.kernel.registry import ServiceSpec
from boxoffice.notification import registration as notification
from boxoffice.payment import registration as payment

SERVICES: tuple[ServiceSpec, ...] = (
    identity.SPEC,
    catalog.SPEC,
    inventory.SPEC,
    booking.SPEC,
    payment.SPEC,
    notification.SPEC,
)
NAMES = tuple(s.name for s in SERVICES)
BY_NAME = {s.name: s for s in SERVICES}
