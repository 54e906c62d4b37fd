"""Waiting-room use cases: the organizer sets a show's room, customers queue and are let in."""

from __future__ import annotations

import logging
import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from boxoffice.inventory import store
from boxoffice.inventory.domain import SeatState, UnknownShow
from boxoffice.inventory.onsale import NotInQueue, Queue, QueueClosed, Room
from boxoffice.inventory.ports import RoomRule
from boxoffice.inventory.service import InventoryService
from boxoffice.kernel.auth import Principal
from boxoffice.kernel.errors import Forbidden, InvalidRequest, NotFound

log = logging.getLogger(__name__)

_ENTRY = re.compile(r"^[0-9a-f]{56}$")


# With admission_rate "auto": buyers let in per minute before any booking is confirmed.
AUTO_START_RATE = 600


class NoWaitingRoom(NotFound):
    pass


@dataclass(frozen=True)
class RoomSpec:
    opens_at: datetime
    on_sale_at: datetime
    admission_rate: int
    pass_ttl_seconds: int
    max_tickets_per_customer: int | None
    auto_rate: bool = False


class WaitingRooms:
    def __init__(self, inventory: InventoryService, queue: Queue) -> None:
        self.inventory = inventory
        self.queue = queue

    async def _owned(self, user: Principal, show_id: uuid.UUID) -> None:
        await self.inventory.show(show_id)  # 404 unless the show is published
        if not user.is_admin and await self.inventory.catalog.show_owner(show_id) != user.user_id:
            raise Forbidden("This show belongs to another organizer.")

    async def setting(self, show_id: uuid.UUID) -> Room | None:
        """The show's room, None if it has none (404 for a show that is not on sale)."""
        await self.inventory.show(show_id)
        return await self.queue.room(show_id)

    async def room(self, show_id: uuid.UUID) -> Room:
        room = await self.queue.room(show_id)
        if room is None:
            raise NoWaitingRoom("This show has no waiting room; hold seats directly.")
        return room

    async def configure(self, user: Principal, show_id: uuid.UUID, spec: RoomSpec) -> Room:
        await self._owned(user, show_id)
        show = (await self.inventory.show(show_id)).row
        if spec.on_sale_at < spec.opens_at:
            raise InvalidRequest("on_sale_at must not be before opens_at.", field="on_sale_at")
        if spec.on_sale_at >= show.sales_end:
            raise InvalidRequest(
                "on_sale_at must be before the show's sales end.",
                field="on_sale_at",
                sales_end=show.sales_end.isoformat(),
            )
        room = Room(show_id=show_id, updated_at=datetime.now(UTC), **vars(spec))
        async with self.inventory.store.engine.begin() as conn:
            await store.write_room(conn, room)
        await self._copy(room)
        return room

    async def _copy(self, room: Room) -> None:
        """PostgreSQL has the room; Redis has what every replica reads: the queue's settings
        and, in the show's hold-store meta, the moment holds begin to need a pass."""
        await self.queue.configure(room)
        await self.inventory.holds.set_room(
            room.show_id, RoomRule(room.opens_at, room.max_tickets_per_customer)
        )

    async def remove(self, user: Principal, show_id: uuid.UUID) -> None:
        await self._owned(user, show_id)
        async with self.inventory.store.engine.begin() as conn:
            if not await store.delete_room(conn, show_id):
                raise NoWaitingRoom("This show has no waiting room.")
        await self.inventory.holds.set_room(show_id, None)
        await self.queue.remove(show_id)

    async def challenge(self, user: Principal, show_id: uuid.UUID) -> dict[str, Any]:
        await self.room(show_id)
        return self.queue.challenge(show_id, user.user_id)

    async def join(
        self, user: Principal, show_id: uuid.UUID, challenge: str, solution: str
    ) -> tuple[dict[str, Any], bool]:
        room = await self.room(show_id)
        now = datetime.now(UTC)
        if now < room.opens_at:
            raise QueueClosed(
                "The waiting room is not open yet.", opens_at=room.opens_at.isoformat()
            )
        if now >= (await self.inventory.show(show_id)).row.sales_end:
            raise QueueClosed("The sale of this show has ended.")
        self.queue.signer.check_solution(challenge, solution, show_id, user.user_id, time.time())
        entry, new = await self.queue.join(room, user.user_id, now)
        return await self.queue.status(room, entry, user.user_id, now), new

    async def status(self, user: Principal, entry: str) -> dict[str, Any]:
        if not _ENTRY.match(entry):
            raise NotInQueue("No such place in a queue of yours.")
        show_id = uuid.UUID(entry[:32])
        try:
            room = await self.room(show_id)
        except NotFound:
            raise NotInQueue("No such place in a queue of yours.") from None
        return await self.queue.status(room, entry, user.user_id, datetime.now(UTC))

    async def admit(self) -> int:
        """One admission step for every room (a job, every second): a room whose show has
        nothing left to hold lets no one in and tells its waiting customers so; places that
        come back go to the show's waiting list first (inventory.waitlist), and admission
        goes on once no one is waiting on it."""
        admitted = 0
        now = datetime.now(UTC)
        for show_id in await self.queue.rooms():
            try:
                sold_out = await self.sold_out(show_id) or await self.waiting_listed(show_id)
                await self.queue.set_sold_out(show_id, sold_out)
                if not sold_out:
                    counters = await self.inventory.holds.counters(show_id)
                    admitted += await self.queue.admit(show_id, now, counters)
                await self.queue.announce(show_id)
            except UnknownShow:
                continue  # a room of another installation sharing this Redis database
            except Exception:  # one room's trouble does not hold up the others
                log.exception("admitting to the waiting room of show %s failed", show_id)
        return admitted

    async def sold_out(self, show_id: uuid.UUID) -> bool:
        """No seat and no general-admission place is free (held ones may come back)."""
        states = await self.inventory.holds.states(show_id)
        if states.version == 0:
            return False  # not loaded: nothing known
        data = await self.inventory.show(show_id)
        if any(states.state(s) == SeatState.AVAILABLE for s in data.seats):
            return False
        used = await self.inventory.holds.ga_used(show_id)
        return all(used.get(a, 0) >= area.capacity for a, area in data.areas.items())

    async def waiting_listed(self, show_id: uuid.UUID) -> bool:
        """Someone waits on the show's waiting list for places to come back."""
        async with self.inventory.store.engine.connect() as conn:
            return await store.waitlist_waiting(conn, show_id) > 0

    async def resync(self) -> None:
        """Copy every room's settings to Redis again (it may have lost them)."""
        async with self.inventory.store.engine.connect() as conn:
            rooms = await store.read_rooms(conn)
        for room in rooms:
            await self._copy(room)
