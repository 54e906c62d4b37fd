"""The consumer's delivery policy, with a scripted handler and fake deliveries: ack on success,
retry with growing backoff, park after the last attempt."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, cast

import pytest
import sqlalchemy as sa

from boxoffice.kernel.events import Envelope, Event, InconsistentEvent
from boxoffice.kernel.messaging import Consumer, HandlerTable, Messaging, UnitOfWork
from tests.fakes import FakeDelivery


class ScriptedConsumer(Consumer):
    """A consumer whose handle() follows a script and whose park() records instead of writing."""

    def __init__(self, outcomes: list[bool | Exception], **kw: Any) -> None:
        super().__init__(store=None, name="scripted", handlers={}, **kw)  # type: ignore[arg-type]
        self.outcomes = outcomes
        self.parked: list[tuple[Envelope, str, int]] = []
        self.handled: list[Envelope] = []

    async def handle(self, envelope: Envelope) -> bool:
        self.handled.append(envelope)
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def park(self, envelope: Envelope, exc: BaseException, attempts: int) -> None:
        self.parked.append((envelope, str(exc), attempts))


async def test_a_handled_event_is_acked() -> None:
    consumer = ScriptedConsumer([True])
    fake = FakeDelivery(attempt=1)
    await consumer.deliver(fake.delivery())
    assert (fake.acks, fake.retries, consumer.parked) == (1, [], [])
    assert consumer.handled == [fake.envelope]


async def test_an_event_seen_before_is_acked_too() -> None:
    consumer = ScriptedConsumer([False])
    fake = FakeDelivery(attempt=2)
    await consumer.deliver(fake.delivery())
    assert (fake.acks, fake.retries) == (1, [])


@pytest.mark.parametrize("attempt", [1, 2, 3, 4])
async def test_a_failure_before_the_last_attempt_is_retried_with_exponential_backoff(
    attempt: int,
) -> None:
    consumer = ScriptedConsumer([RuntimeError("down")], max_deliveries=5, backoff=0.2)
    fake = FakeDelivery(attempt=attempt)
    await consumer.deliver(fake.delivery())
    assert fake.acks == 0
    assert consumer.parked == []
    [delay] = fake.retries
    base = 0.2 * 2 ** (attempt - 1)
    assert 0.5 * base <= delay <= 1.5 * base


async def test_a_failure_on_the_last_attempt_is_parked_and_acked() -> None:
    consumer = ScriptedConsumer([ValueError("poison")], max_deliveries=3)
    fake = FakeDelivery(attempt=3)
    await consumer.deliver(fake.delivery())
    assert fake.acks == 1
    assert fake.retries == []
    assert consumer.parked == [(fake.envelope, "poison", 3)]


async def test_a_script_of_failures_then_success_is_acked_once() -> None:
    consumer = ScriptedConsumer([RuntimeError("1"), RuntimeError("2"), True], max_deliveries=5)
    fakes = [FakeDelivery(attempt=n) for n in (1, 2, 3)]
    for fake in fakes:
        await consumer.deliver(fake.delivery())
    assert [f.acks for f in fakes] == [0, 0, 1]
    assert [len(f.retries) for f in fakes] == [1, 1, 0]
    assert consumer.parked == []


def test_the_unit_of_work_stamps_events_with_producer_and_correlation() -> None:
    from boxoffice.booking.contract import BookingCancelled

    messaging = Messaging(sa.MetaData(schema="unit_fake"))
    uow = UnitOfWork(engine=None, messaging=messaging, producer="booking", wake=asyncio.Event())  # type: ignore[arg-type]
    uow.correlation_id = "corr-9"
    envelope = uow.emit(
        BookingCancelled(booking_id="b", user_id="u", show_id="s", hold_id="h", reason="r")
    )
    assert uow.events == [envelope]
    assert envelope.producer == "booking"
    assert envelope.correlation_id == "corr-9"
    assert envelope.type == "booking.booking.cancelled"
    with pytest.raises(AssertionError, match="outside its 'async with' block"):
        _ = uow.conn


@dataclass(frozen=True)
class Counted(Event):
    type = "test.thing.counted"
    count: int


async def test_a_handler_table_hands_each_handler_its_decoded_event() -> None:
    seen: list[Counted] = []

    async def on_counted(_uow: UnitOfWork, event: Counted) -> None:
        seen.append(event)

    table = HandlerTable().on(Counted, on_counted)
    assert list(table) == ["test.thing.counted"]
    uow = cast(UnitOfWork, None)
    await table["test.thing.counted"](uow, Envelope.of(Counted(3), producer="test"))
    assert seen == [Counted(3)]
    with pytest.raises(InconsistentEvent, match="count"):
        bad = Envelope(type="test.thing.counted", payload={"count": "3"}, producer="test")
        await table["test.thing.counted"](uow, bad)
    assert seen == [Counted(3)]


async def test_an_event_that_is_not_its_contract_is_parked_at_once() -> None:
    async def never(_uow: UnitOfWork, _event: Counted) -> None:
        raise AssertionError("a handler got an event that is not its contract")

    class Parking(Consumer):
        parked: list[str]

        async def park(self, _envelope: Envelope, exc: BaseException, _attempts: int) -> None:
            self.parked.append(str(exc))

        async def handle(self, envelope: Envelope) -> bool:
            await self.handlers[envelope.type](cast(UnitOfWork, None), envelope)
            return True

    consumer = Parking(None, "p", HandlerTable().on(Counted, never), max_deliveries=5)  # type: ignore[arg-type]
    consumer.parked = []
    fake = FakeDelivery(attempt=1, envelope=Envelope(type=Counted.type, payload={}, producer="t"))
    await consumer.deliver(fake.delivery())
    assert consumer.parked == ["test.thing.counted without count"]
    assert (fake.acks, fake.retries) == (1, [])
