"""Notification tables and queries: in-app notifications per user, the customers it writes to
(a read model of identity's events), and every delivery of a mail with its attempts."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from boxoffice.kernel.db import new_id, utcnow
from boxoffice.kernel.messaging import Messaging
from boxoffice.notification.domain import Message

metadata = sa.MetaData(schema="notification")
messaging = Messaging(metadata)

notifications = sa.Table(
    "notifications",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("user_id", UUID(as_uuid=True), nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("booking_id", UUID(as_uuid=True)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("read_at", sa.DateTime(timezone=True)),
    sa.Index("ix_notification_user_created", "user_id", "created_at"),
)


# Whom notification writes to: identity's users as its events told (registered, email changed).
recipients = sa.Table(
    "recipients",
    metadata,
    sa.Column("user_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("email", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("phone", sa.Text),  # E.164, if they gave one
    sa.Column("sms_opt_in", sa.Boolean, nullable=False, server_default=sa.false()),
)

# One row per message to send: per (event, channel, user) at most one, so a repeated event
# sends nothing twice. `attempts` and `next_attempt_at` are written before each attempt.
deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("event_id", UUID(as_uuid=True), nullable=False),
    sa.Column("channel", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("user_id", UUID(as_uuid=True), nullable=False),
    sa.Column("address", sa.Text),  # null: the user's address, looked up when sending
    sa.Column("payload", JSONB, nullable=False),
    sa.Column("state", sa.Text, nullable=False),  # pending, sent, failed (refused), dead
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Column("subject", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
    # The provider's id of a sent SMS: its delivery reports (status callbacks) name it.
    sa.Column("provider_id", sa.Text),
    sa.UniqueConstraint("event_id", "channel", "user_id", name="uq_delivery_event_channel_user"),
    sa.Index("ix_delivery_due", "next_attempt_at", postgresql_where=sa.text("state = 'pending'")),
    sa.Index("ix_delivery_state_created", "state", "created_at"),
    sa.Index("ix_delivery_channel_created", "channel", "created_at"),
)

# Who holds tickets for a show (a booking confirmed and not cancelled), from booking's events:
# whom to tell when the show moves.
holders = sa.Table(
    "holders",
    metadata,
    sa.Column("booking_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("show_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("user_id", UUID(as_uuid=True), nullable=False),
)

# What each customer chose to hear of, by kind and channel (domain.wanted reads it).
preferences = sa.Table(
    "preferences",
    metadata,
    sa.Column("user_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("choices", JSONB, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

PENDING, SENT, FAILED, DEAD = "pending", "sent", "failed", "dead"


@dataclass(frozen=True)
class Recipient:
    user_id: uuid.UUID
    email: str
    name: str
    phone: str | None = None
    sms_opt_in: bool = False


@dataclass(frozen=True)
class Delivery:
    id: uuid.UUID
    event_id: uuid.UUID
    channel: str
    kind: str
    user_id: uuid.UUID
    address: str | None
    payload: dict[str, Any]
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    subject: str | None
    created_at: datetime
    sent_at: datetime | None
    provider_id: str | None = None


async def set_recipient(
    conn: AsyncConnection,
    user_id: uuid.UUID,
    email: str,
    name: str,
    phone: str | None = None,
    sms_opt_in: bool = False,
) -> None:
    now = utcnow()
    values = {"email": email, "name": name, "phone": phone, "sms_opt_in": sms_opt_in}
    insert = pg_insert(recipients).values(user_id=user_id, updated_at=now, **values)
    await conn.execute(
        insert.on_conflict_do_update(
            index_elements=[recipients.c.user_id], set_={**values, "updated_at": now}
        )
    )


async def recipient(conn: AsyncConnection, user_id: uuid.UUID) -> Recipient | None:
    row = (
        await conn.execute(
            sa.select(
                recipients.c.user_id,
                recipients.c.email,
                recipients.c.name,
                recipients.c.phone,
                recipients.c.sms_opt_in,
            ).where(recipients.c.user_id == user_id)
        )
    ).first()
    return None if row is None else Recipient(**row._mapping)


async def add_delivery(
    conn: AsyncConnection,
    *,
    event_id: uuid.UUID,
    channel: str,
    kind: str,
    user_id: uuid.UUID,
    address: str | None,
    payload: dict[str, Any],
) -> bool:
    """Record a message to send; False if this event's message on this channel exists."""
    now = utcnow()
    result = await conn.execute(
        pg_insert(deliveries)
        .values(
            id=new_id(),
            event_id=event_id,
            channel=channel,
            kind=kind,
            user_id=user_id,
            address=address,
            payload=payload,
            state=PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        .on_conflict_do_nothing()
        .returning(deliveries.c.id)
    )
    return result.first() is not None


async def claim_due(
    conn: AsyncConnection, channel: str, limit: int, retry_after: timedelta
) -> list[Delivery]:
    """Take the deliveries due (skipping those another sender holds), counting the attempt and
    setting when the next one is due before any is made: a sender that dies mid-send leaves
    its deliveries to be tried again then."""
    now = utcnow()
    due = (
        sa.select(deliveries.c.id)
        .where(
            deliveries.c.state == PENDING,
            deliveries.c.channel == channel,
            deliveries.c.next_attempt_at <= now,
        )
        .order_by(deliveries.c.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("due")
    )
    rows = await conn.execute(
        sa.update(deliveries)
        .where(deliveries.c.id == due.c.id)
        .values(attempts=deliveries.c.attempts + 1, next_attempt_at=now + retry_after)
        .returning(*deliveries.c)
    )
    return sorted((Delivery(**r._mapping) for r in rows), key=lambda d: d.created_at)


async def finish(
    conn: AsyncConnection,
    delivery_id: uuid.UUID,
    state: str,
    *,
    error: str | None = None,
    subject: str | None = None,
    next_attempt_at: datetime | None = None,
    provider_id: str | None = None,
) -> None:
    values: dict[str, Any] = {"state": state, "last_error": error}
    if provider_id is not None:
        values["provider_id"] = provider_id
    if subject is not None:
        values["subject"] = subject
    if state == SENT:
        values["sent_at"] = utcnow()
    if next_attempt_at is not None:
        values["next_attempt_at"] = next_attempt_at
    await conn.execute(sa.update(deliveries).where(deliveries.c.id == delivery_id).values(**values))


async def list_deliveries(
    conn: AsyncConnection, state: str | None, limit: int, offset: int
) -> list[Delivery]:
    query = sa.select(deliveries).order_by(deliveries.c.created_at.desc()).limit(limit)
    if state is not None:
        query = query.where(deliveries.c.state == state)
    return [Delivery(**r._mapping) for r in (await conn.execute(query.offset(offset))).all()]


async def retry(conn: AsyncConnection, delivery_id: uuid.UUID) -> Delivery | None:
    """Send a failed or dead delivery again from its first attempt (an admin's replay)."""
    row = (
        await conn.execute(
            sa.update(deliveries)
            .where(deliveries.c.id == delivery_id, deliveries.c.state.in_((FAILED, DEAD)))
            .values(state=PENDING, attempts=0, next_attempt_at=utcnow(), last_error=None)
            .returning(*deliveries.c)
        )
    ).first()
    return None if row is None else Delivery(**row._mapping)


async def delivery(conn: AsyncConnection, delivery_id: uuid.UUID) -> Delivery | None:
    row = (await conn.execute(sa.select(deliveries).where(deliveries.c.id == delivery_id))).first()
    return None if row is None else Delivery(**row._mapping)


@dataclass(frozen=True)
class Notification:
    id: uuid.UUID
    user_id: uuid.UUID
    kind: str
    title: str
    body: str
    booking_id: uuid.UUID | None
    created_at: datetime
    read_at: datetime | None


async def add(
    conn: AsyncConnection, user_id: uuid.UUID, booking_id: uuid.UUID | None, message: Message
) -> Notification:
    note = Notification(
        id=new_id(),
        user_id=user_id,
        kind=message.kind,
        title=message.title,
        body=message.body,
        booking_id=booking_id,
        created_at=utcnow(),
        read_at=None,
    )
    await conn.execute(sa.insert(notifications).values(**dataclasses.asdict(note)))
    return note


async def unread_count(conn: AsyncConnection, user_id: uuid.UUID) -> int:
    query = (
        sa.select(sa.func.count())
        .select_from(notifications)
        .where(notifications.c.user_id == user_id, notifications.c.read_at.is_(None))
    )
    return int((await conn.execute(query)).scalar_one())


async def of_user(
    conn: AsyncConnection, user_id: uuid.UUID, *, unread: bool, limit: int, offset: int
) -> list[Notification]:
    """A user's notifications, newest first."""
    query = (
        sa.select(notifications)
        .where(notifications.c.user_id == user_id)
        .order_by(notifications.c.created_at.desc())
        .limit(limit)
        .offset(offset)
    )
    if unread:
        query = query.where(notifications.c.read_at.is_(None))
    return [Notification(**r._mapping) for r in (await conn.execute(query)).all()]


async def mark_read(
    conn: AsyncConnection, user_id: uuid.UUID, notification_id: uuid.UUID | None = None
) -> int:
    """Mark the user's unread notifications read (every one, or the one); how many were."""
    which = [notifications.c.user_id == user_id, notifications.c.read_at.is_(None)]
    if notification_id is not None:
        which.append(notifications.c.id == notification_id)
    result = await conn.execute(sa.update(notifications).where(*which).values(read_at=utcnow()))
    return int(result.rowcount)


async def add_holder(
    conn: AsyncConnection, booking_id: uuid.UUID, show_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    await conn.execute(
        pg_insert(holders)
        .values(booking_id=booking_id, show_id=show_id, user_id=user_id)
        .on_conflict_do_nothing()
    )


async def drop_holder(conn: AsyncConnection, booking_id: uuid.UUID) -> None:
    await conn.execute(sa.delete(holders).where(holders.c.booking_id == booking_id))


async def holders_of(
    conn: AsyncConnection, show_id: uuid.UUID
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(user, booking) of each booking of the show that holds tickets."""
    rows = await conn.execute(
        sa.select(holders.c.user_id, holders.c.booking_id)
        .where(holders.c.show_id == show_id)
        .order_by(holders.c.user_id)
    )
    return [(r.user_id, r.booking_id) for r in rows]


async def choices(conn: AsyncConnection, user_id: uuid.UUID) -> dict[str, dict[str, bool]]:
    found = (
        await conn.execute(sa.select(preferences.c.choices).where(preferences.c.user_id == user_id))
    ).scalar()
    return dict(found or {})


async def set_choices(
    conn: AsyncConnection, user_id: uuid.UUID, chosen: dict[str, dict[str, bool]]
) -> None:
    now = utcnow()
    insert = pg_insert(preferences).values(user_id=user_id, choices=chosen, updated_at=now)
    await conn.execute(
        insert.on_conflict_do_update(
            index_elements=[preferences.c.user_id], set_={"choices": chosen, "updated_at": now}
        )
    )


async def lock_choices(conn: AsyncConnection, user_id: uuid.UUID) -> dict[str, dict[str, bool]]:
    """The customer's choices, their row locked (or made) for a change."""
    await conn.execute(
        pg_insert(preferences)
        .values(user_id=user_id, choices={}, updated_at=utcnow())
        .on_conflict_do_nothing()
    )
    found = (
        await conn.execute(
            sa.select(preferences.c.choices)
            .where(preferences.c.user_id == user_id)
            .with_for_update()
        )
    ).scalar_one()
    return dict(found)


async def made_since(conn: AsyncConnection, channel: str, since: datetime, cap: int) -> int:
    """How many deliveries of the channel were made since then, counting up to `cap`."""
    recent = (
        sa.select(deliveries.c.id)
        .where(deliveries.c.channel == channel, deliveries.c.created_at >= since)
        .limit(cap)
        .subquery()
    )
    return int((await conn.execute(sa.select(sa.func.count()).select_from(recent))).scalar_one())
