"""Unit of work with a transactional outbox, the outbox relay, and idempotent event consumers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from boxoffice.kernel.bus import Delivery, EventBus
from boxoffice.kernel.config import default
from boxoffice.kernel.db import messaging_tables, utcnow
from boxoffice.kernel.events import Envelope, Event, InconsistentEvent
from boxoffice.kernel.telemetry import (
    BATCHES,
    DEAD_LETTERS,
    EVENTS_HANDLED,
    OUTBOX_BACKLOG,
    RELAY_LAG,
    STORE_LATENCY,
    extract_trace,
    timed,
    tracer,
)

log = logging.getLogger(__name__)


class Messaging:
    """The messaging tables of one service's schema."""

    def __init__(self, metadata: sa.MetaData) -> None:
        assert metadata.schema, "each service keeps its tables in its own schema"
        self.metadata = metadata
        self.schema: str = metadata.schema
        self.outbox, self.inbox, self.dead_letters, self.idempotency = messaging_tables(metadata)


class UnitOfWork:
    """One transaction of one service. Events collected during it are written to the outbox in
    the same commit; the transaction commits when the block exits without an exception."""

    def __init__(
        self, engine: AsyncEngine, messaging: Messaging, producer: str, wake: asyncio.Event | None
    ) -> None:
        self._engine = engine
        self._messaging = messaging
        self._producer = producer
        self._wake = wake
        self._conn: AsyncConnection | None = None
        self.correlation_id = ""
        # The event being handled, where a consumer runs this unit of work (a key for what
        # its handler records once per event).
        self.event_id: uuid.UUID | None = None
        self.event_at: datetime | None = None  # when it occurred
        self.events: list[Envelope] = []
        self.after_commit: list[Callable[[], Awaitable[None]]] = []

    @property
    def conn(self) -> AsyncConnection:
        assert self._conn is not None, "unit of work used outside its 'async with' block"
        return self._conn

    def then(self, action: Callable[[], object]) -> None:
        """Run a side effect (a metric, a cache drop) only once the transaction committed."""

        async def run() -> None:
            action()

        self.after_commit.append(run)

    def emit(self, event: Event) -> Envelope:
        envelope = Envelope.of(event, producer=self._producer, correlation_id=self.correlation_id)
        self.events.append(envelope)
        return envelope

    async def execute(self, statement: Any, *args: Any) -> sa.CursorResult[Any]:
        result: sa.CursorResult[Any] = await self.conn.execute(statement, *args)
        return result

    async def __aenter__(self) -> UnitOfWork:
        self._conn = await self._engine.connect()
        await self._conn.begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn = self.conn
        try:
            if exc_type is None:
                if self.events:
                    now = utcnow()
                    await conn.execute(
                        sa.insert(self._messaging.outbox),
                        [
                            {"id": e.id, "type": e.type, "envelope": e.to_dict(), "created_at": now}
                            for e in self.events
                        ],
                    )
                with timed(STORE_LATENCY.labels("postgres", "commit")):
                    await conn.commit()
            else:
                await conn.rollback()
        finally:
            await conn.close()
            self._conn = None
        if exc_type is None:
            if self.events and self._wake is not None:
                self._wake.set()
            for callback in self.after_commit:
                await callback()


class ServiceStore:
    """What a service needs to run transactions: its engine, its schema's messaging tables and
    the relay's wake-up signal."""

    def __init__(self, engine: AsyncEngine, messaging: Messaging) -> None:
        self.engine = engine
        self.messaging = messaging
        self.name = self.messaging.schema
        self.wake = asyncio.Event()

    def uow(self, correlation_id: str = "") -> UnitOfWork:
        uow = UnitOfWork(self.engine, self.messaging, self.name, self.wake)
        uow.correlation_id = correlation_id
        return uow


class OutboxRelay:
    """Publishes a service's outbox rows to the bus, at least once, in commit order.
    Several replicas may run it: SKIP LOCKED keeps them off each other's rows."""

    def __init__(self, store: ServiceStore, bus: EventBus, *, idle_poll: float = 0.5) -> None:
        self._store = store
        self._bus = bus
        self._idle_poll = idle_poll

    async def publish_pending(self, limit: int = 200) -> int:
        outbox = self._store.messaging.outbox
        async with self._store.engine.begin() as conn:
            rows = (
                await conn.execute(
                    sa.select(outbox.c.seq, outbox.c.envelope, outbox.c.created_at)
                    .where(outbox.c.published_at.is_(None))
                    .order_by(outbox.c.seq)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            lag = RELAY_LAG.labels(self._store.name)
            latency = STORE_LATENCY.labels("nats", "publish")

            async def publish(envelope: Envelope) -> None:
                with timed(latency):
                    await self._bus.publish(envelope)

            # All at once: JetStream keeps the order they are sent in, and waiting for each
            # acknowledgement in turn capped a relay at one event per round trip.
            await asyncio.gather(*(publish(Envelope.from_dict(r.envelope)) for r in rows))
            now = utcnow()
            for row in rows:
                lag.observe((now - row.created_at).total_seconds())
            await conn.execute(
                sa.update(outbox)
                .where(outbox.c.seq.in_([r.seq for r in rows]))
                .values(published_at=utcnow())
            )
        return len(rows)

    async def backlog(self) -> int:
        outbox = self._store.messaging.outbox
        async with self._store.engine.connect() as conn:
            count = await conn.scalar(
                sa.select(sa.func.count()).where(outbox.c.published_at.is_(None))
            )
        OUTBOX_BACKLOG.labels(self._store.name).set(count or 0)
        return int(count or 0)

    async def run(self) -> None:
        wake = self._store.wake
        measured = 0.0
        while True:
            if asyncio.get_running_loop().time() - measured > 5:
                measured = asyncio.get_running_loop().time()
                with contextlib.suppress(Exception):
                    await self.backlog()
            # Clear before looking: a commit that lands during the look then still wakes the wait.
            wake.clear()
            try:
                published = await self.publish_pending()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay of %s failed; retrying", self._store.name)
                await asyncio.sleep(1.0)
                continue
            if published:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=self._idle_poll)


EventHandler = Callable[[UnitOfWork, Envelope], Awaitable[None]]
E = TypeVar("E", bound=Event)


class HandlerTable(dict[str, EventHandler]):
    """A consumer's handlers keyed by event class: each one gets its event decoded and checked
    against the contract (`Event.decode`), so a payload that is not the contract is parked as
    inconsistent before any handler reads it.

        HandlerTable().on(PaymentCompleted, svc.on_payment_completed).on(PaymentFailed, ...)
    """

    def on(
        self, event: type[E], handler: Callable[[UnitOfWork, E], Awaitable[None]]
    ) -> HandlerTable:
        async def decoded(uow: UnitOfWork, envelope: Envelope) -> None:
            await handler(uow, event.decode(envelope))

        self[event.type] = decoded
        return self


class Consumer:
    """Feeds events of the given types to one handler, exactly once in effect: the event id is
    recorded in the service's inbox in the handler's own transaction. A failing handler is retried
    with backoff and, after max_deliveries, parked in the dead-letter table."""

    def __init__(
        self,
        store: ServiceStore,
        name: str,
        handlers: dict[str, EventHandler],
        *,
        max_deliveries: int = default("consumer_max_deliveries"),
        backoff: float = default("consumer_backoff_seconds"),
    ) -> None:
        self.store = store
        self.name = name
        self.handlers = handlers
        self.max_deliveries = max_deliveries
        self.backoff = backoff

    async def start(self, bus: EventBus) -> None:
        await bus.subscribe(
            self.name, list(self.handlers), self.deliver_all, max_deliveries=self.max_deliveries
        )

    async def deliver_all(self, deliveries: list[Delivery]) -> None:
        """A batch of deliveries: all in one transaction and one commit; if that fails, each
        one on its own (so one bad event cannot hold the others back, and it alone is retried
        and in the end parked)."""
        if len(deliveries) > 1:
            try:
                await self.handle_all([d.envelope for d in deliveries])
            except Exception as exc:
                BATCHES.labels(self.name, "split").inc()
                log.info(
                    "a batch of %d events for %s failed (%r); handling them one at a time",
                    len(deliveries),
                    self.name,
                    exc,
                )
            else:
                BATCHES.labels(self.name, "committed").inc()
                await asyncio.gather(*(d.ack() for d in deliveries))
                return
        await asyncio.gather(*(self.deliver(d) for d in deliveries))

    async def handle_all(self, envelopes: list[Envelope]) -> int:
        """Process events in one transaction: one inbox insert for all of them, then each new
        one's handler in turn, then one outbox write and one commit. Returns how many were new;
        any exception rolls back the whole batch."""
        unique = list({e.id: e for e in envelopes}.values())
        inbox = self.store.messaging.inbox
        now = utcnow()
        async with self.store.uow() as uow:
            new = set(
                (
                    await uow.execute(
                        pg_insert(inbox)
                        .values(
                            [
                                {"consumer": self.name, "event_id": e.id, "processed_at": now}
                                for e in unique
                            ]
                        )
                        .on_conflict_do_nothing()
                        .returning(inbox.c.event_id)
                    )
                ).scalars()
            )
            for envelope in unique:
                if envelope.id not in new:
                    continue
                handler = self.handlers.get(envelope.type)
                if handler is None:
                    continue
                uow.correlation_id = envelope.correlation_id or str(envelope.id)
                uow.event_id, uow.event_at = envelope.id, envelope.occurred_at
                with self._span(envelope):
                    await handler(uow, envelope)
        for envelope in unique:
            outcome = "processed" if envelope.id in new else "duplicate"
            EVENTS_HANDLED.labels(self.name, envelope.type, outcome).inc()
        return len(new)

    def _span(self, envelope: Envelope) -> contextlib.AbstractContextManager[Any]:
        """The handler's span continues the trace of whatever emitted the event."""
        return tracer.start_as_current_span(
            f"consume {envelope.type}",
            context=extract_trace(envelope.trace),
            attributes={"messaging.consumer": self.name, "messaging.event_id": str(envelope.id)},
        )

    async def handle(self, envelope: Envelope) -> bool:
        """Process one event in one transaction; False if it had been processed before."""
        handler = self.handlers.get(envelope.type)
        inbox = self.store.messaging.inbox
        with self._span(envelope):
            async with self.store.uow(envelope.correlation_id or str(envelope.id)) as uow:
                uow.event_id, uow.event_at = envelope.id, envelope.occurred_at
                first = await uow.execute(
                    pg_insert(inbox)
                    .values(consumer=self.name, event_id=envelope.id, processed_at=utcnow())
                    .on_conflict_do_nothing()
                    .returning(inbox.c.event_id)
                )
                if first.first() is None:
                    EVENTS_HANDLED.labels(self.name, envelope.type, "duplicate").inc()
                    return False
                if handler is not None:
                    await handler(uow, envelope)
        EVENTS_HANDLED.labels(self.name, envelope.type, "processed").inc()
        return True

    async def deliver(self, delivery: Delivery) -> None:
        envelope = delivery.envelope
        try:
            await self.handle(envelope)
        except Exception as exc:
            EVENTS_HANDLED.labels(self.name, envelope.type, "failed").inc()
            if isinstance(exc, InconsistentEvent) or delivery.attempt >= self.max_deliveries:
                log.error(
                    "parking event %s %s for %s after %d deliveries: %r",
                    envelope.type,
                    envelope.id,
                    self.name,
                    delivery.attempt,
                    exc,
                )
                await self.park(envelope, exc, delivery.attempt)
                await delivery.ack()
            else:
                log.warning(
                    "handler %s failed on %s (attempt %d): %r",
                    self.name,
                    envelope.id,
                    delivery.attempt,
                    exc,
                )
                delay = self.backoff * 2 ** (delivery.attempt - 1) * (0.5 + random.random())
                await delivery.retry(delay)
            return
        await delivery.ack()

    async def park(self, envelope: Envelope, exc: BaseException, attempts: int) -> None:
        """Keep the event for an operator: one dead letter per consumer and event until it is
        replayed (an event parked again, e.g. republished, adds its deliveries to that one)."""
        DEAD_LETTERS.labels(self.name).inc()
        table = self.store.messaging.dead_letters
        error = f"{type(exc).__name__}: {exc}"[:2000]
        async with self.store.engine.begin() as conn:
            again = await conn.execute(
                sa.update(table)
                .where(
                    table.c.consumer == self.name,
                    table.c.event_id == envelope.id,
                    table.c.replayed_at.is_(None),
                )
                .values(error=error, deliveries=table.c.deliveries + attempts)
                .returning(table.c.id)
            )
            if again.first() is not None:
                return
            await conn.execute(
                sa.insert(table).values(
                    consumer=self.name,
                    event_id=envelope.id,
                    type=envelope.type,
                    envelope=envelope.to_dict(),
                    error=error,
                    deliveries=attempts,
                    created_at=utcnow(),
                )
            )


async def replay_dead_letter(consumer: Consumer, dead_letter_id: int) -> bool:
    """Run a parked event through its consumer again; True if it now went through."""
    table = consumer.store.messaging.dead_letters
    async with consumer.store.engine.connect() as conn:
        row = (
            await conn.execute(
                sa.select(table).where(table.c.id == dead_letter_id, table.c.replayed_at.is_(None))
            )
        ).first()
    if row is None:
        return False
    await consumer.handle(Envelope.from_dict(row.envelope))
    async with consumer.store.engine.begin() as conn:
        await conn.execute(
            sa.update(table).where(table.c.id == dead_letter_id).values(replayed_at=utcnow())
        )
    return True


@asynccontextmanager
async def running(tasks: list[asyncio.Task[Any]]) -> AsyncIterator[None]:
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
