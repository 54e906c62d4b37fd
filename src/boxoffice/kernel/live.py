"""Live updates: one Redis subscription per process and channel family, fanned out to SSE
clients (the seats of a show, `seats:<show>`; what happens to a customer's bookings,
`user:<user>`).

Updates of one channel are sent in batches: the first change after a quiet spell goes out at once,
later ones are gathered and sent as one write of several SSE events. In a hold storm a show
changes thousands of times a second; one write per change to each of thousands of subscribers
would be millions of writes (docs/benchmarks.md, scenario 4). A batch spans `batch_seconds`, or
longer for a show with many subscribers, so that one process makes at most about
`writes_per_second` writes to them: each costs a task switch and a send() system call."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator

from redis.asyncio import Redis

log = logging.getLogger(__name__)

CONNECTED = b": connected\n\n"
KEEP_ALIVE = b": keep-alive\n\n"
_END = b""  # queued by close(): the stream ends


def _sse(default: str, data: str) -> str:
    """An SSE event; a message published as `<event>\n<json>` names its own event (a channel
    that carries several kinds: a customer's bookings and notifications)."""
    name, newline, rest = data.partition("\n")
    if newline and not name.startswith(("{", "[")):
        return f"event: {name}\ndata: {rest}\n\n"
    return f"event: {default}\ndata: {data}\n\n"


def user_channel(user_id: uuid.UUID) -> str:
    """A customer's own channel (`GET /api/v1/live`): their bookings' statuses (booking) and
    their notifications (notification)."""
    return f"user:{user_id.hex}"


def named(event: str, data: bytes) -> bytes:
    """A message for a LiveFeed that names its SSE event (JSON data has no raw newline)."""
    return event.encode() + b"\n" + data


class LiveFeed:
    """Messages published on `<family>:<key>` go to the followers of `key` as SSE events named
    `event`."""

    def __init__(
        self,
        redis: Redis,
        family: str,
        event: str,
        batch_seconds: float = 0.1,
        writes_per_second: float = 10_000,
    ) -> None:
        self._redis = redis
        self._family = family
        self._event = event
        self._batch_seconds = batch_seconds
        self._writes_per_second = writes_per_second
        self._listeners: dict[str, set[asyncio.Queue[bytes]]] = defaultdict(set)
        self._pending: dict[str, list[str]] = {}
        self._last_sent: dict[str, float] = {}
        self._closed = False

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.psubscribe(f"{self._family}:*")
                    async for message in pubsub.listen():
                        if message["type"] != "pmessage":
                            continue
                        key = message["channel"].split(":", 1)[1]
                        if key not in self._listeners:
                            continue
                        pending = self._pending.get(key)
                        if pending is not None:
                            pending.append(message["data"])
                            continue
                        self._pending[key] = [message["data"]]
                        window = max(
                            self._batch_seconds,
                            len(self._listeners[key]) / self._writes_per_second,
                        )
                        due = self._last_sent.get(key, 0.0) + window
                        loop.call_at(max(due, loop.time()), self._send, key)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s feed lost its Redis subscription; resubscribing", self._family)
                await asyncio.sleep(1.0)

    def _send(self, key: str) -> None:
        changes = self._pending.pop(key, [])
        self._last_sent[key] = asyncio.get_running_loop().time()
        if not changes:
            return
        chunk = "".join(_sse(self._event, data) for data in changes).encode()
        for queue in self._listeners.get(key, ()):
            if queue.qsize() < 1000:  # a stalled client must not eat memory
                queue.put_nowait(chunk)

    async def keep_alive(self, every: float = 15.0) -> None:
        """A comment line to every subscriber now and then, so proxies keep quiet streams
        open (one timer for all, not one per subscriber and update)."""
        while True:
            await asyncio.sleep(every)
            for queues in list(self._listeners.values()):
                for queue in queues:
                    if queue.empty():
                        queue.put_nowait(KEEP_ALIVE)

    def close(self) -> None:
        """End every live stream: the server is stopping, and would otherwise wait for streams
        that never end by themselves (EventSource clients reconnect to another process)."""
        self._closed = True
        for queues in self._listeners.values():
            for queue in queues:
                queue.put_nowait(_END)

    async def follow(self, key: str) -> AsyncIterator[bytes]:
        if self._closed:
            return
        queue: asyncio.Queue[bytes] = asyncio.Queue()
        self._listeners[key].add(queue)
        try:
            yield CONNECTED
            while (chunk := await queue.get()) is not _END:
                yield chunk
        finally:
            self._listeners[key].discard(queue)
            if not self._listeners[key]:
                del self._listeners[key]
                self._last_sent.pop(key, None)

    @property
    def subscribers(self) -> int:
        return sum(len(q) for q in self._listeners.values())
