"""Notification use cases: for each event a customer hears of, an in-app notification and a
mail to send (a delivery the sender job sends); whom to write to, from identity's events;
a customer's notifications; the deliveries for admins."""

from __future__ import annotations

import dataclasses
import functools
import hmac
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
from redis.asyncio import Redis

from boxoffice.booking.contract import BookingCancelled, BookingConfirmed
from boxoffice.catalog.contract import ShowChanged
from boxoffice.identity.contract import (
    EmailChangeRequested,
    PasswordResetRequested,
    UserChanged,
    UserRegistered,
)
from boxoffice.kernel.auth import Principal
from boxoffice.kernel.db import utcnow
from boxoffice.kernel.errors import Conflict, Forbidden, NotFound
from boxoffice.kernel.live import named, user_channel
from boxoffice.kernel.messaging import ServiceStore, UnitOfWork
from boxoffice.notification import store as queries
from boxoffice.notification.domain import (
    CHANNELS,
    KINDS,
    SMS_KINDS,
    Message,
    NotifiedEvent,
    changed_preferences,
    message_for,
    show_moved_message,
    wanted,
)
from boxoffice.notification.sms import twilio_signature
from boxoffice.notification.store import FAILED, Delivery, Notification

log = logging.getLogger(__name__)

# A registration older than this (an event replayed to a new consumer, e.g. after an
# upgrade) records the address but sends no welcome mail.
WELCOME_WITHIN = timedelta(days=1)


class UnknownDelivery(NotFound):
    pass


class DeliveryNotRetryable(Conflict):
    pass


class ForbiddenReport(Forbidden):
    """A delivery report that the SMS provider did not sign."""


def _event_id(uow: UnitOfWork) -> uuid.UUID:
    assert uow.event_id is not None, "handlers run inside a consumer's unit of work"
    return uow.event_id


class NotificationService:
    def __init__(
        self, store: ServiceStore, redis: Redis | None = None, *, sms: bool = False
    ) -> None:
        self.store = store
        self.redis = redis
        self.sms = sms  # a way to send texts is configured

    async def on_event(self, uow: UnitOfWork, event: NotifiedEvent) -> None:
        booking = getattr(event, "booking_id", None)
        message = message_for(event)
        user_id = uuid.UUID(event.user_id)
        await self._tell(
            uow,
            user_id,
            None if booking is None else uuid.UUID(booking),
            message,
            event.payload(),
        )
        if isinstance(event, BookingConfirmed):
            await queries.add_holder(
                uow.conn, uuid.UUID(event.booking_id), uuid.UUID(event.show_id), user_id
            )
        elif isinstance(event, BookingCancelled):
            await queries.drop_holder(uow.conn, uuid.UUID(event.booking_id))

    async def on_show_changed(self, uow: UnitOfWork, event: ShowChanged) -> None:
        """The show moved: every ticket holder is told (in-app and by mail), once per
        booking's customer."""
        if not event.starts_at or event.starts_at == event.previous_starts_at:
            return  # prices or sales times: nothing a ticket holder needs to hear
        told: set[uuid.UUID] = set()
        for user_id, booking_id in await queries.holders_of(uow.conn, uuid.UUID(event.show_id)):
            if user_id in told:
                continue
            told.add(user_id)
            payload = {**event.payload(), "booking_id": str(booking_id)}
            await self._tell(uow, user_id, booking_id, show_moved_message(event), payload)

    async def _tell(
        self,
        uow: UnitOfWork,
        user_id: uuid.UUID,
        booking_id: uuid.UUID | None,
        message: Message,
        payload: dict[str, Any],
    ) -> None:
        """In-app (pushed once committed) and by mail, as the customer chose."""
        prefs = await queries.choices(uow.conn, user_id)
        if wanted(prefs, message.kind, "in_app"):
            added = await queries.add(uow.conn, user_id, booking_id, message)
            uow.after_commit.append(functools.partial(self._push, added))
        if wanted(prefs, message.kind, "email"):
            await self._mail(uow, message.kind, user_id, None, payload)
        if self.sms and wanted(prefs, message.kind, "sms"):
            who = await queries.recipient(uow.conn, user_id)
            if who is not None and who.phone and who.sms_opt_in:
                await self._mail(uow, message.kind, user_id, None, payload, channel="sms")

    async def _push(self, note: Notification) -> None:
        """Tell the customer's open pages at once (after the commit); a lost message costs
        only the wait for the page's next read."""
        if self.redis is None:
            return
        try:
            async with self.store.engine.connect() as conn:
                unread = await queries.unread_count(conn, note.user_id)
            data = orjson.dumps({**dataclasses.asdict(note), "unread": unread})
            await self.redis.publish(user_channel(note.user_id), named("notification", data))
        except Exception as exc:
            log.warning("could not push notification %s: %r", note.id, exc)

    async def on_registered(self, uow: UnitOfWork, event: UserRegistered) -> None:
        user_id = uuid.UUID(event.user_id)
        await queries.set_recipient(uow.conn, user_id, event.email, event.name)
        if uow.event_at is None or utcnow() - uow.event_at < WELCOME_WITHIN:
            await self._mail(uow, "welcome", user_id, event.email, event.payload())

    async def on_user_changed(self, uow: UnitOfWork, event: UserChanged) -> None:
        await queries.set_recipient(
            uow.conn,
            uuid.UUID(event.user_id),
            event.email,
            event.name,
            event.phone or None,
            event.sms_opt_in,
        )

    async def sms_status(
        self, delivery_id: uuid.UUID, provider_id: str, status: str, error: str
    ) -> bool:
        """The provider's delivery report of a text: `failed`/`undelivered` make the delivery
        failed (with the provider's error code); False if no such text was sent."""
        async with self.store.uow() as uow:
            d = await queries.delivery(uow.conn, delivery_id)
            if d is None or d.channel != "sms" or d.provider_id != provider_id:
                return False
            if status in ("failed", "undelivered"):
                await queries.finish(
                    uow.conn, d.id, FAILED, error=f"{status}: error {error or 'unknown'}"
                )
        return True

    async def on_email_change(self, uow: UnitOfWork, event: EmailChangeRequested) -> None:
        """The confirmation to the new address (the account's address changes only when it
        is used)."""
        await self._mail(
            uow, "email_change", uuid.UUID(event.user_id), event.new_email, event.payload()
        )

    async def on_reset_requested(self, uow: UnitOfWork, event: PasswordResetRequested) -> None:
        # To the address the reset was asked for (the account's at that moment).
        await self._mail(
            uow, "password_reset", uuid.UUID(event.user_id), event.email, event.payload()
        )

    async def _mail(
        self,
        uow: UnitOfWork,
        kind: str,
        user_id: uuid.UUID,
        address: str | None,
        payload: dict[str, Any],
        channel: str = "email",
    ) -> None:
        await queries.add_delivery(
            uow.conn,
            event_id=_event_id(uow),
            channel=channel,
            kind=kind,
            user_id=user_id,
            address=address,
            payload=payload,
        )

    async def mine(
        self, user: Principal, unread: bool, limit: int, offset: int
    ) -> list[Notification]:
        async with self.store.engine.connect() as conn:
            return await queries.of_user(
                conn, user.user_id, unread=unread, limit=limit, offset=offset
            )

    async def mark_read(self, user: Principal, notification_id: uuid.UUID | None = None) -> int:
        """Mark the customer's unread notifications read (all, or the one); how many were."""
        async with self.store.uow() as uow:
            return await queries.mark_read(uow.conn, user.user_id, notification_id)

    async def unread(self, user: Principal) -> int:
        async with self.store.engine.connect() as conn:
            return await queries.unread_count(conn, user.user_id)

    async def preferences(self, user: Principal) -> list[dict[str, Any]]:
        async with self.store.engine.connect() as conn:
            prefs = await queries.choices(conn, user.user_id)
        return _preference_list(prefs)

    async def set_preferences(
        self, user: Principal, changes: dict[str, dict[str, bool]]
    ) -> list[dict[str, Any]]:
        async with self.store.uow() as uow:
            prefs = changed_preferences(await queries.lock_choices(uow.conn, user.user_id), changes)
            await queries.set_choices(uow.conn, user.user_id, prefs)
        return _preference_list(prefs)

    async def deliveries(self, state: str | None, limit: int, offset: int) -> list[Delivery]:
        async with self.store.engine.connect() as conn:
            return await queries.list_deliveries(conn, state, limit, offset)

    async def retry(self, delivery_id: uuid.UUID) -> Delivery:
        """An admin sends a failed or dead mail again."""
        async with self.store.uow() as uow:
            again = await queries.retry(uow.conn, delivery_id)
            if again is not None:
                return again
            if await queries.delivery(uow.conn, delivery_id) is None:
                raise UnknownDelivery(f"No delivery {delivery_id}.")
        raise DeliveryNotRetryable("Only a failed or dead delivery can be sent again.")


def _preference_list(prefs: dict[str, dict[str, bool]]) -> list[dict[str, Any]]:
    return [
        {
            "kind": kind,
            "label": label,
            "transactional": transactional,
            "sms_available": kind in SMS_KINDS,
            **{channel: wanted(prefs, kind, channel) for channel in CHANNELS},
        }
        for kind, (label, transactional) in KINDS.items()
    ]


@dataclass(frozen=True)
class SmsWebhook:
    """What a delivery report of the SMS provider is checked with: its auth token (empty: no
    provider, no reports) and the public URL it was told to post to."""

    auth_token: str
    public_url: str

    def check(self, url_path: str, params: dict[str, str], signature: str) -> bool:
        if not self.auth_token:
            return False
        expected = twilio_signature(self.auth_token, self.public_url + url_path, params)
        return hmac.compare_digest(expected.encode(), signature.encode())
