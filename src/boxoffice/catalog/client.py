"""The catalog's contract over HTTP, for services running in other processes."""

from __future__ import annotations

import uuid

from pydantic import TypeAdapter

from boxoffice.catalog.contract import ShowDetails, ShowLayout
from boxoffice.kernel.rpc import ServiceClient

_layout = TypeAdapter(ShowLayout)
_details = TypeAdapter(ShowDetails)


class CatalogHttpClient:
    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    async def show_layout(self, show_id: uuid.UUID) -> ShowLayout:
        data = await self.client.call(
            "GET", f"/internal/catalog/shows/{show_id}/layout", idempotent=True
        )
        return _layout.validate_python(data)

    async def show_details(self, show_id: uuid.UUID) -> ShowDetails:
        data = await self.client.call(
            "GET", f"/internal/catalog/shows/{show_id}/details", idempotent=True
        )
        return _details.validate_python(data)

    async def show_owner(self, show_id: uuid.UUID) -> uuid.UUID:
        data = await self.client.call(
            "GET", f"/internal/catalog/shows/{show_id}/owner", idempotent=True
        )
        return uuid.UUID(data["owner_id"])
