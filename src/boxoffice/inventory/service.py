"""Inventory use cases: shows copied from the catalog, holds, and turning holds into sales."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from boxoffice.booking.contract import BookingCancelled, BookingFailed
from boxoffice.catalog.contract import (
    CatalogClient,
    ShowCancelled,
    ShowChanged,
    ShowLayout,
    ShowPublished,
)
from boxoffice.inventory import store
from boxoffice.inventory.contract import HeldPlaces, HeldSeat, HoldView, SeatsReleased
from boxoffice.inventory.domain import (
    HoldExpired,
    HoldInUse,
    HoldRequest,
    NotOnSale,
    SeatsTaken,
    SeatState,
    SoldOut,
    TicketLimitReached,
    TooManyHolds,
    TooManySeats,
    UnknownHold,
    UnknownSeats,
    UnknownShow,
    hold_state,
    new_hold_id,
    sells,
    show_of_hold,
)
from boxoffice.inventory.layout import LRU, SHOW_CACHE_SIZE, Layouts, ShowData
from boxoffice.inventory.onsale import AdmissionRequired, Signer, no_pass, queue_path
from boxoffice.inventory.ports import (
    AdmissionNeeded,
    AlreadySold,
    AreaFull,
    Attached,
    AttachedElsewhere,
    Closed,
    Expired,
    Held,
    HoldAnswer,
    HoldAsk,
    HoldRecord,
    HoldStorePort,
    KeyReused,
    Missing,
    NotYours,
    OffSale,
    OverBookingLimit,
    OverCustomerLimit,
    OverTicketLimit,
    PassSpent,
    Repeat,
    RoomRule,
    ShowMeta,
    Taken,
    UnknownArea,
    Unloaded,
)
from boxoffice.inventory.ports import UnknownSeats as UnknownSeatIds
from boxoffice.inventory.sales import Sales
from boxoffice.inventory.seatmap import SeatMaps
from boxoffice.kernel.auth import Principal
from boxoffice.kernel.config import default
from boxoffice.kernel.db import utcnow
from boxoffice.kernel.messaging import ServiceStore, UnitOfWork
from boxoffice.kernel.telemetry import ACTIVE_HOLDS, HOLDS

log = logging.getLogger(__name__)

ShowEvent = ShowPublished | ShowChanged | ShowCancelled


def _meta(show: store.ShowRow | ShowLayout) -> ShowMeta:
    """What the hold store checks of a show (a ShowLayout or an inventory.shows row)."""
    return ShowMeta(show.status, show.sales_start, show.sales_end, show.max_per_booking)


# The hold metric's labels, as the hold script names its answers.
_OUTCOMES: dict[type[HoldAnswer], str] = {
    Held: "granted",
    Repeat: "repeat",
    KeyReused: "key_reused",
    OverCustomerLimit: "too_many_holds",
    Taken: "taken",
    UnknownSeatIds: "unknown",
    UnknownArea: "unknown_area",
    AreaFull: "ga_full",
    OverBookingLimit: "too_many",
    Closed: "closed",
    OffSale: "not_on_sale",
    AdmissionNeeded: "admission_required",
    PassSpent: "pass_spent",
    OverTicketLimit: "ticket_limit",
    Unloaded: "unloaded",
}


class InventoryService:
    def __init__(
        self,
        store: ServiceStore,
        holds: HoldStorePort,
        catalog: CatalogClient,
        hold_ttl_seconds: int,
        held_per_customer: int = default("max_held_per_customer"),
        passes: Signer | None = None,
    ) -> None:
        # Places a customer may have in live holds and pending bookings of one show, unless
        # the show sets its own limit.
        self.held_per_customer = held_per_customer
        # Checks the admission passes of shows with a waiting room (inventory.onsale); without
        # one, no pass admits.
        self.passes = passes or Signer(secrets.token_bytes(32))
        self.store = store
        self.holds = holds
        self.catalog = catalog
        self.hold_ttl_ms = hold_ttl_seconds * 1000
        self.layouts = Layouts(store)
        self.maps = SeatMaps(self.layouts, holds, self.load)
        self.sales = Sales(store, holds)
        self._load_locks: LRU[uuid.UUID, asyncio.Lock] = LRU(SHOW_CACHE_SIZE)

    # -- shows --------------------------------------------------------------------------

    async def show(self, show_id: uuid.UUID) -> ShowData:
        return await self.layouts.show(show_id)

    async def on_show_changed(self, uow: UnitOfWork, event: ShowEvent) -> None:
        """A show was published, changed or cancelled: copy it from the catalog."""
        show_id = uuid.UUID(event.show_id)
        # The copy's version is the moment it was read: of two copies written in any order,
        # the one read later wins, in Redis (set_meta) and in PostgreSQL (store.write_show).
        synced = utcnow()
        layout = await self.catalog.show_layout(show_id)
        # Redis first, outside any lock: if it fails, the event fails and comes again (the
        # inbox row rolls back with it), so the hold store learns every change at least once.
        await self.holds.set_meta(show_id, _meta(layout), synced)
        if not sells(layout.status):
            await self.holds.close(show_id)  # a cancelled show's live holds end now
        await store.write_show(uow.conn, layout, synced)

        async def refresh() -> None:  # an optimisation: a hold would load the show itself
            self.layouts.forget(show_id)
            try:
                if await self.holds.version(show_id) == 0:
                    await self.load(show_id)
            except Exception:
                log.exception("preloading show %s into the hold store failed", show_id)

        uow.after_commit.append(refresh)

    async def load(self, show_id: uuid.UUID) -> None:
        """(Re)build a show's hold-store keys from PostgreSQL, e.g. after Redis lost its data."""
        async with self._load_locks.setdefault(show_id, asyncio.Lock()):
            data = await self.show(show_id)
            async with self.store.engine.connect() as conn:
                row = await store.read_show(conn, show_id)
                assert row is not None, show_id  # the layout was read from it
                sold = await store.sold_seat_ids(conn, show_id)
                areas = await store.read_areas(conn, show_id)
                room = await store.read_room(conn, show_id)
                bought = await store.bought_by_customer(conn, show_id)
            states = {
                seat_id: SeatState.SOLD
                if seat_id in sold
                else (SeatState.BLOCKED if s.blocked else SeatState.AVAILABLE)
                for seat_id, s in data.seats.items()
            }
            await self.holds.load(
                show_id,
                _meta(row),
                row.updated_at,
                states,
                {a.area_id: (a.capacity, a.sold) for a in areas},
                None if room is None else RoomRule(room.opens_at, room.max_tickets_per_customer),
                bought,
            )

    # -- holds --------------------------------------------------------------------------

    async def place_hold(
        self,
        user: Principal,
        show_id: uuid.UUID,
        request: HoldRequest,
        idempotency_key: str | None,
        admission_pass: str | None = None,
    ) -> dict[str, Any]:
        # The hold keeps the prices of the seat map the customer was shown (this process's
        # copy of the show): a later price change applies to new holds only.
        data = await self.show(show_id)
        # A pass is checked here (a signature, no store); whether the show's waiting room asks
        # for one is the hold store's to say, in the same step as the hold itself.
        refusal: AdmissionRequired | None = None
        entry = ""
        if admission_pass is not None:
            try:
                entry = self.passes.check_pass(
                    admission_pass, show_id, user.user_id, time.time()
                ).entry
            except AdmissionRequired as exc:
                refusal = exc
        ask = HoldAsk(
            hold_id=new_hold_id(show_id),
            customer=user.user_id.hex,
            ttl_ms=self.hold_ttl_ms,
            seat_ids=request.seat_ids,
            ga=request.ga,
            idempotency_key=idempotency_key,
            places_per_customer=data.row.max_held_per_customer or self.held_per_customer,
            seat_prices=tuple(
                data.seats[s].price if s in data.seats else 0 for s in request.seat_ids
            ),
            area_prices=tuple(data.areas[a].price if a in data.areas else 0 for a, _ in request.ga),
            admitted=admission_pass is not None and refusal is None,
            pass_entry=entry,
        )
        answer = await self.holds.hold(show_id, ask)
        if isinstance(answer, Unloaded):
            await self.load(show_id)
            answer = await self.holds.hold(show_id, ask)
        HOLDS.labels(_OUTCOMES[type(answer)]).inc()
        match answer:
            case AdmissionNeeded():
                raise refusal or no_pass(show_id)
            case PassSpent():
                raise AdmissionRequired(
                    "This admission pass was used for a booking already; join the queue again "
                    "to buy more.",
                    queue=queue_path(show_id),
                    reason="spent",
                )
            case OverTicketLimit(limit=limit, have=have):
                raise TicketLimitReached(
                    f"At most {limit} tickets per customer for this on-sale, held, awaiting "
                    f"payment and bought together; you have {have}.",
                    limit=limit,
                    have=have,
                )
            case Held(expires_at=expires_at):
                return {
                    "hold_id": ask.hold_id,
                    "show_id": show_id,
                    "seat_ids": list(request.seat_ids),
                    "ga": [{"area_id": a, "quantity": q} for a, q in request.ga],
                    "expires_at": expires_at,
                }
            case Repeat(hold_id=previous):
                return await self.get_hold(user, previous)
            case KeyReused():
                raise HoldInUse("This Idempotency-Key was already used for other seats.")
            case OverCustomerLimit(limit=limit):
                raise TooManyHolds(
                    f"At most {limit} places per customer may be held or awaiting payment for "
                    "this show at once; book or release a hold first.",
                    limit=limit,
                )
            case Taken(seat_ids=taken):
                data = await self.show(show_id)
                labels = [data.seats[s].label for s in taken if s in data.seats]
                raise SeatsTaken(
                    f"Already taken: {', '.join(labels)}. Pick other seats.",
                    seat_ids=list(taken),
                    seats=labels,
                )
            case UnknownSeatIds(seat_ids=unknown):
                raise UnknownSeats(
                    f"These seats are not in this show: {','.join(map(str, unknown))}.",
                    seat_ids=list(unknown),
                )
            case UnknownArea(area_id=area):
                raise UnknownSeats(f"Area {area} is not in this show.", area_id=area)
            case AreaFull(area_id=area, left=left):
                raise SoldOut(
                    f"Only {left} places left in area {area}.", area_id=area, available=left
                )
            case OverBookingLimit(limit=limit):
                raise TooManySeats(
                    f"At most {limit} tickets per booking for this show.", limit=limit
                )
            case Closed(status=status):
                raise NotOnSale(f"This show is {status}; it sells nothing.")
            case OffSale(sales_start=start, sales_end=end):
                raise NotOnSale(
                    f"Sales run from {start.isoformat()} to {end.isoformat()}.",
                    sales_start=start.isoformat(),
                    sales_end=end.isoformat(),
                )
            case Unloaded():
                raise UnknownShow(f"No show {show_id} is on sale.")

    async def _record(self, hold_id: str) -> tuple[uuid.UUID, HoldRecord]:
        show_id = show_of_hold(hold_id)
        record = await self.holds.record(show_id, hold_id)
        if record is None:
            raise UnknownHold(f"No hold {hold_id}; it may have expired.")
        return show_id, record

    async def view(self, hold_id: str, show_id: uuid.UUID, record: HoldRecord) -> HoldView:
        show = await self.show(show_id)
        # The prices quoted when the seats were held (holds made before prices were kept
        # with the hold are priced from the show).
        seat_prices = record.seat_prices
        if seat_prices is None:
            seat_prices = tuple(show.seats[s].price for s in record.seat_ids)
        area_prices = record.area_prices
        if area_prices is None:
            area_prices = tuple(show.areas[a].price for a, _ in record.ga)
        return HoldView(
            hold_id=hold_id,
            show_id=show_id,
            user_id=uuid.UUID(record.customer),
            expires_at=record.expires_at,
            currency=show.row.currency,
            show_title=show.row.title,
            show_starts_at=show.row.starts_at,
            time_zone=show.row.time_zone,
            booking_id=record.booking_id,
            seats=[
                HeldSeat(
                    seat_id=s,
                    label=show.seats[s].label,
                    section=show.seats[s].section,
                    row=show.seats[s].row,
                    category=show.seats[s].category,
                    price=price,
                )
                for s, price in zip(record.seat_ids, seat_prices, strict=True)
            ],
            areas=[
                HeldPlaces(
                    area_id=a,
                    name=show.areas[a].name,
                    category=show.areas[a].category,
                    quantity=q,
                    price=price,
                )
                for (a, q), price in zip(record.ga, area_prices, strict=True)
            ],
        )

    async def get_hold(self, user: Principal, hold_id: str) -> dict[str, Any]:
        show_id, record = await self._record(hold_id)
        if uuid.UUID(record.customer) != user.user_id and not user.is_admin:
            raise UnknownHold(f"No hold {hold_id}; it may have expired.")
        view = await self.view(hold_id, show_id, record)
        return {
            "hold_id": hold_id,
            "show_id": show_id,
            "state": hold_state(record.state, view.expires_at, datetime.now(UTC)).value,
            "seat_ids": [s.seat_id for s in view.seats],
            "seats": [asdict(x) for x in view.seats],
            "ga": [asdict(x) for x in view.areas],
            "expires_at": view.expires_at,
            "currency": view.currency,
            "total": view.total,
            "booking_id": view.booking_id,
        }

    async def release_hold(self, user: Principal, hold_id: str) -> None:
        show_id, record = await self._record(hold_id)
        if uuid.UUID(record.customer) != user.user_id and not user.is_admin:
            raise UnknownHold(f"No hold {hold_id}; it may have expired.")
        if record.booking_id is not None:
            raise HoldInUse(
                "This hold is being paid for; cancel the booking instead.",
                booking_id=str(record.booking_id),
            )
        await self.holds.release(show_id, hold_id, None)

    # -- contract for the booking saga --------------------------------------------------

    async def attach_hold(
        self, hold_id: str, user_id: uuid.UUID, booking_id: uuid.UUID, extend_seconds: float
    ) -> HoldView:
        show_id = show_of_hold(hold_id)
        answer = await self.holds.attach(
            show_id, hold_id, user_id.hex, booking_id, int(extend_seconds * 1000)
        )
        match answer:
            case Attached():
                record = await self.holds.record(show_id, hold_id)
                assert record is not None, hold_id
                return await self.view(hold_id, show_id, record)
            case Missing() | NotYours():
                raise UnknownHold(f"No hold {hold_id}; it may have expired.")
            case AttachedElsewhere() | AlreadySold():
                raise HoldInUse("This hold already belongs to another booking.")
            case Expired():
                raise HoldExpired("This hold has expired; hold the seats again.")
            case Closed(status=status):
                raise NotOnSale(f"This show is {status}; it sells nothing.")
            case OffSale(sales_end=end):
                raise NotOnSale(f"Sales for this show ended at {end.isoformat()}.")

    async def sell_hold(self, hold_id: str, booking_id: uuid.UUID) -> bool:
        """Turn the booking's hold into sold places; False if the hold was lost (sales.py)."""
        return await self.sales.sell_hold(hold_id, booking_id)

    # -- saga compensation (events) -----------------------------------------------------

    async def release_booking(
        self, uow: UnitOfWork, event: BookingFailed | BookingCancelled
    ) -> None:
        await self.sales.release_booking(uow, event)

    async def apply_release(self, uow: UnitOfWork, event: SeatsReleased) -> None:
        await self.sales.apply_release(uow, event)

    async def sweep(self, lease_ms: int = int(default("hold_sweep_seconds") * 900)) -> int:
        """Free the seats of holds whose time is up, show by show; one replica per interval."""
        freed = 0
        if not await self.holds.lease("hold-sweep", lease_ms):
            return 0
        active = await self.holds.active_shows()
        for show_id in active:
            freed += await self.holds.purge(show_id)
        ACTIVE_HOLDS.set(await self.holds.live_holds(active))
        return freed

    # -- seat map -----------------------------------------------------------------------

    async def seat_map(self, show_id: uuid.UUID, *, gzipped: bool = False) -> tuple[int, bytes]:
        """The seat map as JSON (or gzipped JSON), drawn once per version of the show."""
        return await self.maps.seat_map(show_id, gzipped=gzipped)

    async def seat_map_version(self, show_id: uuid.UUID) -> int:
        return await self.holds.version(show_id)
