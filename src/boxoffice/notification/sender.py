"""The mail sender: a job on every notification process that takes the deliveries due (rows
locked with SKIP LOCKED, so replicas share them and never take the same one), counts the
attempt before making it, sends them over one SMTP connection and records each outcome.

A mail not sent for now (server down or slow, 4xx, the catalog unreachable, no address yet)
is tried again after mail_retry_seconds, doubled at each attempt up to an hour; after
mail_max_attempts it is `dead`, listed for admins, who can send it again. A mail the server
refuses for good (5xx: a bad address, a bounce) is `failed`, with the server's answer.
One delivery per event and user: a repeated event sends nothing twice. The one window for a
second copy is a sender killed after the server took a mail and before it recorded so; the
copy has the same Message-ID, so receivers can tell."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from email.message import EmailMessage

from boxoffice.kernel.db import utcnow
from boxoffice.kernel.messaging import ServiceStore
from boxoffice.kernel.telemetry import MAIL
from boxoffice.notification import store
from boxoffice.notification.compose import Composer
from boxoffice.notification.mail import Mailer, MailRefused
from boxoffice.notification.store import DEAD, FAILED, PENDING, SENT, Delivery

log = logging.getLogger(__name__)

# While a sender holds a batch, nobody else takes it; a sender that dies leaves it due again
# this much later.
SENDING_LEASE = timedelta(minutes=2)
MAX_BACKOFF = 3600.0


class MailSender:
    def __init__(
        self,
        store: ServiceStore,
        mailer: Mailer,
        composer: Composer,
        *,
        retry_seconds: float,
        max_attempts: int,
        batch: int = 50,
    ) -> None:
        self.store = store
        self.mailer = mailer
        self.composer = composer
        self.retry_seconds = retry_seconds
        self.max_attempts = max_attempts
        self.batch = batch

    def backoff(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.retry_seconds * 2 ** (attempts - 1), MAX_BACKOFF))

    async def send_due(self) -> int:
        """Send what is due, batch after batch while there is more; how many were sent."""
        sent = 0
        while True:
            made, taken = await self._batch()
            sent += made
            if taken < self.batch:
                return sent

    async def _batch(self) -> tuple[int, int]:
        async with self.store.uow() as uow:
            due = await store.claim_due(uow.conn, "email", self.batch, SENDING_LEASE)
        if not due:
            return 0, 0
        ready: list[tuple[Delivery, EmailMessage]] = []
        outcomes: list[tuple[Delivery, Exception | None, str | None]] = []
        for d in due:
            try:
                message = await self.composer.build(d)
            except Exception as err:  # deferred (no address yet, catalog down) or a bug
                outcomes.append((d, err, None))
                continue
            ready.append((d, message))
        if ready:
            answers = await self.mailer.send([m for _, m in ready])
            outcomes += [
                (d, answer, str(m["Subject"]))
                for (d, m), answer in zip(ready, answers, strict=True)
            ]
        sent = 0
        async with self.store.uow() as uow:
            for d, outcome, subject in outcomes:
                state, error, again = self._next(d, outcome)
                await store.finish(
                    uow.conn, d.id, state, error=error, subject=subject, next_attempt_at=again
                )
                MAIL.labels(d.kind, "deferred" if state == PENDING else state).inc()
                sent += state == SENT
                if state in (FAILED, DEAD):
                    log.warning("mail %s (%s) is %s: %s", d.id, d.kind, state, error)
        return sent, len(due)

    def _next(
        self, d: Delivery, outcome: Exception | None
    ) -> tuple[str, str | None, datetime | None]:
        if outcome is None:
            return SENT, None, None
        error = f"{type(outcome).__name__}: {outcome}"[:2000]
        if isinstance(outcome, MailRefused):
            return FAILED, error, None
        if d.attempts >= self.max_attempts:
            return DEAD, error, None
        return PENDING, error, utcnow() + self.backoff(d.attempts)
