"""Runtime builds a process's services from the registry: a peer in the same process is called
directly, one elsewhere through its HTTP client to the replicas at `<name>_urls`."""

from __future__ import annotations

from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import create_async_engine

from boxoffice.booking.service import BookingService
from boxoffice.bootstrap import Runtime
from boxoffice.catalog.client import CatalogHttpClient
from boxoffice.catalog.service import CatalogService
from boxoffice.inventory.client import InventoryHttpClient
from boxoffice.inventory.live import SeatFeed
from boxoffice.inventory.service import InventoryService
from boxoffice.kernel.config import Settings
from boxoffice.kernel.messaging import ServiceStore
from boxoffice.services import BY_NAME


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        var_dir=tmp_path,
        catalog_urls="http://127.0.0.1:1/,http://127.0.0.1:2",
        inventory_urls="http://127.0.0.1:3",
        internal_token="t",
        ticket_signing_secret="s",
    )


def build(settings: Settings, names: list[str]) -> Runtime:
    """What Runtime.start builds, without connecting to anything."""
    runtime = Runtime(settings, names)
    runtime.internal_token = settings.internal_token
    runtime.redis = Redis()
    engine = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    runtime.stores = {n: ServiceStore(engine, BY_NAME[n].messaging) for n in names}
    runtime._build_services()
    return runtime


def test_all_in_one_wires_every_peer_in_process(settings: Settings) -> None:
    runtime = build(settings, ["catalog", "inventory", "booking"])
    catalog = runtime.services.get(CatalogService)
    inventory = runtime.services.get(InventoryService)
    booking = runtime.services.get(BookingService)
    assert inventory.catalog is catalog
    assert booking.inventory is inventory
    assert booking.catalog is catalog
    assert runtime.services.get(SeatFeed) is not None
    assert runtime.clients == {}


def test_a_service_alone_calls_its_peers_over_http(settings: Settings) -> None:
    runtime = build(settings, ["booking"])
    booking = runtime.services.get(BookingService)
    assert isinstance(booking.inventory, InventoryHttpClient)
    assert isinstance(booking.catalog, CatalogHttpClient)
    assert runtime.clients["catalog"].base_urls == ["http://127.0.0.1:1", "http://127.0.0.1:2"]
    assert runtime.clients["inventory"].base_urls == ["http://127.0.0.1:3"]
    with pytest.raises(LookupError, match="InventoryService"):
        runtime.services.get(InventoryService)


def test_a_group_calls_what_it_runs_directly_and_the_rest_over_http(settings: Settings) -> None:
    runtime = build(settings, ["booking", "inventory"])  # the peer is built first, on demand
    inventory = runtime.services.get(InventoryService)
    booking = runtime.services.get(BookingService)
    assert booking.inventory is inventory
    assert isinstance(inventory.catalog, CatalogHttpClient)
    assert booking.catalog is inventory.catalog  # one client per peer and process
    assert list(runtime.clients) == ["catalog"]


def test_the_consumers_of_a_process_are_those_of_its_services(settings: Settings) -> None:
    tables = build(settings, ["payment", "notification"]).event_tables()
    assert set(tables) == {
        "payment-bookings",
        "notification-bookings",
        "notification-waitlist",
        "notification-identity",
        "notification-catalog",
    }
    assert tables["payment-bookings"][0].name == "payment"
