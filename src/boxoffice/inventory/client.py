"""Inventory's contract over HTTP, for the booking saga running in another process."""

from __future__ import annotations

import uuid

from pydantic import TypeAdapter

from boxoffice.inventory.contract import HoldView
from boxoffice.inventory.domain import show_of_hold
from boxoffice.kernel.rpc import ServiceClient

_view = TypeAdapter(HoldView)


class InventoryHttpClient:
    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    async def attach_hold(
        self, hold_id: str, user_id: uuid.UUID, booking_id: uuid.UUID, extend_seconds: float
    ) -> HoldView:
        # Attaching is idempotent for the same booking, so a retry is safe. A hold id goes into
        # the URL: one that is no hold id is an unknown hold here, as in one process.
        show_of_hold(hold_id)
        data = await self.client.call(
            "POST",
            f"/internal/inventory/holds/{hold_id}/attach",
            idempotent=True,
            json={
                "user_id": str(user_id),
                "booking_id": str(booking_id),
                "extend_seconds": extend_seconds,
            },
        )
        return _view.validate_python(data)

    async def sell_hold(self, hold_id: str, booking_id: uuid.UUID) -> bool:
        show_of_hold(hold_id)
        data = await self.client.call(
            "POST",
            f"/internal/inventory/holds/{hold_id}/sell",
            idempotent=True,
            json={"booking_id": str(booking_id)},
        )
        return bool(data["sold"])
