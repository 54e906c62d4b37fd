"""Live seat updates of a show: what the hold script publishes on `seats:<show>`, sent to the
show page's subscribers as `seats` events."""

from __future__ import annotations

from redis.asyncio import Redis

from boxoffice.kernel.live import LiveFeed


class SeatFeed(LiveFeed):
    def __init__(
        self, redis: Redis, batch_seconds: float = 0.1, writes_per_second: float = 10_000
    ) -> None:
        super().__init__(redis, "seats", "seats", batch_seconds, writes_per_second)
