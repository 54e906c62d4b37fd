"""Live seat updates: one Redis subscription per process, fanned out to SSE clients."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator

from redis.asyncio import Redis

log = logging.getLogger(__name__)


class SeatFeed:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._listeners: dict[str, set[asyncio.Queue[str]]] = defaultdict(set)
        self._task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.psubscribe("seats:*")
                    async for message in pubsub.listen():
                        if message["type"] != "pmessage":
                            continue
                        show = message["channel"].split(":", 1)[1]
                        for queue in self._listeners.get(show, ()):
                            if queue.qsize() < 1000:  # a stalled client must not eat memory
                                queue.put_nowait(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("seat feed lost its Redis subscription; resubscribing")
                await asyncio.sleep(1.0)

    async def follow(self, show_hex: str, heartbeat: float = 15.0) -> AsyncIterator[str]:
        queue: asyncio.Queue[str] = asyncio.Queue()
        self._listeners[show_hex].add(queue)
        try:
            yield ": connected\n\n"
            while True:
                try:
                    data = await asyncio.wait_for(queue.get(), timeout=heartbeat)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                yield f"event: seats\ndata: {data}\n\n"
        finally:
            self._listeners[show_hex].discard(queue)
            if not self._listeners[show_hex]:
                del self._listeners[show_hex]

    @property
    def subscribers(self) -> int:
        return sum(len(q) for q in self._listeners.values())
