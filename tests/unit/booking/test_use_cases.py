"""Booking use cases over fakes of the catalog and inventory clients: who sees a show's sales,
and which contract events reach which saga step (decoded, checked, or parked)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import cast

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from boxoffice.booking import store as booking_store
from boxoffice.booking.handlers import event_handlers
from boxoffice.booking.service import BookingService
from boxoffice.catalog.contract import ShowCancelled, ShowLayout
from boxoffice.inventory.contract import HoldView
from boxoffice.kernel.auth import Principal
from boxoffice.kernel.errors import Forbidden
from boxoffice.kernel.events import Envelope, Event, InconsistentEvent
from boxoffice.kernel.messaging import ServiceStore, UnitOfWork
from boxoffice.payment.contract import PaymentCompleted, PaymentFailed, PaymentRefunded
from tests.fakes import FakeClock


@dataclass
class FakeCatalog:
    owners: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    asked: list[uuid.UUID] = field(default_factory=list)

    async def show_layout(self, show_id: uuid.UUID) -> ShowLayout:
        raise AssertionError(f"booking never asks for a layout ({show_id})")

    async def show_owner(self, show_id: uuid.UUID) -> uuid.UUID:
        self.asked.append(show_id)
        return self.owners[show_id]


@dataclass
class FakeInventory:
    calls: list[str] = field(default_factory=list)

    async def attach_hold(
        self, hold_id: str, user_id: uuid.UUID, booking_id: uuid.UUID, extend_seconds: float
    ) -> HoldView:
        del user_id, booking_id, extend_seconds
        raise AssertionError(f"no hold is attached in these tests ({hold_id})")

    async def sell_hold(self, hold_id: str, booking_id: uuid.UUID) -> bool:
        del booking_id
        self.calls.append(hold_id)
        return True


class RecordingBooking(BookingService):
    """The real service, its saga steps recording the events they are given."""

    seen: list[Event]

    async def on_payment_completed(self, uow: UnitOfWork, event: PaymentCompleted) -> None:
        del uow
        self.seen.append(event)

    async def on_payment_failed(self, uow: UnitOfWork, event: PaymentFailed) -> None:
        del uow
        self.seen.append(event)

    async def on_payment_refunded(self, uow: UnitOfWork, event: PaymentRefunded) -> None:
        del uow
        self.seen.append(event)

    async def on_show_cancelled(self, uow: UnitOfWork, event: ShowCancelled) -> None:
        del uow
        self.seen.append(event)


@pytest.fixture
async def service() -> AsyncIterator[RecordingBooking]:
    # An engine on no server: these use cases must not reach the database.
    engine = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:9/none")
    svc = RecordingBooking(
        ServiceStore(engine, booking_store.messaging),
        FakeInventory(),
        FakeCatalog(),
        payment_timeout=600,
        ticket_secret=b"unit",
        clock=FakeClock(),
    )
    svc.seen = []
    yield svc
    await engine.dispose()


async def test_only_the_shows_organizer_or_an_admin_sees_its_sales(
    service: RecordingBooking,
) -> None:
    show, organizer = uuid.uuid4(), uuid.uuid4()
    catalog = cast(FakeCatalog, service.catalog)
    catalog.owners[show] = organizer
    stranger = Principal(uuid.uuid4(), frozenset({"organizer"}))
    with pytest.raises(Forbidden):
        await service.sales(stranger, show)
    assert catalog.asked == [show]


async def _deliver(svc: BookingService, event_type: str, payload: dict[str, object]) -> None:
    [table] = [t for t in event_handlers(svc).values() if event_type in t]
    envelope = Envelope(type=event_type, payload=payload, producer="test")
    await table[event_type](cast(UnitOfWork, None), envelope)


async def test_each_contract_event_reaches_its_saga_step_decoded(
    service: RecordingBooking,
) -> None:
    booking, payment = uuid.uuid4(), uuid.uuid4()
    await _deliver(
        service,
        PaymentCompleted.type,
        {"payment_id": str(payment), "booking_id": str(booking), "amount": 4200, "currency": "EUR"},
    )
    await _deliver(
        service,
        PaymentFailed.type,
        {"payment_id": str(payment), "booking_id": str(booking), "reason": "declined"},
    )
    await _deliver(service, ShowCancelled.type, {"show_id": str(booking), "reason": "storm"})
    assert service.seen == [
        PaymentCompleted(str(payment), str(booking), 4200, "EUR"),
        PaymentFailed(str(payment), str(booking), "declined"),
        ShowCancelled(str(booking), "storm"),
    ]


@pytest.mark.parametrize(
    "payload",
    [
        {"payment_id": "p", "booking_id": "b", "currency": "EUR"},  # no amount
        {"payment_id": "p", "booking_id": "b", "amount": "4200", "currency": "EUR"},
    ],
)
async def test_a_payment_that_is_not_the_contract_is_inconsistent_before_the_saga_sees_it(
    service: RecordingBooking, payload: dict[str, object]
) -> None:
    with pytest.raises(InconsistentEvent):
        await _deliver(service, PaymentCompleted.type, payload)
    assert service.seen == []
