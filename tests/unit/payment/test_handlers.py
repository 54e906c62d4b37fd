"""Payment's handler table: booking events reach their use cases decoded into the booking
contract's classes, and a payload that is not the contract never reaches them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import cast

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from boxoffice.booking.contract import BookingCancelled, BookingCreated, BookingFailed
from boxoffice.kernel.events import Envelope, Event, InconsistentEvent
from boxoffice.kernel.messaging import ServiceStore, UnitOfWork
from boxoffice.payment import store as payment_store
from boxoffice.payment.handlers import event_handlers
from boxoffice.payment.service import PaymentService
from tests.fakes import FakeClock
from tests.fakes_payment import FakeCardProvider


class RecordingPayments(PaymentService):
    seen: list[Event]

    async def on_booking_created(self, uow: UnitOfWork, event: BookingCreated) -> None:
        del uow
        self.seen.append(event)

    async def on_booking_ended(
        self, uow: UnitOfWork, event: BookingFailed | BookingCancelled
    ) -> None:
        del uow
        self.seen.append(event)


@pytest.fixture
async def service() -> AsyncIterator[RecordingPayments]:
    engine = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:9/none")
    svc = RecordingPayments(
        ServiceStore(engine, payment_store.messaging),
        FakeCardProvider(),
        provider_timeout=1,
        clock=FakeClock(),
    )
    svc.seen = []
    yield svc
    await engine.dispose()


async def _deliver(svc: PaymentService, event: Event | Envelope) -> None:
    envelope = event if isinstance(event, Envelope) else Envelope.of(event, producer="booking")
    table = event_handlers(svc)["payment-bookings"]
    await table[envelope.type](cast(UnitOfWork, None), envelope)


async def test_booking_events_reach_the_payment_use_cases_decoded(
    service: RecordingPayments,
) -> None:
    b, u, s = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    events: list[Event] = [
        BookingCreated(b, u, s, "h", 4200, "EUR", "card", "tok_success"),
        BookingFailed(b, u, s, "h", "FAILED", "declined"),
        BookingCancelled(b, u, s, "h", "changed my mind"),
    ]
    for event in events:
        await _deliver(service, event)
    assert service.seen == events
    assert cast(FakeCardProvider, service.provider).charges == [], "nothing charged here"


async def test_a_booking_created_without_a_token_is_inconsistent_and_charges_nothing(
    service: RecordingPayments,
) -> None:
    payload = BookingCreated("b", "u", "s", "h", 4200, "EUR", "card", "tok").payload()
    del payload["payment_token"]
    with pytest.raises(InconsistentEvent, match="payment_token"):
        await _deliver(service, Envelope(BookingCreated.type, payload, "booking"))
    assert service.seen == []
