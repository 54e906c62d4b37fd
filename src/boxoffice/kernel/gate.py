"""Admission at a service: at most `concurrency` callers inside, at most `queue` waiting, and
a fast, retryable 503 (Retry-After) for the next one instead of a wait that only grows."""

from __future__ import annotations

import asyncio
from types import TracebackType

from boxoffice.kernel.errors import Unavailable
from boxoffice.kernel.telemetry import GATE_WAITING


class Gate:
    """`async with gate:` around work that needs a scarce resource (database connections):
    callers past the bound are told to come back, those within it wait their turn in order."""

    def __init__(self, name: str, concurrency: int, queue: int, *, detail: str = "") -> None:
        self.name = name
        self.concurrency = max(1, concurrency)
        self.queue = max(0, queue)
        self.detail = detail or "Too many requests at once on this server; try again in a moment."
        self._slots = asyncio.Semaphore(self.concurrency)
        self._pending = 0  # inside or waiting

    @property
    def pending(self) -> int:
        return self._pending

    async def __aenter__(self) -> Gate:
        if self._pending >= self.concurrency + self.queue:
            raise Unavailable(self.detail, retry_after=1)
        self._pending += 1
        GATE_WAITING.labels(self.name).set(self._pending)
        try:
            await self._slots.acquire()
        except BaseException:  # cancelled while waiting
            self._left()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._slots.release()
        self._left()

    def _left(self) -> None:
        self._pending -= 1
        GATE_WAITING.labels(self.name).set(self._pending)
