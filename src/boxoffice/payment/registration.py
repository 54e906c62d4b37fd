"""The payment service as the registry knows it (boxoffice.services)."""

from __future__ import annotations

from pathlib import Path

from boxoffice.kernel.registry import Built, Context, Job, ServiceSpec
from boxoffice.payment import api, handlers, store
from boxoffice.payment.provider import MockCardProvider
from boxoffice.payment.service import PaymentService


def build(ctx: Context) -> Built:
    s = ctx.settings
    payment = PaymentService(
        ctx.store,
        MockCardProvider(s.payment_slow_seconds),
        provider_timeout=s.payment_timeout_seconds + 30,
    )
    return Built(
        payment,
        handlers=handlers.event_handlers(payment),
        jobs=(Job("refunds", payment.retry_refunds, every=5.0),),
        resume=payment.resume,
        stop=payment.stop,
    )


SPEC = ServiceSpec(
    name="payment",
    messaging=store.messaging,
    migrations=Path(__file__).resolve().parent / "migrations",
    router=api.router,
    build=build,
)
