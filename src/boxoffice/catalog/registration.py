"""The catalog service as the registry knows it (boxoffice.services)."""

from __future__ import annotations

from pathlib import Path

from boxoffice.catalog import api, store
from boxoffice.catalog.client import CatalogHttpClient
from boxoffice.catalog.service import CatalogService
from boxoffice.kernel.registry import Built, Context, ServiceSpec


def build(ctx: Context) -> Built:
    return Built(CatalogService(ctx.store))


SPEC = ServiceSpec(
    name="catalog",
    messaging=store.messaging,
    migrations=Path(__file__).resolve().parent / "migrations",
    router=api.router,
    internal_router=api.internal_router,
    build=build,
    client=CatalogHttpClient,
)
