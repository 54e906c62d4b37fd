"""Refunds against real PostgreSQL (a database of this module's own): recorded before the
provider is asked, asked with no lock held, asked again when the provider did not answer."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.kernel.auth import Principal
from boxoffice.kernel.events import Envelope
from boxoffice.kernel.messaging import Consumer, ServiceStore
from boxoffice.payment import service as payment_service
from boxoffice.payment import store as payment_store
from boxoffice.payment.handlers import event_handlers
from boxoffice.payment.provider import MockCardProvider
from boxoffice.payment.service import PaymentService

pytestmark = pytest.mark.integration

ADMIN = Principal(uuid.uuid4(), frozenset({"admin"}))


@dataclass
class WatchedProvider(MockCardProvider):
    """The mock provider, looking at our database while it is asked for money back."""

    engine: AsyncEngine | None = None
    fail_next: int = 0
    seen: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(slow_seconds=0)

    async def refund(self, refund_id: str, payment_id: str, amount: int) -> str:
        assert self.engine is not None
        async with self.engine.begin() as conn:
            recorded = (
                await conn.execute(
                    sa.select(payment_store.refunds.c.status, payment_store.refunds.c.amount).where(
                        payment_store.refunds.c.id == uuid.UUID(refund_id)
                    )
                )
            ).first()
            # NOWAIT: fails at once if the service holds the payment's row lock meanwhile.
            await conn.execute(
                sa.select(payment_store.payments.c.id)
                .where(payment_store.payments.c.id == uuid.UUID(payment_id))
                .with_for_update(nowait=True)
            )
        self.seen.append({"recorded": recorded and tuple(recorded), "amount": amount})
        if self.fail_next:
            self.fail_next -= 1
            raise ConnectionError("the provider is unreachable")
        return await super().refund(refund_id, payment_id, amount)


@pytest.fixture
async def payments(
    own_engine: AsyncEngine,
) -> AsyncIterator[tuple[PaymentService, WatchedProvider]]:
    provider = WatchedProvider(engine=own_engine)
    svc = PaymentService(
        ServiceStore(own_engine, payment_store.messaging), provider, provider_timeout=5
    )
    yield svc, provider
    await svc.stop()


async def _captured(svc: PaymentService, amount: int = 8400) -> uuid.UUID:
    booking_id = uuid.uuid4()
    event = Envelope(
        type="booking.booking.created",
        payload={
            "booking_id": str(booking_id),
            "user_id": str(uuid.uuid4()),
            "show_id": str(uuid.uuid4()),
            "hold_id": "h",
            "amount": amount,
            "currency": "EUR",
            "payment_method": "card",
            "payment_token": "tok_success",
        },
        producer="booking",
    )
    await Consumer(svc.store, "it-pay", event_handlers(svc)["payment-bookings"]).handle(event)
    payments = payment_store.payments
    for _ in range(200):
        async with svc.store.engine.connect() as conn:
            row = (
                await conn.execute(sa.select(payments).where(payments.c.booking_id == booking_id))
            ).one()
        if row.status == "captured":
            return uuid.UUID(str(row.id))
        await asyncio.sleep(0.02)
    raise AssertionError("the payment was not captured")


async def _refund_events(svc: PaymentService, payment_id: uuid.UUID) -> list[dict[str, Any]]:
    outbox = payment_store.messaging.outbox
    async with svc.store.engine.connect() as conn:
        rows = (
            await conn.execute(
                sa.select(outbox.c.envelope).where(outbox.c.type == "payment.payment.refunded")
            )
        ).all()
    return [
        r.envelope["payload"]
        for r in rows
        if r.envelope["payload"]["payment_id"] == str(payment_id)
    ]


async def test_a_refund_is_written_down_before_the_provider_is_asked_and_no_lock_is_held(
    payments: tuple[PaymentService, WatchedProvider],
) -> None:
    svc, provider = payments
    payment_id = await _captured(svc)
    status, answer = await svc.refund(payment_id, 2400, "a seat with a poor view", ADMIN, None)
    assert status == 200
    assert provider.seen == [{"recorded": ("pending", 2400), "amount": 2400}]
    assert answer["refunded"] == 2400 and answer["status"] == "captured"
    assert [r["status"] for r in answer["refunds"]] == ["succeeded"]
    [event] = await _refund_events(svc, payment_id)
    assert (event["amount"], event["refunded_total"], event["payment_amount"]) == (2400, 2400, 8400)

    _, rest = await svc.refund(payment_id, None, "the show moved", ADMIN, None)
    assert (rest["status"], rest["refunded"]) == ("refunded", 8400)
    totals = [e["refunded_total"] for e in await _refund_events(svc, payment_id)]
    assert sorted(totals) == [2400, 8400]


async def test_a_refund_the_provider_did_not_answer_is_asked_again_and_given_once(
    payments: tuple[PaymentService, WatchedProvider], monkeypatch: pytest.MonkeyPatch
) -> None:
    svc, provider = payments
    payment_id = await _captured(svc)
    provider.fail_next = 1
    _, answer = await svc.refund(payment_id, None, "cancelled by the venue", ADMIN, None)
    assert [r["status"] for r in answer["refunds"]] == ["pending"]
    assert answer["refunded"] == 8400, "the pending refund already counts: nothing more goes back"
    assert await _refund_events(svc, payment_id) == []

    monkeypatch.setattr(payment_service, "REFUND_GRACE", payment_service.timedelta(0))
    monkeypatch.setattr(payment_service, "REFUND_RETRY", payment_service.timedelta(0))
    assert await svc.retry_refunds() == 1
    assert await svc.retry_refunds() == 0, "a refund is given once"
    after = await svc.get(ADMIN, payment_id)
    assert (after.status, after.refunded) == ("refunded", 8400)
    assert [r.status for r in after.refunds] == ["succeeded"]
    assert len(await _refund_events(svc, payment_id)) == 1
