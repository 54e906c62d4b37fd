"""Booking tables (bookings, their lines, tickets and the saga's step log) and the queries over
them, as typed rows."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSON, UUID, aggregate_order_by
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from boxoffice.booking.domain import CANCELLABLE, Status
from boxoffice.kernel.messaging import Messaging

metadata = sa.MetaData(schema="booking")
messaging = Messaging(metadata)

bookings = sa.Table(
    "bookings",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("user_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("show_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("hold_id", sa.Text, nullable=False, unique=True),
    sa.Column("show_title", sa.Text, nullable=False),
    sa.Column("show_starts_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("show_time_zone", sa.Text, nullable=False, server_default="UTC"),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("total", sa.Integer, nullable=False),
    # What the payment service reports refunded so far (minor units).
    sa.Column("refunded", sa.Integer, nullable=False, server_default="0"),
    sa.Column("payment_id", UUID(as_uuid=True)),
    sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index(
        "ix_booking_pending_deadline", "deadline", postgresql_where=sa.text("status = 'PENDING'")
    ),
)

lines = sa.Table(
    "booking_lines",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column(
        "booking_id", UUID(as_uuid=True), sa.ForeignKey(bookings.c.id), nullable=False, index=True
    ),
    sa.Column("seat_id", sa.BigInteger),
    sa.Column("area_id", sa.BigInteger),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("category", sa.Text, nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("unit_price", sa.Integer, nullable=False),
)

tickets = sa.Table(
    "tickets",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column(
        "booking_id", UUID(as_uuid=True), sa.ForeignKey(bookings.c.id), nullable=False, index=True
    ),
    sa.Column("user_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("show_id", UUID(as_uuid=True), nullable=False),
    sa.Column("seat_id", sa.BigInteger),
    sa.Column("area_id", sa.BigInteger),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("code", sa.Text, nullable=False, unique=True),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
    # The last guard against a double sale: one valid ticket per seat of a show.
    sa.Index(
        "uq_live_ticket_per_seat",
        "show_id",
        "seat_id",
        unique=True,
        postgresql_where=sa.text("status = 'valid' AND seat_id IS NOT NULL"),
    ),
)

saga_steps = sa.Table(
    "saga_steps",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column(
        "booking_id", UUID(as_uuid=True), sa.ForeignKey(bookings.c.id), nullable=False, index=True
    ),
    sa.Column("step", sa.Text, nullable=False),
    sa.Column("detail", sa.Text, nullable=False, server_default=""),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)

# Shows the catalog cancelled: no booking of theirs is created or confirmed any more.
cancelled_shows = sa.Table(
    "cancelled_shows",
    metadata,
    sa.Column("show_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=False),
)


# -- typed rows -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Booking:
    id: uuid.UUID
    user_id: uuid.UUID
    show_id: uuid.UUID
    hold_id: str
    show_title: str
    show_starts_at: datetime
    show_time_zone: str
    status: Status
    reason: str | None
    currency: str
    total: int
    refunded: int
    payment_id: uuid.UUID | None
    deadline: datetime
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Line:
    booking_id: uuid.UUID
    seat_id: int | None
    area_id: int | None
    label: str
    category: str
    quantity: int
    unit_price: int


@dataclass(frozen=True)
class Ticket:
    id: uuid.UUID
    booking_id: uuid.UUID
    user_id: uuid.UUID
    show_id: uuid.UUID
    seat_id: int | None
    area_id: int | None
    label: str
    code: str
    status: str  # valid, void
    issued_at: datetime


@dataclass(frozen=True)
class Step:
    step: str
    detail: str
    at: datetime


@dataclass(frozen=True)
class BookingDetail(Booking):
    """A booking with its lines, tickets and saga log, as its customer follows it."""

    lines: list[Line]
    tickets: list[Ticket]
    steps: list[Step]


@dataclass(frozen=True)
class MyTicket(Ticket):
    show_title: str
    show_starts_at: datetime
    show_time_zone: str


@dataclass(frozen=True)
class StuckBooking(Booking):
    last_step: str
    last_step_at: datetime


@dataclass(frozen=True)
class StatusCount:
    status: Status
    bookings: int
    amount: int  # what they paid, less refunds


_BOOKING_FIELDS = [f.name for f in dataclasses.fields(Booking)]


def _booking(row: sa.Row[Any]) -> Booking:
    m = row._mapping
    return Booking(**{**{k: m[k] for k in _BOOKING_FIELDS}, "status": Status(m["status"])})


def _line(j: dict[str, Any]) -> Line:
    values = {f.name: j[f.name] for f in dataclasses.fields(Line)}
    return Line(**{**values, "booking_id": uuid.UUID(values["booking_id"])})


def _ticket(j: dict[str, Any]) -> Ticket:
    values = {f.name: j[f.name] for f in dataclasses.fields(Ticket)}
    for k in ("id", "booking_id", "user_id", "show_id"):
        values[k] = uuid.UUID(values[k])
    values["issued_at"] = datetime.fromisoformat(values["issued_at"])
    return Ticket(**values)


def _step(j: dict[str, Any]) -> Step:
    return Step(j["step"], j["detail"], datetime.fromisoformat(j["at"]))


# -- bookings -------------------------------------------------------------------------------


def _children(table: sa.Table, order_by: str) -> sa.ScalarSelect[Any]:
    """The booking's rows of `table` as one JSON array, in `order_by` order."""
    child = table.alias("child")
    return (
        sa.select(
            sa.func.coalesce(
                sa.func.json_agg(aggregate_order_by(sa.literal_column("child"), child.c[order_by])),
                sa.text("'[]'::json"),
                type_=JSON,
            )
        )
        .where(child.c.booking_id == bookings.c.id)
        .scalar_subquery()
    )


_BOOKING_WITH_CHILDREN = sa.select(
    bookings,
    _children(lines, "id").label("lines"),
    _children(tickets, "label").label("tickets"),
    _children(saga_steps, "id").label("steps"),
).where(bookings.c.id == sa.bindparam("booking_id"))


async def booking_detail(conn: AsyncConnection, booking_id: uuid.UUID) -> BookingDetail | None:
    """The booking with its lines, tickets and steps, in one round trip."""
    row = (await conn.execute(_BOOKING_WITH_CHILDREN, {"booking_id": booking_id})).first()
    if row is None:
        return None
    return BookingDetail(
        **dataclasses.asdict(_booking(row)),
        lines=[_line(j) for j in row.lines],
        tickets=[_ticket(j) for j in row.tickets],
        steps=[_step(j) for j in row.steps],
    )


async def owner_and_status(
    conn: AsyncConnection, booking_id: uuid.UUID
) -> tuple[uuid.UUID, Status] | None:
    query = sa.select(bookings.c.user_id, bookings.c.status).where(bookings.c.id == booking_id)
    row = (await conn.execute(query)).first()
    return None if row is None else (row.user_id, Status(row.status))


async def locked_booking(conn: AsyncConnection, booking_id: uuid.UUID) -> Booking | None:
    """The booking's row, locked until the transaction ends (None if there is none)."""
    query = sa.select(bookings).where(bookings.c.id == booking_id).with_for_update()
    row = (await conn.execute(query)).first()
    return None if row is None else _booking(row)


# A booking with the reason its show was cancelled (NULL while it is not).
_WITH_CANCELLATION = sa.select(
    bookings,
    sa.select(cancelled_shows.c.reason)
    .where(cancelled_shows.c.show_id == bookings.c.show_id)
    .scalar_subquery()
    .label("cancelled"),
)


async def booking_and_cancellation(
    conn: AsyncConnection, booking_id: uuid.UUID, *, lock: bool = False
) -> tuple[Booking, str | None] | None:
    """The booking with why its show was cancelled (None while it is not); `lock` locks the
    booking's row until the transaction ends."""
    query = _WITH_CANCELLATION.where(bookings.c.id == booking_id)
    if lock:
        query = query.with_for_update(of=bookings)
    row = (await conn.execute(query)).first()
    return None if row is None else (_booking(row), row.cancelled)


async def add_booking(conn: AsyncConnection, booking: Booking, booked: Sequence[Line]) -> None:
    await conn.execute(sa.insert(bookings).values(**dataclasses.asdict(booking)))
    # One executemany: every row names the same columns (a hold may mix seats and GA).
    await conn.execute(sa.insert(lines), [dataclasses.asdict(line) for line in booked])


async def update_booking(
    conn: AsyncConnection, booking_id: uuid.UUID, now: datetime, **values: object
) -> None:
    """Set columns of the booking (status, reason, payment_id, refunded) and its updated_at."""
    await conn.execute(
        sa.update(bookings).where(bookings.c.id == booking_id).values(updated_at=now, **values)
    )


async def add_steps(
    conn: AsyncConnection, booking_id: uuid.UUID, steps: Sequence[tuple[str, str]], at: datetime
) -> None:
    """Log saga steps (name, detail) of the booking, in one round trip."""
    await conn.execute(
        sa.insert(saga_steps),
        [{"booking_id": booking_id, "step": s, "detail": d, "at": at} for s, d in steps],
    )


async def overdue(conn: AsyncConnection, now: datetime, limit: int) -> list[Booking]:
    """PENDING bookings past their deadline, locked; rows another replica locked are skipped."""
    query = (
        sa.select(bookings)
        .where(bookings.c.status == Status.PENDING, bookings.c.deadline < now)
        .order_by(bookings.c.deadline)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [_booking(r) for r in (await conn.execute(query)).all()]


async def stuck(conn: AsyncConnection, created_before: datetime, limit: int) -> list[StuckBooking]:
    """PENDING bookings created before `created_before`, with the step they stopped at."""
    last = (
        sa.select(saga_steps.c.step, saga_steps.c.at)
        .where(saga_steps.c.booking_id == bookings.c.id)
        .order_by(saga_steps.c.id.desc())
        .limit(1)
        .lateral()
    )
    query = (
        sa.select(bookings, last.c.step.label("last_step"), last.c.at.label("last_step_at"))
        .join(last, sa.true())
        .where(bookings.c.status == Status.PENDING, bookings.c.created_at < created_before)
        .order_by(bookings.c.created_at)
        .limit(limit)
    )
    return [
        StuckBooking(
            **dataclasses.asdict(_booking(r)), last_step=r.last_step, last_step_at=r.last_step_at
        )
        for r in (await conn.execute(query)).all()
    ]


async def search(
    conn: AsyncConnection,
    *,
    user_id: uuid.UUID | None,
    status: str | None,
    show_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> list[Booking]:
    """Bookings, newest first; of one customer, in one status, of one show (those given)."""
    query = sa.select(bookings).order_by(bookings.c.created_at.desc(), bookings.c.id)
    if user_id:
        query = query.where(bookings.c.user_id == user_id)
    if status:
        query = query.where(bookings.c.status == status)
    if show_id:
        query = query.where(bookings.c.show_id == show_id)
    rows = (await conn.execute(query.limit(limit).offset(offset))).all()
    return [_booking(r) for r in rows]


async def cancellable_of_show(conn: AsyncConnection, show_id: uuid.UUID) -> list[Booking]:
    """The show's bookings its cancellation cancels, locked."""
    query = (
        sa.select(bookings)
        .where(bookings.c.show_id == show_id, bookings.c.status.in_(sorted(CANCELLABLE)))
        .with_for_update()
    )
    return [_booking(r) for r in (await conn.execute(query)).all()]


# -- shows ----------------------------------------------------------------------------------


def _show_lock(show_id: uuid.UUID) -> sa.ColumnElement[Any]:
    """The key of a show's advisory lock (see BookingSaga.on_show_cancelled)."""
    return sa.func.hashtextextended(str(show_id), 0)


async def lock_show_shared(conn: AsyncConnection, show_id: uuid.UUID) -> None:
    """Shared with every other confirmation of the show, exclusive with its cancellation. A
    statement of its own, so that the next one starts (and takes its snapshot) once granted."""
    await conn.execute(sa.select(sa.func.pg_advisory_xact_lock_shared(_show_lock(show_id))))


async def lock_show(conn: AsyncConnection, show_id: uuid.UUID) -> None:
    await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_show_lock(show_id))))


async def cancellation(conn: AsyncConnection, show_id: uuid.UUID) -> str | None:
    """Why the show was cancelled, or None while it is not."""
    query = sa.select(cancelled_shows.c.reason).where(cancelled_shows.c.show_id == show_id)
    reason: str | None = await conn.scalar(query)
    return reason


async def cancel_show(conn: AsyncConnection, show_id: uuid.UUID, reason: str, at: datetime) -> None:
    await conn.execute(
        pg_insert(cancelled_shows)
        .values(show_id=show_id, reason=reason, cancelled_at=at)
        .on_conflict_do_nothing()
    )


async def sales(
    conn: AsyncConnection, show_id: uuid.UUID, recent: int
) -> tuple[list[StatusCount], int, list[Booking]]:
    """A show's bookings by status, its valid tickets, and its latest `recent` bookings."""
    by_status = (
        sa.select(
            bookings.c.status,
            sa.func.count().label("n"),
            sa.func.coalesce(sa.func.sum(bookings.c.total - bookings.c.refunded), 0).label(
                "amount"
            ),
        )
        .where(bookings.c.show_id == show_id)
        .group_by(bookings.c.status)
    )
    sold = sa.select(sa.func.count()).where(
        tickets.c.show_id == show_id, tickets.c.status == "valid"
    )
    latest = (
        sa.select(bookings)
        .where(bookings.c.show_id == show_id)
        .order_by(bookings.c.created_at.desc(), bookings.c.id)
        .limit(recent)
    )
    counts = [
        StatusCount(Status(r.status), int(r.n), int(r.amount))
        for r in (await conn.execute(by_status)).all()
    ]
    tickets_sold = int((await conn.execute(sold)).scalar_one())
    rows = [_booking(r) for r in (await conn.execute(latest)).all()]
    return counts, tickets_sold, rows


# -- tickets --------------------------------------------------------------------------------


async def issue_tickets(conn: AsyncConnection, issued: Sequence[Ticket]) -> bool:
    """Insert the tickets; False (and none inserted) when a seat has a valid ticket already."""
    try:
        async with conn.begin_nested():
            await conn.execute(sa.insert(tickets), [dataclasses.asdict(t) for t in issued])
    except IntegrityError:
        return False
    return True


async def lines_of(conn: AsyncConnection, booking_id: uuid.UUID) -> list[Line]:
    query = sa.select(lines).where(lines.c.booking_id == booking_id)
    return [
        Line(**{f.name: getattr(r, f.name) for f in dataclasses.fields(Line)})
        for r in (await conn.execute(query)).all()
    ]


async def void_tickets(conn: AsyncConnection, booking_id: uuid.UUID) -> None:
    await conn.execute(
        sa.update(tickets).where(tickets.c.booking_id == booking_id).values(status="void")
    )


async def tickets_of(
    conn: AsyncConnection, user_id: uuid.UUID, limit: int, offset: int
) -> list[MyTicket]:
    query = (
        sa.select(
            tickets, bookings.c.show_title, bookings.c.show_starts_at, bookings.c.show_time_zone
        )
        .join(bookings, bookings.c.id == tickets.c.booking_id)
        .where(tickets.c.user_id == user_id)
        .order_by(bookings.c.show_starts_at, tickets.c.label)
        .limit(limit)
        .offset(offset)
    )
    return [MyTicket(**r._mapping) for r in (await conn.execute(query)).all()]


async def ticket_code_and_owner(
    conn: AsyncConnection, ticket_id: uuid.UUID
) -> tuple[str, uuid.UUID] | None:
    query = sa.select(tickets.c.code, tickets.c.user_id).where(tickets.c.id == ticket_id)
    row = (await conn.execute(query)).first()
    return None if row is None else (str(row.code), row.user_id)
