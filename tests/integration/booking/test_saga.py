"""The booking saga against real PostgreSQL (a database of this module's own), with a scripted
inventory: no lock is held while another service is called, events that do not add up are
parked, a cancelled show confirms nothing, a full refund cancels the booking."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.booking import store as booking_store
from boxoffice.booking.domain import ShowCancelled, Status
from boxoffice.booking.handlers import event_handlers
from boxoffice.booking.service import BookingService
from boxoffice.inventory.contract import HeldSeat, HoldView
from boxoffice.kernel.auth import Principal
from boxoffice.kernel.events import Envelope
from boxoffice.kernel.messaging import Consumer, ServiceStore
from tests.fakes import FakeClock, FakeDelivery

pytestmark = pytest.mark.integration

CUSTOMER = Principal(uuid.uuid4(), frozenset({"customer"}))


@dataclass
class ScriptedInventory:
    """Inventory's contract; each call first runs the probe a test sets, while the booking
    service waits for the answer."""

    engine: AsyncEngine
    sell_answer: bool = True
    probe: Any = None
    calls: list[str] = field(default_factory=list)

    async def attach_hold(
        self, hold_id: str, user_id: uuid.UUID, booking_id: uuid.UUID, extend_seconds: float
    ) -> HoldView:
        del extend_seconds
        self.calls.append("attach")
        if self.probe is not None:
            await self.probe(booking_id)
        show_id = uuid.UUID(hold_id.split(".")[0])
        return HoldView(
            hold_id=hold_id,
            show_id=show_id,
            user_id=user_id,
            expires_at=datetime.now(UTC) + timedelta(minutes=5),
            currency="EUR",
            seats=[HeldSeat(1, "A1", "Stalls", "A", "standard", 4200)],
            areas=[],
            show_title="Saga test",
            show_starts_at=datetime.now(UTC) + timedelta(days=2),
            time_zone="Europe/Vienna",
        )

    async def sell_hold(self, hold_id: str, booking_id: uuid.UUID) -> bool:
        del hold_id
        self.calls.append("sell")
        if self.probe is not None:
            await self.probe(booking_id)
        return self.sell_answer


@dataclass
class Saga:
    svc: BookingService
    inventory: ScriptedInventory
    engine: AsyncEngine
    clock: FakeClock

    async def book(self, show_id: uuid.UUID | None = None) -> tuple[uuid.UUID, uuid.UUID]:
        show_id = show_id or uuid.uuid4()
        hold_id = f"{show_id.hex}.{uuid.uuid4().hex[:16]}"
        _, answer = await self.svc.create(CUSTOMER, hold_id, "card", "tok_success", None)
        return uuid.UUID(answer["booking_id"]), show_id

    def consumer(self, event_type: str) -> Consumer:
        """A consumer of this event type from the service's handler tables."""
        [handlers] = [t for t in event_handlers(self.svc).values() if event_type in t]
        name = f"it-{uuid.uuid4().hex[:8]}"
        return Consumer(self.svc.store, name, handlers, max_deliveries=5)

    async def deliver(self, event_type: str, payload: dict[str, Any]) -> FakeDelivery:
        fake = FakeDelivery(envelope=Envelope(type=event_type, payload=payload, producer="test"))
        await self.consumer(event_type).deliver(fake.delivery())
        return fake

    async def paid(self, booking_id: uuid.UUID, amount: int = 4200) -> FakeDelivery:
        return await self.deliver(
            "payment.payment.completed",
            {
                "payment_id": str(uuid.uuid4()),
                "booking_id": str(booking_id),
                "amount": amount,
                "currency": "EUR",
            },
        )

    async def booking(self, booking_id: uuid.UUID) -> dict[str, Any]:
        return dataclasses.asdict(await self.svc.get(CUSTOMER, booking_id))

    async def dead_letters(self) -> list[Any]:
        table = booking_store.messaging.dead_letters
        async with self.engine.connect() as conn:
            return list((await conn.execute(sa.select(table))).all())


@pytest.fixture
async def saga(own_engine: AsyncEngine) -> AsyncIterator[Saga]:
    inventory = ScriptedInventory(own_engine)
    clock = FakeClock(at=datetime.now(UTC))
    svc = BookingService(
        ServiceStore(own_engine, booking_store.messaging),
        inventory,
        None,  # type: ignore[arg-type]  # the catalog is not asked in these tests
        payment_timeout=600,
        ticket_secret=b"integration",
        clock=clock,
    )
    yield Saga(svc, inventory, own_engine, clock)


async def _row_is_free(engine: AsyncEngine, booking_id: uuid.UUID) -> None:
    """Fails if another transaction holds the booking's row lock (NOWAIT: no waiting)."""
    async with engine.begin() as conn:
        await conn.execute(
            sa.select(booking_store.bookings.c.id)
            .where(booking_store.bookings.c.id == booking_id)
            .with_for_update(nowait=True)
        )


async def test_no_transaction_is_open_while_a_hold_is_attached(saga: Saga) -> None:
    seen: list[int] = []

    async def probe(_: uuid.UUID) -> None:
        seen.append(saga.engine.pool.checkedout())  # type: ignore[attr-defined]

    saga.inventory.probe = probe
    booking_id, _ = await saga.book()
    assert seen == [0], "attach_hold was called with a database connection in use"
    booking = await saga.booking(booking_id)
    assert (booking["status"], booking["total"], booking["show_time_zone"]) == (
        "PENDING",
        4200,
        "Europe/Vienna",
    )


async def test_no_lock_on_the_booking_is_held_while_inventory_sells(saga: Saga) -> None:
    booking_id, _ = await saga.book()

    async def probe(booked: uuid.UUID) -> None:
        await _row_is_free(saga.engine, booked)

    saga.inventory.probe = probe
    delivery = await saga.paid(booking_id)
    assert (delivery.acks, delivery.retries) == (1, [])
    booking = await saga.booking(booking_id)
    assert booking["status"] == "CONFIRMED", booking
    assert len(booking["tickets"]) == 1


async def test_a_batch_of_payments_that_fails_half_way_confirms_each_booking_once(
    saga: Saga,
) -> None:
    """Four payments arrive in one batch; inventory fails on the third while the first two are
    already written in the batch's transaction. Everything rolls back, each payment then goes
    alone: every booking ends CONFIRMED with one ticket and one confirmation, none refunded."""
    booked = [(await saga.book())[0] for _ in range(4)]
    failed: list[uuid.UUID] = []

    async def probe(booking_id: uuid.UUID) -> None:
        if booking_id == booked[2] and not failed:
            failed.append(booking_id)
            raise ConnectionError("inventory is restarting")

    saga.inventory.probe = probe
    consumer = saga.consumer("payment.payment.completed")
    fakes = [
        FakeDelivery(
            envelope=Envelope(
                type="payment.payment.completed",
                payload={
                    "payment_id": str(uuid.uuid4()),
                    "booking_id": str(b),
                    "amount": 4200,
                    "currency": "EUR",
                },
                producer="test",
            )
        )
        for b in booked
    ]
    await consumer.deliver_all([f.delivery() for f in fakes])
    assert failed == [booked[2]], "the batch did fail half-way"
    assert [(f.acks, f.retries) for f in fakes] == [(1, [])] * 4
    for booking_id in booked:
        booking = await saga.booking(booking_id)
        assert booking["status"] == "CONFIRMED", booking
        assert len(booking["tickets"]) == 1
    outbox = booking_store.messaging.outbox
    async with saga.engine.connect() as conn:
        kinds = (await conn.execute(sa.select(outbox.c.type, outbox.c.envelope))).all()
        steps = (
            await conn.execute(
                sa.select(booking_store.saga_steps.c.step).where(
                    booking_store.saga_steps.c.booking_id.in_(booked)
                )
            )
        ).scalars()
    ours = {str(b) for b in booked}
    about = [
        (t, e["payload"]["booking_id"]) for t, e in kinds if e["payload"].get("booking_id") in ours
    ]
    assert sorted(b for t, b in about if t == "booking.booking.confirmed") == sorted(ours)
    assert {t for t, _ in about} == {"booking.booking.created", "booking.booking.confirmed"}
    assert sorted(steps).count("tickets_issued") == 4


async def test_a_payment_that_does_not_pay_the_booking_is_parked_and_confirms_nothing(
    saga: Saga,
) -> None:
    booking_id, _ = await saga.book()
    delivery = await saga.paid(booking_id, amount=1)
    assert delivery.acks == 1 and delivery.retries == [], "parked at once, not retried"
    parked = [d for d in await saga.dead_letters() if d.event_id == delivery.envelope.id]
    assert len(parked) == 1 and "does not pay booking" in parked[0].error
    assert (await saga.booking(booking_id))["status"] == "PENDING"
    assert saga.inventory.calls == ["attach"], "no seat was sold for it"
    stranger = await saga.paid(uuid.uuid4())
    assert stranger.acks == 1
    assert any(d.event_id == stranger.envelope.id for d in await saga.dead_letters())


async def test_a_show_cancelled_before_the_payment_confirms_no_booking_of_it(saga: Saga) -> None:
    booking_id, show_id = await saga.book()
    await saga.deliver("catalog.show.cancelled", {"show_id": str(show_id), "reason": "storm"})
    cancelled = await saga.booking(booking_id)
    assert cancelled["status"] == "CANCELLED" and "storm" in cancelled["reason"]
    await saga.paid(booking_id)
    assert (await saga.booking(booking_id))["status"] == "CANCELLED"
    assert "sell" not in saga.inventory.calls
    with pytest.raises(ShowCancelled):
        await saga.book(show_id)


async def test_a_cancellation_racing_confirmations_leaves_no_booking_confirmed(
    saga: Saga,
) -> None:
    show_id = uuid.uuid4()
    bookings = [(await saga.book(show_id))[0] for _ in range(6)]

    async def slow_sale(_: uuid.UUID) -> None:
        await asyncio.sleep(0.05)

    saga.inventory.probe = slow_sale
    await asyncio.gather(
        *(saga.paid(b) for b in bookings),
        saga.deliver("catalog.show.cancelled", {"show_id": str(show_id), "reason": "flood"}),
    )
    statuses = {(await saga.booking(b))["status"] for b in bookings}
    assert statuses == {Status.CANCELLED.value}, statuses


async def test_a_full_refund_cancels_the_booking_and_a_partial_one_records_it(
    saga: Saga,
) -> None:
    partial, _ = await saga.book()
    full, _ = await saga.book()
    for booking_id in (partial, full):
        await saga.paid(booking_id)

    def refunded(booking_id: uuid.UUID, amount: int, total: int) -> dict[str, Any]:
        return {
            "payment_id": str(uuid.uuid4()),
            "booking_id": str(booking_id),
            "user_id": str(CUSTOMER.user_id),
            "amount": amount,
            "currency": "EUR",
            "reason": "goodwill",
            "refunded_total": total,
            "payment_amount": 4200,
        }

    await saga.deliver("payment.payment.refunded", refunded(partial, 1000, 1000))
    kept = await saga.booking(partial)
    assert (kept["status"], kept["refunded"]) == ("CONFIRMED", 1000)
    assert [t["status"] for t in kept["tickets"]] == ["valid"]

    await saga.deliver("payment.payment.refunded", refunded(full, 4200, 4200))
    gone = await saga.booking(full)
    assert (gone["status"], gone["refunded"]) == ("CANCELLED", 4200)
    assert gone["reason"] == "Refunded in full: goodwill"
    assert [t["status"] for t in gone["tickets"]] == ["void"]

    too_much = await saga.deliver("payment.payment.refunded", refunded(partial, 9999, 9999))
    assert any(d.event_id == too_much.envelope.id for d in await saga.dead_letters())
    assert (await saga.booking(partial))["refunded"] == 1000


async def test_a_booking_whose_payment_does_not_answer_in_time_fails_once_overdue(
    saga: Saga,
) -> None:
    booking_id, _ = await saga.book()
    saga.clock.advance(599)
    await saga.svc.expire_overdue(limit=1000)
    assert (await saga.booking(booking_id))["status"] == "PENDING", "not overdue yet"
    saga.clock.advance(2)
    assert await saga.svc.expire_overdue(limit=1000) >= 1
    failed = await saga.booking(booking_id)
    assert failed["status"] == "FAILED" and "within 600 seconds" in failed["reason"]
    assert [s["step"] for s in failed["steps"]][-1] == "failed"
