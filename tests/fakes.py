"""Fakes shared by tests of several services."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from boxoffice.kernel.bus import Delivery
from boxoffice.kernel.events import Envelope


@dataclass
class FakeDelivery:
    """One delivery of an event, as the bus hands it to a consumer, recording what the
    consumer answered: acks, and retries with their delays."""

    attempt: int = 1
    envelope: Envelope = field(
        default_factory=lambda: Envelope(type="t.e.v", payload={}, producer="p")
    )
    acks: int = 0
    retries: list[float] = field(default_factory=list)

    async def ack(self) -> None:
        self.acks += 1

    async def retry(self, delay: float) -> None:
        self.retries.append(delay)

    def delivery(self) -> Delivery:
        return Delivery(self.envelope, self.attempt, self.ack, self.retry)


@dataclass
class FakeClock:
    """The clock port, standing still until a test advances it."""

    at: datetime = field(default_factory=lambda: datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
    ticks: float = 1000.0

    def now(self) -> datetime:
        return self.at

    def monotonic(self) -> float:
        return self.ticks

    def advance(self, seconds: float) -> None:
        assert seconds >= 0, "time does not go back"
        self.at += timedelta(seconds=seconds)
        self.ticks += seconds
