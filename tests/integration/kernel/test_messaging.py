"""The transactional outbox, the relay to NATS JetStream, and idempotent consumers with dead
letters, on a throwaway schema and stream of their own."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from boxoffice.kernel.bus import NatsBus
from boxoffice.kernel.events import Envelope, Event
from boxoffice.kernel.messaging import Consumer, OutboxRelay, UnitOfWork, replay_dead_letter
from tests.fakes import FakeDelivery
from tests.integration.conftest import Scratch

pytestmark = pytest.mark.integration

MakeBus = Callable[[], Awaitable[NatsBus]]


@dataclass(frozen=True)
class ThingNamed(Event):
    type = "it.thing.named"
    thing_id: str
    name: str


async def name_thing(scratch: Scratch, name: str) -> Envelope:
    """A business write and its event in one unit of work."""
    async with scratch.store.uow(correlation_id=f"corr-{name}") as uow:
        thing_id = uuid.uuid4()
        await uow.execute(sa.insert(scratch.things).values(id=thing_id, name=name))
        return uow.emit(ThingNamed(thing_id=str(thing_id), name=name))


def record_thing(
    scratch: Scratch, calls: list[str]
) -> Callable[[UnitOfWork, Envelope], Awaitable[None]]:
    """A handler whose effect is a row per event name (so doing it twice would be visible)."""

    async def handler(uow: UnitOfWork, envelope: Envelope) -> None:
        calls.append(envelope.payload["name"])
        await uow.execute(
            sa.insert(scratch.things).values(
                id=uuid.uuid4(), name=f"seen:{envelope.payload['name']}"
            )
        )

    return handler


async def wait_until(check: Callable[[], Awaitable[bool]], timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def stream_messages(bus: NatsBus) -> list[Envelope]:
    info = await bus.js.stream_info(bus._stream)
    return [
        Envelope.from_json((await bus.js.get_msg(bus._stream, seq)).data or b"")
        for seq in range(info.state.first_seq, info.state.last_seq + 1)
    ]


# -- unit of work and outbox ---------------------------------------------------------------


async def test_an_event_is_written_to_the_outbox_in_the_business_transaction(
    scratch: Scratch,
) -> None:
    scratch.store.wake.clear()
    envelope = await name_thing(scratch, "first")
    outbox = scratch.messaging.outbox
    async with scratch.store.engine.connect() as conn:
        row = (await conn.execute(sa.select(outbox))).one()
    assert row.id == envelope.id
    assert row.type == "it.thing.named"
    assert row.envelope == envelope.to_dict()
    assert row.published_at is None
    assert envelope.producer == scratch.schema
    assert envelope.correlation_id == "corr-first"
    assert await scratch.count(scratch.things, scratch.things.c.name == "first") == 1
    assert scratch.store.wake.is_set(), "a commit with events wakes the relay"


async def test_an_exception_rolls_back_the_business_row_and_its_event(scratch: Scratch) -> None:
    ran: list[str] = []
    with pytest.raises(RuntimeError, match="midway"):
        async with scratch.store.uow() as uow:
            await uow.execute(sa.insert(scratch.things).values(id=uuid.uuid4(), name="doomed"))
            uow.emit(ThingNamed(thing_id="x", name="doomed"))

            async def after() -> None:
                ran.append("after_commit")

            uow.after_commit.append(after)
            raise RuntimeError("midway")
    assert await scratch.count(scratch.things) == 0
    assert await scratch.count(scratch.messaging.outbox) == 0
    assert ran == []


async def test_a_failing_statement_rolls_back_the_events_of_the_transaction(
    scratch: Scratch,
) -> None:
    await name_thing(scratch, "taken")
    with pytest.raises(IntegrityError):
        await name_thing(scratch, "taken")
    assert await scratch.count(scratch.things) == 1
    assert await scratch.count(scratch.messaging.outbox) == 1


async def test_after_commit_callbacks_run_once_the_transaction_is_visible(
    scratch: Scratch,
) -> None:
    seen: list[int] = []
    async with scratch.store.uow() as uow:
        await uow.execute(sa.insert(scratch.things).values(id=uuid.uuid4(), name="visible"))

        async def after() -> None:
            seen.append(await scratch.count(scratch.things))

        uow.after_commit.append(after)
    assert seen == [1]


# -- relay ---------------------------------------------------------------------------------


async def test_the_relay_publishes_pending_events_in_commit_order_once(
    scratch: Scratch, make_bus: MakeBus
) -> None:
    bus = await make_bus()
    sent = [await name_thing(scratch, f"n{i}") for i in range(3)]
    relay = OutboxRelay(scratch.store, bus)
    assert await relay.publish_pending() == 3
    assert await relay.publish_pending() == 0
    published = await stream_messages(bus)
    assert published == sent
    outbox = scratch.messaging.outbox
    assert await scratch.count(outbox, outbox.c.published_at.is_(None)) == 0
    first = await bus.js.get_msg(bus._stream, 1)
    assert first.headers is not None
    assert first.headers["Nats-Msg-Id"] == str(sent[0].id)
    assert first.subject == bus.subject("it.thing.named")


async def test_a_republished_outbox_row_is_dropped_by_jetstream(
    scratch: Scratch, make_bus: MakeBus
) -> None:
    bus = await make_bus()
    sent = [await name_thing(scratch, f"d{i}") for i in range(2)]
    relay = OutboxRelay(scratch.store, bus)
    assert await relay.publish_pending() == 2
    # A relay that died after publishing but before marking its rows publishes them again.
    async with scratch.store.engine.begin() as conn:
        await conn.execute(sa.update(scratch.messaging.outbox).values(published_at=None))
    assert await relay.publish_pending() == 2
    await bus.publish(sent[0])
    assert await stream_messages(bus) == sent


async def test_a_relay_run_loop_publishes_what_commits_later(
    scratch: Scratch, make_bus: MakeBus
) -> None:
    bus = await make_bus()
    task = asyncio.create_task(OutboxRelay(scratch.store, bus, idle_poll=5.0).run())
    try:
        envelope = await name_thing(scratch, "woken")

        async def published() -> bool:
            return (await bus.js.stream_info(bus._stream)).state.messages == 1

        await wait_until(published, timeout=3.0)  # well inside idle_poll: the commit woke it
        assert await stream_messages(bus) == [envelope]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_commit_that_lands_while_the_relay_looks_is_not_left_waiting(
    scratch: Scratch, make_bus: MakeBus
) -> None:
    bus = await make_bus()

    class CommitDuringLook(OutboxRelay):
        """The first look finds nothing, and a commit (with its wake-up) lands right after."""

        looks = 0

        async def publish_pending(self, limit: int = 200) -> int:
            published = await super().publish_pending(limit)
            self.looks += 1
            if self.looks == 1:
                await name_thing(scratch, "during-look")
            return published

    relay = CommitDuringLook(scratch.store, bus, idle_poll=10.0)
    task = asyncio.create_task(relay.run())
    try:

        async def published() -> bool:
            return (await bus.js.stream_info(bus._stream)).state.messages == 1

        await wait_until(published, timeout=3.0)  # not after idle_poll: the wake-up counts
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


# -- consumer ------------------------------------------------------------------------------


async def test_a_consumer_processes_each_event_once_however_often_it_arrives(
    scratch: Scratch,
) -> None:
    calls: list[str] = []
    consumer = Consumer(scratch.store, "recorder", {"it.thing.named": record_thing(scratch, calls)})
    events = [
        Envelope.of(ThingNamed(thing_id=str(uuid.uuid4()), name=f"e{i}"), producer="t")
        for i in range(4)
    ]
    first = [await consumer.handle(e) for e in events]
    again = [await consumer.handle(e) for e in events]
    assert first == [True] * 4
    assert again == [False] * 4
    assert calls == ["e0", "e1", "e2", "e3"]
    assert await scratch.count(scratch.things) == 4
    inbox = scratch.messaging.inbox
    assert await scratch.count(inbox, inbox.c.consumer == "recorder") == 4


async def test_each_consumer_of_a_service_keeps_its_own_inbox(scratch: Scratch) -> None:
    calls: list[str] = []

    def tagged(tag: str) -> Callable[[UnitOfWork, Envelope], Awaitable[None]]:
        async def handler(_uow: UnitOfWork, envelope: Envelope) -> None:
            calls.append(f"{tag}:{envelope.payload['name']}")

        return handler

    event = Envelope.of(ThingNamed(thing_id="t", name="shared"), producer="t")
    a = Consumer(scratch.store, "a", {"it.thing.named": tagged("a")})
    b = Consumer(scratch.store, "b", {"it.thing.named": tagged("b")})
    assert [await a.handle(event), await b.handle(event)] == [True, True]
    assert [await a.handle(event), await b.handle(event)] == [False, False]
    assert calls == ["a:shared", "b:shared"]


async def test_concurrent_deliveries_of_one_event_take_effect_once(scratch: Scratch) -> None:
    calls: list[str] = []
    consumer = Consumer(scratch.store, "racer", {"it.thing.named": record_thing(scratch, calls)})
    event = Envelope.of(ThingNamed(thing_id="t", name="raced"), producer="t")
    results = await asyncio.gather(*(consumer.handle(event) for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True]
    assert await scratch.count(scratch.things) == 1


async def test_a_failing_handler_leaves_no_trace_so_it_can_be_retried(scratch: Scratch) -> None:
    attempts: list[int] = []

    async def flaky(uow: UnitOfWork, envelope: Envelope) -> None:
        attempts.append(1)
        name = f"partial:{envelope.payload['name']}"
        await uow.execute(sa.insert(scratch.things).values(id=uuid.uuid4(), name=name))
        if len(attempts) < 2:
            raise RuntimeError("downstream unavailable")

    consumer = Consumer(scratch.store, "flaky", {"it.thing.named": flaky})
    event = Envelope.of(ThingNamed(thing_id="t", name="x"), producer="t")
    with pytest.raises(RuntimeError):
        await consumer.handle(event)
    assert await scratch.count(scratch.things) == 0
    assert await scratch.count(scratch.messaging.inbox) == 0
    assert await consumer.handle(event) is True
    assert await consumer.handle(event) is False
    assert await scratch.count(scratch.things) == 1


async def test_a_batch_of_events_is_handled_in_one_transaction_and_a_repeat_takes_no_effect(
    scratch: Scratch,
) -> None:
    transactions: list[int] = []
    calls: list[str] = []
    record = record_thing(scratch, calls)

    async def handler(uow: UnitOfWork, envelope: Envelope) -> None:
        transactions.append(int(await uow.conn.scalar(sa.text("SELECT txid_current()"))))
        await record(uow, envelope)

    consumer = Consumer(scratch.store, "batched", {"it.thing.named": handler})
    events = [
        Envelope.of(ThingNamed(thing_id=str(uuid.uuid4()), name=f"b{i}"), producer="t")
        for i in range(5)
    ]
    fakes = [FakeDelivery(envelope=e) for e in events]
    await consumer.deliver_all([f.delivery() for f in fakes])
    assert [f.acks for f in fakes] == [1] * 5
    assert calls == ["b0", "b1", "b2", "b3", "b4"]
    assert len(set(transactions)) == 1  # one transaction, one commit for the five
    # The same events again (a redelivery), with one new one and one twice in the batch.
    late = Envelope.of(ThingNamed(thing_id=str(uuid.uuid4()), name="late"), producer="t")
    again = [FakeDelivery(envelope=e) for e in [*events, late, late]]
    await consumer.deliver_all([f.delivery() for f in again])
    assert [f.acks for f in again] == [1] * 7
    assert calls == ["b0", "b1", "b2", "b3", "b4", "late"]
    assert await scratch.count(scratch.things) == 6
    inbox = scratch.messaging.inbox
    assert await scratch.count(inbox, inbox.c.consumer == "batched") == 6


async def test_a_batch_that_fails_half_way_leaves_nothing_and_each_event_then_goes_alone(
    scratch: Scratch,
) -> None:
    calls: list[str] = []
    record = record_thing(scratch, calls)

    async def handler(uow: UnitOfWork, envelope: Envelope) -> None:
        await record(uow, envelope)
        if envelope.payload["name"] == "poison":
            raise RuntimeError("cannot handle poison")

    consumer = Consumer(
        scratch.store, "halfway", {"it.thing.named": handler}, max_deliveries=2, backoff=0.1
    )
    names = ["ok0", "ok1", "poison", "ok3"]
    events = [
        Envelope.of(ThingNamed(thing_id=str(uuid.uuid4()), name=n), producer="t") for n in names
    ]
    fakes = [FakeDelivery(envelope=e) for e in events]
    await consumer.deliver_all([f.delivery() for f in fakes])
    # The batch ran ok0, ok1 and failed at poison: rolled back, then every event on its own.
    assert calls[:3] == ["ok0", "ok1", "poison"]
    assert sorted(calls[3:]) == ["ok0", "ok1", "ok3", "poison"]
    async with scratch.store.engine.connect() as conn:
        stored = sorted((await conn.execute(sa.select(scratch.things.c.name))).scalars())
    assert stored == [
        "seen:ok0",
        "seen:ok1",
        "seen:ok3",
    ]  # each once: nothing of the failed batch stayed
    assert [f.acks for f in fakes] == [1, 1, 0, 1]
    assert fakes[2].retries and not fakes[0].retries
    # Its last delivery parks the bad event; the others are not touched again.
    last = FakeDelivery(envelope=events[2], attempt=2)
    await consumer.deliver_all([last.delivery(), FakeDelivery(envelope=events[0]).delivery()])
    dead = scratch.messaging.dead_letters
    assert await scratch.count(dead, dead.c.consumer == "halfway") == 1
    assert last.acks == 1
    assert calls[7:] == ["poison", "poison"]  # in the batch, then alone; ok0 was done before
    assert await scratch.count(scratch.things) == 3


async def test_an_event_without_a_handler_is_recorded_and_skipped(scratch: Scratch) -> None:
    consumer = Consumer(scratch.store, "picky", {})
    event = Envelope(type="it.other.thing", payload={}, producer="t")
    assert await consumer.handle(event) is True
    assert await consumer.handle(event) is False


async def test_events_flow_from_outbox_through_nats_to_a_consumer_exactly_once_in_effect(
    scratch: Scratch, make_bus: MakeBus
) -> None:
    bus = await make_bus()
    calls: list[str] = []
    consumer = Consumer(
        scratch.store, "flow", {"it.thing.named": record_thing(scratch, calls)}, backoff=0.05
    )
    await consumer.start(bus)
    sent = [await name_thing(scratch, f"f{i}") for i in range(5)]
    relay = OutboxRelay(scratch.store, bus)
    assert await relay.publish_pending() == 5
    async with scratch.store.engine.begin() as conn:  # the relay publishes everything again
        await conn.execute(sa.update(scratch.messaging.outbox).values(published_at=None))
    assert await relay.publish_pending() == 5
    for envelope in sent:  # and a copy outside JetStream's duplicate window arrives too
        await bus.js.publish(bus.subject(envelope.type), envelope.to_json())

    async def all_seen() -> bool:
        inbox = scratch.messaging.inbox
        return await scratch.count(inbox, inbox.c.consumer == "flow") == 5

    await wait_until(all_seen)
    await asyncio.sleep(0.5)  # give the extra copies time to arrive and be skipped
    assert sorted(calls) == [f"f{i}" for i in range(5)]
    assert await scratch.count(scratch.things, scratch.things.c.name.like("seen:%")) == 5


async def test_a_poison_event_is_retried_then_parked_and_replayed_once_fixed(
    scratch: Scratch, make_bus: MakeBus
) -> None:
    bus = await make_bus()
    attempts: list[int] = []
    broken = True

    async def handler(uow: UnitOfWork, envelope: Envelope) -> None:
        attempts.append(len(attempts) + 1)
        if broken:
            raise ValueError(f"cannot handle {envelope.payload['name']}")
        await uow.execute(sa.insert(scratch.things).values(id=uuid.uuid4(), name="handled"))

    consumer = Consumer(
        scratch.store, "poisoned", {"it.thing.named": handler}, max_deliveries=3, backoff=0.05
    )
    await consumer.start(bus)
    event = Envelope.of(ThingNamed(thing_id="t", name="poison"), producer="t")
    await bus.publish(event)
    dead = scratch.messaging.dead_letters

    async def parked() -> bool:
        return await scratch.count(dead) == 1

    await wait_until(parked)
    await asyncio.sleep(0.5)  # a redelivery after parking would show up here
    assert attempts == [1, 2, 3]
    async with scratch.store.engine.connect() as conn:
        row = (await conn.execute(sa.select(dead))).one()
    assert (row.consumer, row.event_id, row.type) == ("poisoned", event.id, "it.thing.named")
    assert row.deliveries == 3
    assert row.error == "ValueError: cannot handle poison"
    assert row.envelope == event.to_dict()
    assert row.replayed_at is None
    assert await scratch.count(scratch.messaging.inbox) == 0

    # The same event parked again (republished, say) stays one dead letter for the operator.
    await consumer.park(event, ValueError("cannot handle poison"), 2)
    assert await scratch.count(dead) == 1
    async with scratch.store.engine.connect() as conn:
        assert (await conn.execute(sa.select(dead.c.deliveries))).scalar_one() == 5

    with pytest.raises(ValueError):
        await replay_dead_letter(consumer, row.id)  # still broken: stays parked
    assert await scratch.count(dead, dead.c.replayed_at.is_(None)) == 1

    broken = False
    assert await replay_dead_letter(consumer, row.id) is True
    assert await scratch.count(scratch.things, scratch.things.c.name == "handled") == 1
    assert await scratch.count(dead, dead.c.replayed_at.is_not(None)) == 1
    assert await replay_dead_letter(consumer, row.id) is False
    assert await consumer.handle(event) is False
    assert await scratch.count(scratch.things, scratch.things.c.name == "handled") == 1
