"""The senders of mail and SMS: a job per channel on every notification process that takes
the deliveries due (rows locked with SKIP LOCKED, so replicas share them and never take the
same one), counts the attempt before making it, sends them (mail over one SMTP connection a
batch, SMS one provider call each) and records each outcome.

A mail not sent for now (server down or slow, 4xx, the catalog unreachable, no address yet)
is tried again after mail_retry_seconds, doubled at each attempt up to an hour; after
mail_max_attempts it is `dead`, listed for admins, who can send it again. A mail the server
refuses for good (5xx: a bad address, a bounce) is `failed`, with the server's answer.
One delivery per event and user: a repeated event sends nothing twice. The one window for a
second copy is a sender killed after the server took a mail and before it recorded so; the
copy has the same Message-ID, so receivers can tell."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any, Protocol

from boxoffice.kernel.db import utcnow
from boxoffice.kernel.messaging import ServiceStore
from boxoffice.kernel.telemetry import MAIL
from boxoffice.notification import store
from boxoffice.notification.compose import Composer, SmsComposer
from boxoffice.notification.mail import Mailer, MailRefused
from boxoffice.notification.sms import Sms, SmsProvider
from boxoffice.notification.store import DEAD, FAILED, PENDING, SENT, Delivery

log = logging.getLogger(__name__)

# While a sender holds a batch, nobody else takes it; a sender that dies leaves it due again
# this much later.
SENDING_LEASE = timedelta(minutes=2)
MAX_BACKOFF = 3600.0
# An on-sale: more than RUSH deliveries of the channel made in the last RUSH_WINDOW. Then each
# sender sends only RUSH_BATCH a tick, leaving the cores to the sale (a confirmation's PDF
# costs about as much CPU as half a booking), and catches up at full speed once it is over.
RUSH = 200
RUSH_WINDOW = timedelta(seconds=10)
RUSH_BATCH = 5


class Channel(Protocol):
    name: str  # the deliveries' channel

    async def build(self, d: Delivery) -> Any: ...

    def subject(self, message: Any) -> str: ...

    async def send(self, messages: Sequence[Any]) -> Sequence[Exception | str | None]: ...


class EmailChannel:
    name = "email"

    def __init__(self, composer: Composer, mailer: Mailer) -> None:
        self.composer = composer
        self.mailer = mailer

    async def build(self, d: Delivery) -> EmailMessage:
        return await self.composer.build(d)

    def subject(self, message: EmailMessage) -> str:
        return str(message["Subject"])

    async def send(self, messages: Sequence[EmailMessage]) -> Sequence[Exception | None]:
        return await self.mailer.send(messages)


class SmsChannel:
    name = "sms"

    def __init__(self, composer: SmsComposer, provider: SmsProvider) -> None:
        self.composer = composer
        self.provider = provider

    async def build(self, d: Delivery) -> Sms:
        return await self.composer.build(d)

    def subject(self, message: Sms) -> str:
        return message.body[:120]

    async def send(self, messages: Sequence[Sms]) -> Sequence[Exception | str | None]:
        return await self.provider.send(messages)


class Sender:
    def __init__(
        self,
        store: ServiceStore,
        channel: Channel,
        *,
        retry_seconds: float,
        max_attempts: int,
        batch: int = 50,
    ) -> None:
        self.store = store
        self.channel = channel
        self.retry_seconds = retry_seconds
        self.max_attempts = max_attempts
        self.batch = batch

    def backoff(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.retry_seconds * 2 ** (attempts - 1), MAX_BACKOFF))

    async def send_due(self) -> int:
        """Send what is due, batch after batch while there is more (one small batch a tick
        during an on-sale); how many were sent."""
        async with self.store.engine.connect() as conn:
            made = await store.made_since(conn, self.channel.name, utcnow() - RUSH_WINDOW, RUSH)
        if made >= RUSH:
            return (await self._batch(RUSH_BATCH))[0]
        sent = 0
        while True:
            made, taken = await self._batch(self.batch)
            sent += made
            if taken < self.batch:
                return sent

    async def _batch(self, size: int) -> tuple[int, int]:
        async with self.store.uow() as uow:
            due = await store.claim_due(uow.conn, self.channel.name, size, SENDING_LEASE)
        if not due:
            return 0, 0
        ready: list[tuple[Delivery, Any]] = []
        outcomes: list[tuple[Delivery, Exception | str | None, str | None]] = []
        for d in due:
            try:
                message = await self.channel.build(d)
            except Exception as err:  # deferred (no address yet, catalog down) or a bug
                outcomes.append((d, err, None))
                continue
            ready.append((d, message))
        if ready:
            answers = await self.channel.send([m for _, m in ready])
            outcomes += [
                (d, answer, self.channel.subject(m))
                for (d, m), answer in zip(ready, answers, strict=True)
            ]
        sent = 0
        async with self.store.uow() as uow:
            for d, outcome, subject in outcomes:
                state, error, again = self._next(d, outcome)
                await store.finish(
                    uow.conn,
                    d.id,
                    state,
                    error=error,
                    subject=subject,
                    next_attempt_at=again,
                    provider_id=outcome if isinstance(outcome, str) else None,
                )
                MAIL.labels(d.kind, "deferred" if state == PENDING else state).inc()
                sent += state == SENT
                if state in (FAILED, DEAD):
                    log.warning(
                        "%s %s (%s) is %s: %s", self.channel.name, d.id, d.kind, state, error
                    )
        return sent, len(due)

    def _next(
        self, d: Delivery, outcome: Exception | str | None
    ) -> tuple[str, str | None, datetime | None]:
        if not isinstance(outcome, Exception):
            return SENT, None, None
        error = f"{type(outcome).__name__}: {outcome}"[:2000]
        if isinstance(outcome, MailRefused):
            return FAILED, error, None
        if d.attempts >= self.max_attempts:
            return DEAD, error, None
        return PENDING, error, utcnow() + self.backoff(d.attempts)
