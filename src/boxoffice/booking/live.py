"""A customer's live channel: each change of one of their bookings' status is published on
`user:<user>` once it has committed, and pushed to the customer's open streams as a `booking`
event (`GET /api/v1/live`; notification sends its `notification` events on the same
channel). The status is also read by polling: a lost message costs nothing but the wait for
the next poll."""

from __future__ import annotations

import logging
import uuid

import orjson
from redis.asyncio import Redis

from boxoffice.kernel.live import LiveFeed, user_channel

log = logging.getLogger(__name__)


class CustomerFeed(LiveFeed):
    def __init__(self, redis: Redis) -> None:
        super().__init__(redis, "user", "booking", batch_seconds=0.05)


channel = user_channel


class StatusAnnouncer:
    """Tells a customer's live channel what became of a booking (after the commit)."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def __call__(
        self, user_id: uuid.UUID, booking_id: uuid.UUID, status: str, reason: str | None
    ) -> None:
        message = {"booking_id": str(booking_id), "status": status, "reason": reason}
        try:
            await self._redis.publish(channel(user_id), orjson.dumps(message))
        except Exception as exc:  # the poll still finds it
            log.warning("could not announce booking %s %s: %r", booking_id, status, exc)
