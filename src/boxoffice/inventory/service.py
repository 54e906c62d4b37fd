"""Inventory use cases: seat maps, holds, and turning holds into sales."""

from __future__ import annotations

import asyncio
import gzip
import logging
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from boxoffice.catalog.contract import CatalogClient, ShowLayout
from boxoffice.inventory.contract import HeldPlaces, HeldSeat, HoldView, SeatsReleased, SeatsSold
from boxoffice.inventory.domain import (
    HoldExpired,
    HoldInUse,
    HoldRequest,
    NotOnSale,
    SeatsTaken,
    SoldOut,
    TooManyHolds,
    TooManySeats,
    UnknownHold,
    UnknownSeats,
    UnknownShow,
    ga_csv,
    new_hold_id,
    parse_ga_csv,
    show_of_hold,
)
from boxoffice.inventory.holdstore import HoldStore
from boxoffice.inventory.store import ga_areas, ga_sales, sales, seats, shows, sold_seats
from boxoffice.kernel.auth import Principal
from boxoffice.kernel.db import utcnow
from boxoffice.kernel.events import Envelope
from boxoffice.kernel.messaging import ServiceStore, UnitOfWork
from boxoffice.kernel.telemetry import ACTIVE_HOLDS, HOLDS

log = logging.getLogger(__name__)

SHOW_CACHE_SECONDS = 5.0


def _ms(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


def _ms_int(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _at(ms: str | int) -> datetime:
    return datetime.fromtimestamp(int(ms) / 1000, UTC)


def _meta(show: Any) -> dict[str, str]:
    """What the hold script checks of a show (a ShowLayout or an inventory.shows row)."""
    return {
        "status": show.status,
        "sales_start": _ms(show.sales_start),
        "sales_end": _ms(show.sales_end),
        "max": str(show.max_per_booking),
    }


async def _claim_sale(
    uow: UnitOfWork, booking_id: uuid.UUID, show_id: uuid.UUID, status: str
) -> str | None:
    """Record the booking as `status` (sold or released) unless it was recorded before; the
    earlier status, or None when this claim was the first. A claim in flight in another
    transaction is waited for (the primary key), and the earlier row stays locked for us."""
    claimed = await uow.execute(
        pg_insert(sales)
        .values(booking_id=booking_id, show_id=show_id, status=status, updated_at=utcnow())
        .on_conflict_do_nothing()
        .returning(sales.c.booking_id)
    )
    if claimed.first() is not None:
        return None
    return str(
        await uow.conn.scalar(
            sa.select(sales.c.status).where(sales.c.booking_id == booking_id).with_for_update()
        )
    )


def _prices(quoted: str | None, current: list[int]) -> list[int]:
    if quoted is None:
        return current
    return [int(p) for p in quoted.split(",")] if quoted else []


@dataclass
class ShowData:
    """A show's static inventory (layout, prices), cached in the process for a few seconds."""

    row: Any
    seats: dict[int, Any]
    areas: dict[int, Any]
    loaded_at: float
    rendered: dict[int, bytes]  # seat map bodies by version
    compressed: dict[int, bytes] = field(default_factory=dict)  # the same, gzipped


class _Lost(Exception):
    """The hold could not be sold; roll the sale back."""


class InventoryService:
    def __init__(
        self,
        store: ServiceStore,
        holds: HoldStore,
        catalog: CatalogClient,
        hold_ttl_seconds: int,
        held_per_customer: int = 10,
    ) -> None:
        # Places a customer may have in live holds and pending bookings of one show, unless
        # the show sets its own limit.
        self.held_per_customer = held_per_customer
        self.store = store
        self.holds = holds
        self.catalog = catalog
        self.hold_ttl_ms = hold_ttl_seconds * 1000
        self._shows: dict[uuid.UUID, ShowData] = {}
        self._load_locks: dict[uuid.UUID, asyncio.Lock] = {}
        # One reader per show refreshes its cached layout or draws a new map version; the
        # others wait for it (a crowd arriving at a 20,000-seat show would otherwise do it
        # once each, all at the same moment).
        self._show_locks: dict[uuid.UUID, asyncio.Lock] = {}
        self._draw_locks: dict[uuid.UUID, asyncio.Lock] = {}
        self._refreshing: dict[uuid.UUID, asyncio.Task[None]] = {}

    # -- show data ----------------------------------------------------------------------

    async def show(self, show_id: uuid.UUID) -> ShowData:
        cached = self._shows.get(show_id)
        if cached is not None:
            # A layout older than SHOW_CACHE_SECONDS is still answered at once and refreshed
            # in the background: callers such as a booking's attach_hold hold a database
            # connection of their own, and hundreds of them waiting for a second one to
            # refresh the layout would empty the pool and wait on each other.
            if time.monotonic() - cached.loaded_at >= SHOW_CACHE_SECONDS:
                self._refresh_later(show_id)
            return cached
        async with self._show_locks.setdefault(show_id, asyncio.Lock()):
            cached = self._shows.get(show_id)
            if cached is not None:
                return cached
            return await self._refresh_show(show_id, None)

    def _refresh_later(self, show_id: uuid.UUID) -> None:
        if show_id in self._refreshing:
            return

        async def refresh() -> None:
            try:
                async with self._show_locks.setdefault(show_id, asyncio.Lock()):
                    await self._refresh_show(show_id, self._shows.get(show_id))
            except Exception:
                log.exception("refreshing show %s failed; keeping the cached layout", show_id)
            finally:
                self._refreshing.pop(show_id, None)

        self._refreshing[show_id] = asyncio.create_task(refresh())

    async def _refresh_show(self, show_id: uuid.UUID, cached: ShowData | None) -> ShowData:
        async with self.store.engine.connect() as conn:
            row = (await conn.execute(sa.select(shows).where(shows.c.show_id == show_id))).first()
            if row is None:
                raise UnknownShow(f"No show {show_id} is on sale.")
            if cached is not None and cached.row.updated_at == row.updated_at:
                cached.loaded_at = time.monotonic()
                return cached
            seat_rows = (
                await conn.execute(
                    sa.select(seats).where(seats.c.show_id == show_id).order_by(seats.c.seat_id)
                )
            ).all()
            area_rows = (
                await conn.execute(
                    sa.select(ga_areas)
                    .where(ga_areas.c.show_id == show_id)
                    .order_by(ga_areas.c.area_id)
                )
            ).all()
        data = ShowData(
            row=row,
            seats={s.seat_id: s for s in seat_rows},
            areas={a.area_id: a for a in area_rows},
            loaded_at=time.monotonic(),
            rendered={},
        )
        self._shows[show_id] = data
        return data

    async def on_show_changed(self, uow: UnitOfWork, event: Envelope) -> None:
        """A show was published, changed or cancelled: copy it from the catalog."""
        show_id = uuid.UUID(event.payload["show_id"])
        # The copy's version is the moment it was read: of two copies written in any order,
        # the one read later wins, in Redis (set_meta) and in PostgreSQL (record_show).
        synced = utcnow()
        layout = await self.catalog.show_layout(show_id)
        # Redis first, outside any lock: if it fails, the event fails and comes again (the
        # inbox row rolls back with it), so the hold store learns every change at least once.
        await self.holds.set_meta(show_id, _meta(layout), _ms_int(synced))
        if layout.status != "published":
            await self.holds.run("close", show_id)  # a cancelled show's live holds end now
        await self.record_show(uow, layout, synced)

        async def refresh() -> None:  # an optimisation: a hold would load the show itself
            self._shows.pop(show_id, None)
            try:
                if await self.holds.version(show_id) == 0:
                    await self.load(show_id)
            except Exception:
                log.exception("preloading show %s into the hold store failed", show_id)

        uow.after_commit.append(refresh)

    async def record_show(self, uow: UnitOfWork, layout: ShowLayout, synced: datetime) -> None:
        """Store a copy of a show read from the catalog at `synced`, unless a copy read later
        is stored already."""
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
        written = await uow.execute(
            pg_insert(shows)
            .values(show_id=layout.show_id, **values)
            .on_conflict_do_update(
                index_elements=[shows.c.show_id],
                set_=values,
                where=shows.c.updated_at <= synced,
            )
            .returning(shows.c.show_id)
        )
        if written.first() is None:
            return  # a newer copy is stored
        if layout.seats:
            stmt = pg_insert(seats)
            await uow.execute(
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
            await uow.execute(
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

    async def load(self, show_id: uuid.UUID) -> None:
        """(Re)build a show's hold-store keys from PostgreSQL, e.g. after Redis lost its data."""
        lock = self._load_locks.setdefault(show_id, asyncio.Lock())
        async with lock:
            data = await self.show(show_id)
            async with self.store.engine.connect() as conn:
                row = (await conn.execute(sa.select(shows).where(shows.c.show_id == show_id))).one()
                sold = {
                    r.seat_id
                    for r in (
                        await conn.execute(
                            sa.select(sold_seats.c.seat_id).where(sold_seats.c.show_id == show_id)
                        )
                    ).all()
                }
                areas = (
                    await conn.execute(sa.select(ga_areas).where(ga_areas.c.show_id == show_id))
                ).all()
            states = {
                seat_id: "S" if seat_id in sold else ("B" if s.blocked else "0")
                for seat_id, s in data.seats.items()
            }
            await self.holds.load(
                show_id,
                _meta(row),
                _ms_int(row.updated_at),
                states,
                {a.area_id: (a.capacity, a.sold) for a in areas},
            )

    # -- holds --------------------------------------------------------------------------

    async def place_hold(
        self, user: Principal, show_id: uuid.UUID, request: HoldRequest, idempotency_key: str | None
    ) -> dict[str, Any]:
        hold_id = new_hold_id(show_id)
        idem = (
            self.holds.idem_key(show_id, user.user_id, idempotency_key) if idempotency_key else ""
        )
        seats_csv, areas_csv = ",".join(map(str, request.seat_ids)), ga_csv(request.ga)
        fingerprint = f"{seats_csv};{areas_csv}"  # what the idempotency key was used for
        # The hold keeps the prices of the seat map the customer was shown (this process's
        # copy of the show): a later price change applies to new holds only.
        data = await self.show(show_id)
        seat_prices = ",".join(
            str(data.seats[s].price if s in data.seats else 0) for s in request.seat_ids
        )
        area_prices = ",".join(
            str(data.areas[a].price if a in data.areas else 0) for a, _ in request.ga
        )
        args = (
            hold_id,
            user.user_id.hex,
            self.hold_ttl_ms,
            seats_csv,
            areas_csv,
            idem,
            fingerprint,
            data.row.max_held_per_customer or self.held_per_customer,
            seat_prices,
            area_prices,
        )
        answer = await self.holds.run("hold", show_id, *args)
        if answer[0] == "unloaded":
            await self.load(show_id)
            answer = await self.holds.run("hold", show_id, *args)
        HOLDS.labels("granted" if answer[0] == "ok" else answer[0]).inc()
        match answer:
            case ["ok", expires, _]:
                return {
                    "hold_id": hold_id,
                    "show_id": show_id,
                    "seat_ids": list(request.seat_ids),
                    "ga": [{"area_id": a, "quantity": q} for a, q in request.ga],
                    "expires_at": _at(expires),
                }
            case ["repeat", previous]:
                return await self.get_hold(user, previous)
            case ["key_reused"]:
                raise HoldInUse("This Idempotency-Key was already used for other seats.")
            case ["too_many_holds", limit]:
                raise TooManyHolds(
                    f"At most {limit} places per customer may be held or awaiting payment for "
                    "this show at once; book or release a hold first.",
                    limit=int(limit),
                )
            case ["taken", csv]:
                taken = [int(s) for s in csv.split(",")]
                data = await self.show(show_id)
                labels = [data.seats[s].label for s in taken if s in data.seats]
                raise SeatsTaken(
                    f"Already taken: {', '.join(labels)}. Pick other seats.",
                    seat_ids=taken,
                    seats=labels,
                )
            case ["unknown", csv]:
                raise UnknownSeats(
                    f"These seats are not in this show: {csv}.",
                    seat_ids=[int(s) for s in csv.split(",")],
                )
            case ["unknown_area", area]:
                raise UnknownSeats(f"Area {area} is not in this show.", area_id=int(area))
            case ["ga_full", area, left]:
                raise SoldOut(
                    f"Only {left} places left in area {area}.",
                    area_id=int(area),
                    available=int(left),
                )
            case ["too_many", limit]:
                raise TooManySeats(
                    f"At most {limit} tickets per booking for this show.", limit=int(limit)
                )
            case ["closed", status]:
                raise NotOnSale(f"This show is {status}; it sells nothing.")
            case ["not_on_sale", start, end]:
                raise NotOnSale(
                    f"Sales run from {_at(start).isoformat()} to {_at(end).isoformat()}.",
                    sales_start=_at(start).isoformat(),
                    sales_end=_at(end).isoformat(),
                )
            case ["unloaded"]:
                raise UnknownShow(f"No show {show_id} is on sale.")
        raise RuntimeError(f"unexpected hold-store answer {answer!r}")

    async def _hold_data(self, hold_id: str) -> tuple[uuid.UUID, dict[str, str]]:
        show_id = show_of_hold(hold_id)
        data = await self.holds.hold(show_id, hold_id)
        if not data:
            raise UnknownHold(f"No hold {hold_id}; it may have expired.")
        return show_id, data

    async def view(self, hold_id: str, show_id: uuid.UUID, data: dict[str, str]) -> HoldView:
        show = await self.show(show_id)
        seat_ids = [int(s) for s in filter(None, data.get("seats", "").split(","))]
        areas = parse_ga_csv(data.get("ga", ""))
        # The prices quoted when the seats were held (holds made before prices were kept
        # with the hold are priced from the show).
        seat_prices = _prices(data.get("sp"), [show.seats[s].price for s in seat_ids])
        area_prices = _prices(data.get("gp"), [show.areas[a].price for a, _ in areas])
        return HoldView(
            hold_id=hold_id,
            show_id=show_id,
            user_id=uuid.UUID(data["user"]),
            expires_at=_at(data["expires"]),
            currency=show.row.currency,
            show_title=show.row.title,
            show_starts_at=show.row.starts_at,
            time_zone=show.row.time_zone,
            booking_id=uuid.UUID(data["booking"]) if data.get("booking") else None,
            seats=[
                HeldSeat(
                    seat_id=s,
                    label=show.seats[s].label,
                    section=show.seats[s].section,
                    row=show.seats[s].row,
                    category=show.seats[s].category,
                    price=price,
                )
                for s, price in zip(seat_ids, seat_prices, strict=True)
            ],
            areas=[
                HeldPlaces(
                    area_id=a,
                    name=show.areas[a].name,
                    category=show.areas[a].category,
                    quantity=q,
                    price=price,
                )
                for (a, q), price in zip(areas, area_prices, strict=True)
            ],
        )

    async def get_hold(self, user: Principal, hold_id: str) -> dict[str, Any]:
        show_id, data = await self._hold_data(hold_id)
        if uuid.UUID(data["user"]) != user.user_id and not user.is_admin:
            raise UnknownHold(f"No hold {hold_id}; it may have expired.")
        view = await self.view(hold_id, show_id, data)
        state = data.get("state", "held")
        if state == "held" and view.expires_at <= datetime.now(UTC):
            state = "expired"
        return {
            "hold_id": hold_id,
            "show_id": show_id,
            "state": state,
            "seat_ids": [s.seat_id for s in view.seats],
            "seats": [asdict(x) for x in view.seats],
            "ga": [asdict(x) for x in view.areas],
            "expires_at": view.expires_at,
            "currency": view.currency,
            "total": view.total,
            "booking_id": view.booking_id,
        }

    async def release_hold(self, user: Principal, hold_id: str) -> None:
        show_id, data = await self._hold_data(hold_id)
        if uuid.UUID(data["user"]) != user.user_id and not user.is_admin:
            raise UnknownHold(f"No hold {hold_id}; it may have expired.")
        if data.get("booking"):
            raise HoldInUse(
                "This hold is being paid for; cancel the booking instead.",
                booking_id=data["booking"],
            )
        await self.holds.run("release", show_id, hold_id, "")

    # -- contract for the booking saga --------------------------------------------------

    async def attach_hold(
        self, hold_id: str, user_id: uuid.UUID, booking_id: uuid.UUID, extend_seconds: float
    ) -> HoldView:
        show_id = show_of_hold(hold_id)
        answer = await self.holds.run(
            "attach", show_id, hold_id, user_id.hex, str(booking_id), int(extend_seconds * 1000)
        )
        match answer[0]:
            case "ok":
                return await self.view(hold_id, show_id, await self.holds.hold(show_id, hold_id))
            case "missing" | "not_yours":
                raise UnknownHold(f"No hold {hold_id}; it may have expired.")
            case "attached" | "sold":
                raise HoldInUse("This hold already belongs to another booking.")
            case "expired":
                raise HoldExpired("This hold has expired; hold the seats again.")
            case "closed":
                raise NotOnSale(f"This show is {answer[1]}; it sells nothing.")
            case "not_on_sale":
                raise NotOnSale(f"Sales for this show ended at {_at(answer[2]).isoformat()}.")
        raise RuntimeError(f"unexpected hold-store answer {answer!r}")

    async def sell_hold(self, hold_id: str, booking_id: uuid.UUID) -> bool:
        """Sell the booking's hold: True once its places are sold (again True on a repeat),
        False if the hold was lost (expired, released, or the show is no longer on sale).

        Redis first, then PostgreSQL: if the PostgreSQL sale fails or is refused after Redis
        marked the seats sold, the booking fails and its release frees what Redis marked (see
        release_booking), and a retried sale finds the hold sold in Redis and records it."""
        show_id = show_of_hold(hold_id)
        answer = await self.holds.run("sell", show_id, hold_id, str(booking_id))
        match answer:
            case ["ok", seats_csv, areas_csv]:
                seat_ids = [int(s) for s in filter(None, seats_csv.split(","))]
                areas = parse_ga_csv(areas_csv)
            case ["missing"]:
                return await self._sold_to(booking_id)  # sold before and the hold is gone
            case _:
                return False  # expired, released, closed, or another booking's
        try:
            async with self.store.uow() as uow:
                if await self._record_sale(uow, show_id, booking_id, seat_ids, areas):
                    uow.emit(
                        SeatsSold(
                            show_id=str(show_id), booking_id=str(booking_id), seat_ids=seat_ids
                        )
                    )
        except _Lost as lost:
            log.info("the sale of hold %s to booking %s was refused: %s", hold_id, booking_id, lost)
            return False
        return True

    async def _sold_to(self, booking_id: uuid.UUID) -> bool:
        async with self.store.engine.connect() as conn:
            status = await conn.scalar(
                sa.select(sales.c.status).where(sales.c.booking_id == booking_id)
            )
        return status == "sold"

    async def _record_sale(
        self,
        uow: UnitOfWork,
        show_id: uuid.UUID,
        booking_id: uuid.UUID,
        seat_ids: list[int],
        areas: list[tuple[int, int]],
    ) -> bool:
        """Record the sale in PostgreSQL; False if it was recorded before. Raises _Lost when
        the show is not on sale, the booking was released, or a place is gone."""
        # FOR SHARE: a cancellation of the show (which updates this row) waits for the sales
        # in flight, and a sale after it sees the show cancelled.
        status = await uow.conn.scalar(
            sa.select(shows.c.status).where(shows.c.show_id == show_id).with_for_update(read=True)
        )
        if status != "published":
            raise _Lost(f"the show is {status}")
        previous = await _claim_sale(uow, booking_id, show_id, "sold")
        if previous == "sold":
            return False
        if previous == "released":
            raise _Lost("the booking was released")
        if seat_ids:
            inserted = await uow.execute(
                pg_insert(sold_seats)
                .values(
                    [
                        {
                            "show_id": show_id,
                            "seat_id": s,
                            "booking_id": booking_id,
                            "sold_at": utcnow(),
                        }
                        for s in seat_ids
                    ]
                )
                .on_conflict_do_nothing()
                .returning(sold_seats.c.seat_id)
            )
            if len(inserted.all()) != len(seat_ids):
                raise _Lost("a seat was sold to another booking")
        for area_id, qty in areas:
            await uow.execute(
                sa.insert(ga_sales).values(
                    booking_id=booking_id, area_id=area_id, show_id=show_id, quantity=qty
                )
            )
            room = await uow.execute(
                sa.update(ga_areas)
                .where(
                    ga_areas.c.show_id == show_id,
                    ga_areas.c.area_id == area_id,
                    ga_areas.c.sold + qty <= ga_areas.c.capacity,
                )
                .values(sold=ga_areas.c.sold + qty)
                .returning(ga_areas.c.sold)
            )
            if room.first() is None:
                raise _Lost("general-admission area sold out")
        return True

    # -- saga compensation (events) -----------------------------------------------------

    async def release_booking(self, uow: UnitOfWork, event: Envelope) -> None:
        """A booking failed or was cancelled: give back whatever PostgreSQL sold it, and
        announce it (SeatsReleased), which frees its hold and seats in Redis (apply_release)."""
        payload = event.payload
        booking_id = uuid.UUID(payload["booking_id"])
        show_id = uuid.UUID(payload["show_id"])
        seat_ids: list[int] = []
        areas: list[tuple[int, int]] = []
        # Claiming the booking's sales row first: a sale in flight for it is waited for, and
        # a sale that comes later finds it released and is refused.
        if await _claim_sale(uow, booking_id, show_id, "released") == "sold":
            seat_ids, areas = await self._unrecord_sale(uow, show_id, booking_id)
        uow.emit(
            SeatsReleased(
                show_id=str(show_id),
                booking_id=str(booking_id),
                seat_ids=seat_ids,
                hold_id=payload.get("hold_id") or "",
                ga=[{"area_id": a, "quantity": q} for a, q in areas],
            )
        )

    async def _unrecord_sale(
        self, uow: UnitOfWork, show_id: uuid.UUID, booking_id: uuid.UUID
    ) -> tuple[list[int], list[tuple[int, int]]]:
        await uow.execute(
            sa.update(sales)
            .where(sales.c.booking_id == booking_id)
            .values(status="released", updated_at=utcnow())
        )
        seat_ids = list(
            (
                await uow.execute(
                    sa.delete(sold_seats)
                    .where(sold_seats.c.booking_id == booking_id)
                    .returning(sold_seats.c.seat_id)
                )
            ).scalars()
        )
        areas = [
            (r.area_id, r.quantity)
            for r in (
                await uow.execute(
                    sa.delete(ga_sales)
                    .where(ga_sales.c.booking_id == booking_id)
                    .returning(ga_sales.c.area_id, ga_sales.c.quantity)
                )
            ).all()
        ]
        for area_id, qty in areas:
            await uow.execute(
                sa.update(ga_areas)
                .where(ga_areas.c.show_id == show_id, ga_areas.c.area_id == area_id)
                .values(sold=ga_areas.c.sold - qty)
            )
        return seat_ids, areas

    async def apply_release(self, uow: UnitOfWork, event: Envelope) -> None:
        """inventory.seats.released, to ourselves: free the booking's hold and sold seats in
        Redis. Runs at least once (a failure is retried like any event) and changes Redis once
        per booking, however often it runs."""
        del uow  # nothing to write in PostgreSQL but the inbox row
        payload = event.payload
        await self.holds.run(
            "release_booking",
            uuid.UUID(payload["show_id"]),
            payload.get("hold_id") or "",
            payload["booking_id"],
            ",".join(map(str, payload.get("seat_ids", []))),
            ga_csv([(g["area_id"], g["quantity"]) for g in payload.get("ga", [])]),
        )

    async def sweep(self, lease_ms: int = 900) -> int:
        """Free the seats of holds whose time is up, show by show; one replica per interval."""
        freed = 0
        if not await self.holds.lease("hold-sweep", lease_ms):
            return 0
        active = await self.holds.active_shows()
        for show_id in active:
            answer = await self.holds.run("purge", show_id)
            freed += int(answer[1]) if len(answer) > 1 else 0
        ACTIVE_HOLDS.set(await self.holds.live_holds(active))
        return freed

    # -- seat map -----------------------------------------------------------------------

    async def seat_map(self, show_id: uuid.UUID, *, gzipped: bool = False) -> tuple[int, bytes]:
        """The seat map as JSON (or gzipped JSON), drawn once per version of the show."""
        data = await self.show(show_id)
        # Browsing crowds mostly ask for a map that has not changed since it was drawn: one
        # HMGET of the version then, instead of reading every seat's state.
        version = await self.holds.version(show_id)
        cached = (data.compressed if gzipped else data.rendered).get(version) if version else None
        if cached is not None:
            return version, cached
        async with self._draw_locks.setdefault(show_id, asyncio.Lock()):
            version, body = await self._draw(show_id, data)
            if not gzipped:
                return version, body
            zipped = data.compressed.get(version)
            if zipped is None:
                # ~12× smaller; 14 ms for 2.6 MB, in a thread (zlib lets go of the GIL)
                zipped = await asyncio.to_thread(gzip.compress, body, compresslevel=1, mtime=0)
                data.compressed = {version: zipped}
            return version, zipped

    async def _draw(self, show_id: uuid.UUID, data: ShowData) -> tuple[int, bytes]:
        version = await self.holds.version(show_id)  # drawn while we waited?
        if version and (body := data.rendered.get(version)) is not None:
            return version, body
        version, states, live = await self.holds.states(show_id)
        if version == 0:
            await self.load(show_id)
            version, states, live = await self.holds.states(show_id)
        body = data.rendered.get(version)
        if body is not None:
            return version, body
        used = await self.holds.ga_used(show_id)
        names = {"0": "available", "B": "blocked", "S": "sold"}

        def state(seat_id: int) -> str:
            value = states.get(str(seat_id), "0")
            if value.startswith("H"):
                return "held" if value[1:] in live else "available"
            return names.get(value, "available")

        row = data.row
        body = orjson.dumps(
            {
                "show_id": show_id,
                "version": version,
                "status": row.status,
                "currency": row.currency,
                "max_per_booking": row.max_per_booking,
                "seats": [
                    {
                        "id": s.seat_id,
                        "label": s.label,
                        "section": s.section,
                        "row": s.row,
                        "category": s.category,
                        "price": s.price,
                        "x": s.x,
                        "y": s.y,
                        "state": state(s.seat_id),
                    }
                    for s in data.seats.values()
                ],
                "ga_areas": [
                    {
                        "id": a.area_id,
                        "name": a.name,
                        "category": a.category,
                        "price": a.price,
                        "capacity": a.capacity,
                        "available": max(0, a.capacity - int(used.get(str(a.area_id), a.sold))),
                    }
                    for a in data.areas.values()
                ],
            }
        )
        data.rendered = {version: body}
        return version, body

    async def seat_map_version(self, show_id: uuid.UUID) -> int:
        return await self.holds.version(show_id)
