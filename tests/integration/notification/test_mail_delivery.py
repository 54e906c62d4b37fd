"""Mail on the real PostgreSQL and a real SMTP server (aiosmtpd on loopback): each event's mail
is recorded once and sent once; a server that is down delays mail and loses none; a refused
address is recorded with the server's answer; a mail that keeps failing becomes a dead letter
an admin can send again; two senders side by side never send the same mail."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.identity.contract import PasswordResetRequested, UserRegistered
from boxoffice.kernel.lifecycle import free_port
from boxoffice.kernel.messaging import ServiceStore
from boxoffice.notification import store
from boxoffice.notification.compose import Composer
from boxoffice.notification.mail import SmtpMailer
from boxoffice.notification.sender import RUSH, RUSH_BATCH, EmailChannel, Sender
from boxoffice.notification.service import DeliveryNotRetryable, NotificationService

pytestmark = pytest.mark.integration


class Collector:
    """An aiosmtpd handler that keeps what it receives and refuses the addresses it is told."""

    def __init__(self) -> None:
        self.received: list[Message] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(  # aiosmtpd's hook: (server, session, envelope, address, options)
        self, _server: Any, _session: Any, envelope: Any, address: str, _options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.received.append(message_from_bytes(envelope.content))
        return "250 Message accepted"


class SmtpServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.handler = Collector()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    yield server
    server.stop()


class NoCatalog:
    """Account mails need no show; a call here is a bug of the test."""

    async def show_details(self, _show_id: uuid.UUID) -> Any:
        raise AssertionError("no show in an account mail")


@pytest.fixture
def notification(own_engine: AsyncEngine) -> ServiceStore:
    return ServiceStore(own_engine, store.messaging)


@pytest.fixture
def make_sender(notification: ServiceStore) -> Callable[..., Sender]:
    def make(url: str, max_attempts: int = 5) -> Sender:
        composer = Composer(
            notification, NoCatalog(), "boxoffice <tickets@example.test>", "http://ui"
        )  # type: ignore[arg-type]
        return Sender(
            notification,
            EmailChannel(composer, SmtpMailer(url, timeout=5)),
            retry_seconds=0.05,
            max_attempts=max_attempts,
            batch=7,
        )

    return make


async def registered(
    notification: ServiceStore, email: str, again: tuple[uuid.UUID, uuid.UUID] | None = None
) -> tuple[uuid.UUID, uuid.UUID]:
    """Handle a registration as the consumer does, in a unit of work of that event (`again`:
    the same event and user once more); the event and the user."""
    svc = NotificationService(notification)
    event_id, user_id = again or (uuid.uuid4(), uuid.uuid4())
    async with notification.uow() as uow:
        uow.event_id, uow.event_at = event_id, datetime.now(UTC)
        await svc.on_registered(
            uow, UserRegistered(user_id=str(user_id), email=email, name="Pat", verify_token="t0k")
        )
    return event_id, user_id


async def states(notification: ServiceStore, address_like: str) -> list[tuple[str, int]]:
    d = store.deliveries
    async with notification.engine.connect() as conn:
        rows = await conn.execute(
            sa.select(d.c.state, d.c.attempts)
            .where(d.c.address.like(address_like))
            .order_by(d.c.created_at)
        )
        return [(r.state, r.attempts) for r in rows]


async def make_due(notification: ServiceStore, address_like: str) -> None:
    d = store.deliveries
    async with notification.engine.begin() as conn:
        await conn.execute(
            sa.update(d)
            .where(d.c.address.like(address_like))
            .values(next_attempt_at=sa.func.now() - sa.text("interval '1 second'"))
        )


async def test_mail_waits_for_a_server_that_is_down_and_goes_once_when_it_is_up(
    notification: ServiceStore, make_sender: Callable[..., Sender], smtp: SmtpServer
) -> None:
    run = uuid.uuid4().hex[:8]
    addresses = [f"{run}-{n}@example.test" for n in range(10)]
    events = [await registered(notification, a) for a in addresses]
    # the same events again (a redelivery past the inbox, a replay): no second mail
    for a, event in zip(addresses, events, strict=True):
        await registered(notification, a, event)
    sender = make_sender(smtp.url)

    assert await sender.send_due() == 0  # nothing listens on the port
    down = await states(notification, f"{run}-%")
    assert down == [("pending", 1)] * 10, down
    d = store.deliveries
    async with notification.engine.connect() as conn:
        errors = (
            (await conn.execute(sa.select(d.c.last_error).where(d.c.address.like(f"{run}-%"))))
            .scalars()
            .all()
        )
    assert all("cannot reach" in (e or "") for e in errors), errors

    smtp.start()
    await make_due(notification, f"{run}-%")
    assert await sender.send_due() == 10
    assert await sender.send_due() == 0
    got = sorted(str(m["To"]) for m in smtp.handler.received)
    assert got == sorted(f"Pat <{a}>" for a in addresses)
    assert await states(notification, f"{run}-%") == [("sent", 2)] * 10
    mail = smtp.handler.received[0]
    assert mail["Subject"] == "Welcome to boxoffice"
    assert mail["Message-ID"].endswith("@example.test>")
    parts = [p.get_content_type() for p in mail.walk()]
    assert "text/plain" in parts and "text/html" in parts
    text = next(p for p in mail.walk() if p.get_content_type() == "text/plain")
    assert "http://ui/#/verify-email?token=t0k" in text.get_payload(decode=True).decode()


async def test_a_refused_address_is_recorded_and_a_mail_that_keeps_failing_is_a_dead_letter(
    notification: ServiceStore, make_sender: Callable[..., Sender], smtp: SmtpServer
) -> None:
    run = uuid.uuid4().hex[:8]
    bad, good = f"{run}-bad@example.test", f"{run}-good@example.test"
    smtp.handler.refuse.add(bad)
    smtp.start()
    await registered(notification, bad)
    await registered(notification, good)
    assert await make_sender(smtp.url).send_due() == 1
    assert await states(notification, f"{run}-bad%") == [("failed", 1)]
    assert await states(notification, f"{run}-good%") == [("sent", 1)]
    d = store.deliveries
    async with notification.engine.connect() as conn:
        failed = (await conn.execute(sa.select(d).where(d.c.address == bad))).one()
    assert "550" in failed.last_error and "No such mailbox" in failed.last_error

    # a mail that never gets through: after the most attempts it is dead, and stays so
    smtp.stop()
    late = f"{run}-late@example.test"
    await registered(notification, late)
    sender = make_sender(smtp.url, max_attempts=3)
    for _ in range(4):
        await sender.send_due()
        await make_due(notification, f"{run}-late%")
    assert await states(notification, f"{run}-late%") == [("dead", 3)]

    # an admin sends the dead one again once the server is back; a sent one cannot be
    svc = NotificationService(notification)
    async with notification.engine.connect() as conn:
        dead_id = (await conn.execute(sa.select(d.c.id).where(d.c.address == late))).scalar_one()
        sent_id = (await conn.execute(sa.select(d.c.id).where(d.c.address == good))).scalar_one()
    smtp.start()
    again = await svc.retry(dead_id)
    assert again.state == "pending" and again.attempts == 0
    with pytest.raises(DeliveryNotRetryable):
        await svc.retry(sent_id)
    assert await sender.send_due() == 1
    assert await states(notification, f"{run}-late%") == [("sent", 1)]
    assert [str(m["To"]) for m in smtp.handler.received].count(f"Pat <{late}>") == 1


async def test_senders_side_by_side_send_each_mail_once(
    notification: ServiceStore, make_sender: Callable[..., Sender], smtp: SmtpServer
) -> None:
    smtp.start()
    run = uuid.uuid4().hex[:8]
    addresses = [f"{run}-{n}@example.test" for n in range(40)]
    svc = NotificationService(notification)
    for n, address in enumerate(addresses):  # resets too: the address comes with the event
        async with notification.uow() as uow:
            uow.event_id, uow.event_at = uuid.uuid4(), datetime.now(UTC)
            await svc.on_reset_requested(
                uow,
                PasswordResetRequested(
                    user_id=str(uuid.uuid4()),
                    email=address,
                    name=f"User {n}",
                    token=f"tok{n}",
                    expires_at=datetime.now(UTC).isoformat(),
                ),
            )
    senders = [make_sender(smtp.url) for _ in range(4)]
    sent = await asyncio.gather(*(s.send_due() for s in senders))
    assert sum(sent) == 40
    got = [str(m["To"]) for m in smtp.handler.received]
    assert len(got) == 40 and len(set(got)) == 40
    assert await states(notification, f"{run}-%") == [("sent", 1)] * 40


async def test_during_an_on_sale_mail_goes_slowly_and_catches_up_after(
    notification: ServiceStore, make_sender: Callable[..., Sender], smtp: SmtpServer
) -> None:
    smtp.start()
    run = uuid.uuid4().hex[:8]
    for n in range(RUSH + 10):  # a rush of confirmations: more than RUSH made just now
        await registered(notification, f"{run}-{n}@example.test")
    sender = make_sender(smtp.url)
    assert await sender.send_due() == RUSH_BATCH  # a few a tick while it lasts
    d = store.deliveries
    async with notification.engine.begin() as conn:  # the rush is over: made long ago
        await conn.execute(
            sa.update(d)
            .where(d.c.address.like(f"{run}-%"))
            .values(created_at=sa.func.now() - sa.text("interval '1 minute'"))
        )
    assert await sender.send_due() == RUSH + 10 - RUSH_BATCH
    assert len({str(m["To"]) for m in smtp.handler.received}) == RUSH + 10
