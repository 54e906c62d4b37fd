"""Inventory tables (what each show sells, and the sales that PostgreSQL guards) and the
named queries over them, answering typed rows."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, fields
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from boxoffice.catalog.contract import ShowLayout
from boxoffice.inventory.domain import SaleStatus
from boxoffice.inventory.onsale import Room
from boxoffice.kernel.db import utcnow
from boxoffice.kernel.messaging import Messaging

metadata = sa.MetaData(schema="inventory")
messaging = Messaging(metadata)

shows = sa.Table(
    "shows",
    metadata,
    sa.Column("show_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("sales_start", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sales_end", sa.DateTime(timezone=True), nullable=False),
    sa.Column("max_per_booking", sa.Integer, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    # Places one customer may have in live holds and pending bookings; NULL: the default.
    sa.Column("max_held_per_customer", sa.Integer),
    sa.Column("time_zone", sa.Text, nullable=False, server_default="UTC"),
)

seats = sa.Table(
    "seats",
    metadata,
    sa.Column("show_id", UUID(as_uuid=True), sa.ForeignKey(shows.c.show_id), primary_key=True),
    sa.Column("seat_id", sa.BigInteger, primary_key=True),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("section", sa.Text, nullable=False),
    sa.Column("row", sa.Text, nullable=False),
    sa.Column("category", sa.Text, nullable=False),
    sa.Column("price", sa.Integer, nullable=False),
    sa.Column("x", sa.Float, nullable=False),
    sa.Column("y", sa.Float, nullable=False),
    sa.Column("blocked", sa.Boolean, nullable=False),
)

ga_areas = sa.Table(
    "ga_areas",
    metadata,
    sa.Column("show_id", UUID(as_uuid=True), sa.ForeignKey(shows.c.show_id), primary_key=True),
    sa.Column("area_id", sa.BigInteger, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("category", sa.Text, nullable=False),
    sa.Column("price", sa.Integer, nullable=False),
    sa.Column("capacity", sa.Integer, nullable=False),
    sa.Column("sold", sa.Integer, nullable=False, server_default="0"),
    sa.CheckConstraint("sold >= 0 AND sold <= capacity", name="ga_sold_within_capacity"),
)

# A seat of a show is sold at most once: the primary key is the guard in inventory.
sold_seats = sa.Table(
    "sold_seats",
    metadata,
    sa.Column("show_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("seat_id", sa.BigInteger, primary_key=True),
    sa.Column("booking_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("sold_at", sa.DateTime(timezone=True), nullable=False),
)

# One row per booking that was sold or released: a sale and a release of the same booking meet
# on its primary key, so whichever comes second sees the first (a late sale is refused, a late
# release undoes the sale).
sales = sa.Table(
    "sales",
    metadata,
    sa.Column("booking_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("show_id", UUID(as_uuid=True), nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("customer", UUID(as_uuid=True)),  # null for sales made before it was kept
    sa.CheckConstraint("status IN ('sold', 'released')", name="sale_status"),
)

ga_sales = sa.Table(
    "ga_sales",
    metadata,
    sa.Column("booking_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("area_id", sa.BigInteger, primary_key=True),
    sa.Column("show_id", UUID(as_uuid=True), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
)


# A show's on-sale waiting room (inventory.onsale): while it is open, holds need a pass.
waiting_rooms = sa.Table(
    "waiting_rooms",
    metadata,
    sa.Column("show_id", UUID(as_uuid=True), sa.ForeignKey(shows.c.show_id), primary_key=True),
    sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("on_sale_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("admission_rate", sa.Integer, nullable=False),
    sa.Column("pass_ttl_seconds", sa.Integer, nullable=False),
    sa.Column("max_tickets_per_customer", sa.Integer),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    # admission_rate is then the rate to start from; the job follows the confirmations
    sa.Column("auto_rate", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.CheckConstraint("opens_at <= on_sale_at", name="room_opens_before_sale"),
    sa.CheckConstraint("admission_rate > 0 AND pass_ttl_seconds > 0", name="room_positive"),
)

# A sold-out show's waiting list (inventory.waitlist): places that come back are offered in
# the order customers joined, each as a hold reserved for them until offer_expires_at.
waitlist = sa.Table(
    "waitlist",
    metadata,
    sa.Column("show_id", UUID(as_uuid=True), sa.ForeignKey(shows.c.show_id), primary_key=True),
    sa.Column("user_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("state", sa.Text, nullable=False),  # waiting, offered, booked, lapsed, left
    sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("hold_id", sa.Text),
    sa.Column("offer_expires_at", sa.DateTime(timezone=True)),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("quantity > 0", name="waitlist_quantity_positive"),
    sa.Index("ix_waitlist_show_state_joined", "show_id", "state", "joined_at"),
)

# -- typed rows and named queries ---------------------------------------------------------------


@dataclass(frozen=True)
class ShowRow:
    show_id: uuid.UUID
    status: str
    title: str
    starts_at: datetime
    currency: str
    sales_start: datetime
    sales_end: datetime
    max_per_booking: int
    updated_at: datetime
    max_held_per_customer: int | None
    time_zone: str


@dataclass(frozen=True)
class SeatRow:
    seat_id: int
    label: str
    section: str
    row: str
    category: str
    price: int
    x: float
    y: float
    blocked: bool


@dataclass(frozen=True)
class AreaRow:
    area_id: int
    name: str
    category: str
    price: int
    capacity: int
    sold: int


_SEAT_COLUMNS = [seats.c[f.name] for f in fields(SeatRow)]
_AREA_COLUMNS = [ga_areas.c[f.name] for f in fields(AreaRow)]


async def read_show(conn: AsyncConnection, show_id: uuid.UUID) -> ShowRow | None:
    row = (await conn.execute(sa.select(shows).where(shows.c.show_id == show_id))).first()
    return None if row is None else ShowRow(**row._asdict())


async def read_seats(conn: AsyncConnection, show_id: uuid.UUID) -> list[SeatRow]:
    query = sa.select(*_SEAT_COLUMNS).where(seats.c.show_id == show_id).order_by(seats.c.seat_id)
    return [SeatRow(*r) for r in (await conn.execute(query)).all()]


async def read_areas(conn: AsyncConnection, show_id: uuid.UUID) -> list[AreaRow]:
    query = (
        sa.select(*_AREA_COLUMNS).where(ga_areas.c.show_id == show_id).order_by(ga_areas.c.area_id)
    )
    return [AreaRow(*r) for r in (await conn.execute(query)).all()]


async def sold_seat_ids(conn: AsyncConnection, show_id: uuid.UUID) -> set[int]:
    query = sa.select(sold_seats.c.seat_id).where(sold_seats.c.show_id == show_id)
    return set((await conn.scalars(query)).all())


async def write_show(conn: AsyncConnection, layout: ShowLayout, synced: datetime) -> bool:
    """Store a copy of a show read from the catalog at `synced`, unless a copy read later is
    stored already (False then). Seats and areas keep their rows; only prices change."""
    values = {
        "status": layout.status,
        "title": layout.title,
        "starts_at": layout.starts_at,
        "currency": layout.currency,
        "sales_start": layout.sales_start,
        "sales_end": layout.sales_end,
        "max_per_booking": layout.max_per_booking,
        "max_held_per_customer": layout.max_held_per_customer,
        "time_zone": layout.time_zone,
        "updated_at": synced,
    }
    written = await conn.execute(
        pg_insert(shows)
        .values(show_id=layout.show_id, **values)
        .on_conflict_do_update(
            index_elements=[shows.c.show_id], set_=values, where=shows.c.updated_at <= synced
        )
        .returning(shows.c.show_id)
    )
    if written.first() is None:
        return False
    if layout.seats:
        stmt = pg_insert(seats)
        await conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[seats.c.show_id, seats.c.seat_id],
                set_={"price": stmt.excluded.price},
            ),
            [
                {
                    "show_id": layout.show_id,
                    "seat_id": s.id,
                    "label": s.label,
                    "section": s.section,
                    "row": s.row,
                    "category": s.category,
                    "price": s.price,
                    "x": s.x,
                    "y": s.y,
                    "blocked": s.blocked,
                }
                for s in layout.seats
            ],
        )
    if layout.areas:
        stmt = pg_insert(ga_areas)
        await conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[ga_areas.c.show_id, ga_areas.c.area_id],
                set_={"price": stmt.excluded.price},
            ),
            [
                {
                    "show_id": layout.show_id,
                    "area_id": a.id,
                    "name": a.name,
                    "category": a.category,
                    "price": a.price,
                    "capacity": a.capacity,
                }
                for a in layout.areas
            ],
        )
    return True


async def show_status_for_sale(conn: AsyncConnection, show_id: uuid.UUID) -> str | None:
    """The show's status, its row locked FOR SHARE: a cancellation of the show (which updates
    this row) waits for the sales in flight, and a sale after it sees the show cancelled."""
    query = sa.select(shows.c.status).where(shows.c.show_id == show_id).with_for_update(read=True)
    status: str | None = await conn.scalar(query)
    return status


async def claim_sale(
    conn: AsyncConnection,
    booking_id: uuid.UUID,
    show_id: uuid.UUID,
    status: SaleStatus,
    customer: uuid.UUID | None = None,
) -> SaleStatus | None:
    """Record the booking as `status` unless it was recorded before; the earlier status, or
    None when this claim was the first. A claim in flight in another transaction is waited for
    (the primary key), and the earlier row stays locked for us."""
    claimed = await conn.execute(
        pg_insert(sales)
        .values(
            booking_id=booking_id,
            show_id=show_id,
            status=status,
            updated_at=utcnow(),
            customer=customer,
        )
        .on_conflict_do_nothing()
        .returning(sales.c.booking_id)
    )
    if claimed.first() is not None:
        return None
    query = sa.select(sales.c.status).where(sales.c.booking_id == booking_id).with_for_update()
    return SaleStatus(str(await conn.scalar(query)))


async def sale_status(conn: AsyncConnection, booking_id: uuid.UUID) -> SaleStatus | None:
    status = await conn.scalar(sa.select(sales.c.status).where(sales.c.booking_id == booking_id))
    return None if status is None else SaleStatus(status)


async def sell_seats(
    conn: AsyncConnection, show_id: uuid.UUID, booking_id: uuid.UUID, seat_ids: tuple[int, ...]
) -> int:
    """Record the seats sold to the booking; how many were not sold before."""
    now = utcnow()
    inserted = await conn.execute(
        pg_insert(sold_seats)
        .values(
            [
                {"show_id": show_id, "seat_id": s, "booking_id": booking_id, "sold_at": now}
                for s in seat_ids
            ]
        )
        .on_conflict_do_nothing()
        .returning(sold_seats.c.seat_id)
    )
    return len(inserted.all())


async def sell_places(
    conn: AsyncConnection, show_id: uuid.UUID, booking_id: uuid.UUID, area_id: int, qty: int
) -> bool:
    """Record general-admission places sold to the booking; False if the area has no room."""
    await conn.execute(
        sa.insert(ga_sales).values(
            booking_id=booking_id, area_id=area_id, show_id=show_id, quantity=qty
        )
    )
    room = await conn.execute(
        sa.update(ga_areas)
        .where(
            ga_areas.c.show_id == show_id,
            ga_areas.c.area_id == area_id,
            ga_areas.c.sold + qty <= ga_areas.c.capacity,
        )
        .values(sold=ga_areas.c.sold + qty)
        .returning(ga_areas.c.sold)
    )
    return room.first() is not None


async def unsell(
    conn: AsyncConnection, show_id: uuid.UUID, booking_id: uuid.UUID
) -> tuple[list[int], list[tuple[int, int]]]:
    """Give back what the booking bought: its seats and its places (area, quantity)."""
    await conn.execute(
        sa.update(sales)
        .where(sales.c.booking_id == booking_id)
        .values(status=SaleStatus.RELEASED, updated_at=utcnow())
    )
    seat_ids = list(
        await conn.scalars(
            sa.delete(sold_seats)
            .where(sold_seats.c.booking_id == booking_id)
            .returning(sold_seats.c.seat_id)
        )
    )
    deleted = await conn.execute(
        sa.delete(ga_sales)
        .where(ga_sales.c.booking_id == booking_id)
        .returning(ga_sales.c.area_id, ga_sales.c.quantity)
    )
    areas = [(int(r.area_id), int(r.quantity)) for r in deleted.all()]
    for area_id, qty in areas:
        await conn.execute(
            sa.update(ga_areas)
            .where(ga_areas.c.show_id == show_id, ga_areas.c.area_id == area_id)
            .values(sold=ga_areas.c.sold - qty)
        )
    return seat_ids, areas


async def read_room(conn: AsyncConnection, show_id: uuid.UUID) -> Room | None:
    query = sa.select(waiting_rooms).where(waiting_rooms.c.show_id == show_id)
    row = (await conn.execute(query)).first()
    return None if row is None else Room(**row._asdict())


async def read_rooms(conn: AsyncConnection) -> list[Room]:
    return [Room(**r._asdict()) for r in (await conn.execute(sa.select(waiting_rooms))).all()]


async def write_room(conn: AsyncConnection, room: Room) -> None:
    values = dataclasses.asdict(room)
    insert = pg_insert(waiting_rooms).values(**values)
    await conn.execute(
        insert.on_conflict_do_update(
            index_elements=[waiting_rooms.c.show_id],
            set_={k: insert.excluded[k] for k in values if k != "show_id"},
        )
    )


async def delete_room(conn: AsyncConnection, show_id: uuid.UUID) -> bool:
    done = await conn.execute(sa.delete(waiting_rooms).where(waiting_rooms.c.show_id == show_id))
    return bool(done.rowcount)


async def bought_by_customer(conn: AsyncConnection, show_id: uuid.UUID) -> dict[str, int]:
    """Places sold per customer (hex id) of the show: seats and general-admission places."""
    seats = (
        sa.select(sales.c.customer, sa.func.count().label("n"))
        .join(sold_seats, sold_seats.c.booking_id == sales.c.booking_id)
        .where(sales.c.show_id == show_id, sales.c.customer.is_not(None))
        .group_by(sales.c.customer)
    )
    places = (
        sa.select(sales.c.customer, sa.func.sum(ga_sales.c.quantity).label("n"))
        .join(ga_sales, ga_sales.c.booking_id == sales.c.booking_id)
        .where(sales.c.show_id == show_id, sales.c.customer.is_not(None))
        .group_by(sales.c.customer)
    )
    out: dict[str, int] = {}
    for query in (seats, places):
        for customer, n in (await conn.execute(query)).all():
            out[customer.hex] = out.get(customer.hex, 0) + int(n)
    return out


@dataclass(frozen=True)
class WaitRow:
    show_id: uuid.UUID
    user_id: uuid.UUID
    quantity: int
    state: str
    joined_at: datetime
    hold_id: str | None
    offer_expires_at: datetime | None
    updated_at: datetime


async def waitlist_entry(
    conn: AsyncConnection, show_id: uuid.UUID, user_id: uuid.UUID
) -> WaitRow | None:
    query = sa.select(waitlist).where(waitlist.c.show_id == show_id, waitlist.c.user_id == user_id)
    row = (await conn.execute(query)).first()
    return None if row is None else WaitRow(**row._asdict())


async def waitlist_join(
    conn: AsyncConnection, show_id: uuid.UUID, user_id: uuid.UUID, quantity: int
) -> tuple[WaitRow, bool]:
    """The customer's entry and whether they joined now: a customer waiting or holding an
    offer keeps their place; one whose offer lapsed, who booked or who left joins again at
    the end."""
    now = utcnow()
    insert = pg_insert(waitlist).values(
        show_id=show_id,
        user_id=user_id,
        quantity=quantity,
        state="waiting",
        joined_at=now,
        updated_at=now,
    )
    joined = await conn.execute(
        insert.on_conflict_do_update(
            index_elements=[waitlist.c.show_id, waitlist.c.user_id],
            set_={
                "quantity": quantity,
                "state": "waiting",
                "joined_at": now,
                "hold_id": None,
                "offer_expires_at": None,
                "updated_at": now,
            },
            where=waitlist.c.state.not_in(("waiting", "offered")),
        ).returning(*waitlist.c)
    )
    row = joined.first()
    if row is not None:
        return WaitRow(**row._asdict()), True
    entry = await waitlist_entry(conn, show_id, user_id)
    assert entry is not None, (show_id, user_id)
    return entry, False


async def waitlist_ahead(conn: AsyncConnection, show_id: uuid.UUID, joined_at: datetime) -> int:
    """Customers waiting who joined before this moment."""
    query = sa.select(sa.func.count()).where(
        waitlist.c.show_id == show_id,
        waitlist.c.state == "waiting",
        waitlist.c.joined_at < joined_at,
    )
    return int(await conn.scalar(query) or 0)


async def waitlist_waiting(conn: AsyncConnection, show_id: uuid.UUID) -> int:
    query = sa.select(sa.func.count()).where(
        waitlist.c.show_id == show_id, waitlist.c.state == "waiting"
    )
    return int(await conn.scalar(query) or 0)


async def waitlist_counts(conn: AsyncConnection, show_id: uuid.UUID) -> dict[str, int]:
    query = (
        sa.select(waitlist.c.state, sa.func.count())
        .where(waitlist.c.show_id == show_id)
        .group_by(waitlist.c.state)
    )
    return {state: int(n) for state, n in (await conn.execute(query)).all()}


async def waitlist_shows(conn: AsyncConnection) -> list[uuid.UUID]:
    """Shows with customers waiting or holding an offer."""
    query = (
        sa.select(waitlist.c.show_id).where(waitlist.c.state.in_(("waiting", "offered"))).distinct()
    )
    return list(await conn.scalars(query))


async def waitlist_rows(
    conn: AsyncConnection, show_id: uuid.UUID, state: str, limit: int
) -> list[WaitRow]:
    query = (
        sa.select(waitlist)
        .where(waitlist.c.show_id == show_id, waitlist.c.state == state)
        .order_by(waitlist.c.joined_at, waitlist.c.user_id)
        .limit(limit)
    )
    return [WaitRow(**r._asdict()) for r in (await conn.execute(query)).all()]


async def waitlist_move(
    conn: AsyncConnection,
    show_id: uuid.UUID,
    user_id: uuid.UUID,
    from_states: tuple[str, ...],
    state: str,
    hold_id: str | None = None,
    offer_expires_at: datetime | None = None,
) -> bool:
    """Move an entry on (only from `from_states`: a move that lost a race changes nothing)."""
    values: dict[str, object] = {"state": state, "updated_at": utcnow()}
    if hold_id is not None:
        values |= {"hold_id": hold_id, "offer_expires_at": offer_expires_at}
    done = await conn.execute(
        sa.update(waitlist)
        .where(
            waitlist.c.show_id == show_id,
            waitlist.c.user_id == user_id,
            waitlist.c.state.in_(from_states),
        )
        .values(**values)
    )
    return bool(done.rowcount)
