"""The Redis hold store: one Lua script (holds.lua) per operation, one round trip each.

The one module that knows the script's arguments and answers and the codes it stores seats
under; the service sees only the typed port (inventory.ports)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib.resources import files
from typing import Any, cast

from redis.asyncio import Redis

from boxoffice.inventory.domain import HoldState, SeatState
from boxoffice.inventory.ports import (
    AdmissionNeeded,
    AlreadySold,
    AreaFull,
    AttachAnswer,
    Attached,
    AttachedElsewhere,
    BookingReleased,
    Closed,
    Expired,
    Freed,
    Held,
    HoldAnswer,
    HoldAsk,
    HoldRecord,
    KeyReused,
    Missing,
    NotYours,
    OffSale,
    OverBookingLimit,
    OverCustomerLimit,
    OverTicketLimit,
    PassSpent,
    Places,
    ReleaseAnswer,
    ReleaseBookingAnswer,
    ReleasedBefore,
    Repeat,
    RoomCounters,
    RoomRule,
    SeatStates,
    SellAnswer,
    ShowMeta,
    SoldPlaces,
    Taken,
    UnknownArea,
    UnknownSeats,
    Unloaded,
)
from boxoffice.kernel.telemetry import STORE_LATENCY, timed

SHOWS_INDEX = "inv:shows"

# How holds.lua stores a seat in <p>st: available, blocked, sold, or HELD + the hold's id
# (held while <p>exp scores that hold in the future).
AVAILABLE, BLOCKED, SOLD, HELD = "0", "B", "S", "H"
_CODES = {SeatState.AVAILABLE: AVAILABLE, SeatState.BLOCKED: BLOCKED, SeatState.SOLD: SOLD}
_STATES = {BLOCKED: SeatState.BLOCKED, SOLD: SeatState.SOLD}


def prefix(show_id: uuid.UUID) -> str:
    return f"{{s:{show_id.hex}}}:"


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _at(ms: str | int) -> datetime:
    return datetime.fromtimestamp(int(ms) / 1000, UTC)


def _csv(ids: tuple[int, ...]) -> str:
    return ",".join(map(str, ids))


def _ids(csv: str) -> tuple[int, ...]:
    return tuple(int(s) for s in csv.split(",") if s)


def _ga_csv(ga: Places) -> str:
    return ",".join(f"{area}:{qty}" for area, qty in ga)


def _places(csv: str) -> Places:
    pairs = (pair.split(":") for pair in csv.split(",") if pair)
    return tuple((int(area), int(qty)) for area, qty in pairs)


def _prices(csv: str | None) -> tuple[int, ...] | None:
    return None if csv is None else _ids(csv)


def _version(ver: Any, loaded: Any) -> int:
    # A stray HINCRBY (release, unsell) can recreate the meta hash of a show Redis lost; only
    # a loaded show has a version, so readers rebuild the rest from PostgreSQL.
    return int(ver or 0) if loaded == "1" else 0


def _meta_fields(meta: ShowMeta) -> list[str]:
    return [
        "status",
        meta.status,
        "sales_start",
        str(_ms(meta.sales_start)),
        "sales_end",
        str(_ms(meta.sales_end)),
        "max",
        str(meta.max_per_booking),
    ]


def _common(answer: list[str]) -> Missing | NotYours | AlreadySold | Expired | Closed | OffSale:
    match answer:
        case ["missing"]:
            return Missing()
        case ["not_yours"]:
            return NotYours()
        case ["sold"]:
            return AlreadySold()
        case ["expired"]:
            return Expired()
        case ["closed", status]:
            return Closed(status)
        case ["not_on_sale", start, end]:
            return OffSale(_at(start), _at(end))
    raise RuntimeError(f"unexpected hold-store answer {answer!r}")


def _room(room: RoomRule | None) -> tuple[str, int]:
    """The meta fields room (when holds begin to need a pass, ms; '' without a room) and
    room_max (the tickets per customer, 0 for no limit)."""
    if room is None:
        return "", 0
    return str(_ms(room.opens)), room.max_tickets or 0


def _hold_answer(answer: list[str]) -> HoldAnswer:
    match answer:
        case ["ok", expires, _]:  # and the version, as a Lua float (not exact): unused
            return Held(_at(expires))
        case ["repeat", hold_id]:
            return Repeat(hold_id)
        case ["key_reused"]:
            return KeyReused()
        case ["too_many_holds", limit]:
            return OverCustomerLimit(int(limit))
        case ["taken", csv]:
            return Taken(_ids(csv))
        case ["unknown", csv]:
            return UnknownSeats(_ids(csv))
        case ["unknown_area", area]:
            return UnknownArea(int(area))
        case ["ga_full", area, left]:
            return AreaFull(int(area), int(left))
        case ["too_many", limit]:
            return OverBookingLimit(int(limit))
        case ["unloaded"]:
            return Unloaded()
        case ["admission"]:
            return AdmissionNeeded()
        case ["pass_spent"]:
            return PassSpent()
        case ["ticket_limit", limit, have]:
            return OverTicketLimit(int(limit), int(have))
    common = _common(answer)
    assert isinstance(common, Closed | OffSale), answer
    return common


class HoldStore:
    """The hold store port (inventory.ports.HoldStorePort) over Redis and holds.lua."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._script = redis.register_script(
            files("boxoffice.inventory").joinpath("holds.lua").read_text()
        )

    async def run(self, op: str, show_id: uuid.UUID, *args: Any) -> list[str]:
        """One operation of holds.lua, its answer as the script gives it."""
        with timed(STORE_LATENCY.labels("redis", op)):
            result: list[str] = await self._script(args=[op, prefix(show_id), show_id.hex, *args])
        return result

    def _idem_key(self, show_id: uuid.UUID, customer: str, key: str) -> str:
        return f"{prefix(show_id)}i:{customer}:{key}"

    async def hold(self, show_id: uuid.UUID, ask: HoldAsk) -> HoldAnswer:
        seats, areas = _csv(ask.seat_ids), _ga_csv(ask.ga)
        answer = await self.run(
            "hold",
            show_id,
            ask.hold_id,
            ask.customer,
            ask.ttl_ms,
            seats,
            areas,
            self._idem_key(show_id, ask.customer, ask.idempotency_key)
            if ask.idempotency_key
            else "",
            f"{seats};{areas}",  # what the idempotency key was used for
            ask.places_per_customer,
            _csv(ask.seat_prices),
            _csv(ask.area_prices),
            "1" if ask.admitted else "0",
            ask.pass_entry,
        )
        return _hold_answer(answer)

    async def release(
        self, show_id: uuid.UUID, hold_id: str, customer: str | None
    ) -> ReleaseAnswer:
        answer = await self.run("release", show_id, hold_id, customer or "")
        if answer[0] == "ok":
            return Freed(int(answer[1]))
        common = _common(answer)
        assert isinstance(common, Missing | NotYours | AlreadySold), answer
        return common

    async def attach(
        self, show_id: uuid.UUID, hold_id: str, customer: str, booking_id: uuid.UUID, extend_ms: int
    ) -> AttachAnswer:
        answer = await self.run("attach", show_id, hold_id, customer, str(booking_id), extend_ms)
        match answer:
            case ["ok", expires]:
                return Attached(_at(expires))
            case ["attached", other]:
                return AttachedElsewhere(uuid.UUID(other))
        return _common(answer)

    async def sell(self, show_id: uuid.UUID, hold_id: str, booking_id: uuid.UUID) -> SellAnswer:
        answer = await self.run("sell", show_id, hold_id, str(booking_id))
        match answer:
            case ["ok", seats, areas, customer]:
                return SoldPlaces(_ids(seats), _places(areas), customer)
            case ["attached", other]:
                return AttachedElsewhere(uuid.UUID(other))
            case ["released"]:
                return BookingReleased()
        common = _common(answer)
        assert isinstance(common, Closed | Missing | Expired), answer
        return common

    async def release_booking(
        self,
        show_id: uuid.UUID,
        hold_id: str,
        booking_id: uuid.UUID,
        sold_seats: tuple[int, ...],
        sold_ga: Places,
        customer: str = "",
    ) -> ReleaseBookingAnswer:
        answer = await self.run(
            "release_booking",
            show_id,
            hold_id,
            str(booking_id),
            _csv(sold_seats),
            _ga_csv(sold_ga),
            customer,
        )
        return Freed(int(answer[1])) if answer[0] == "ok" else ReleasedBefore()

    async def close(self, show_id: uuid.UUID) -> int:
        return int((await self.run("close", show_id))[1])

    async def purge(self, show_id: uuid.UUID) -> int:
        return int((await self.run("purge", show_id))[1])

    async def record(self, show_id: uuid.UUID, hold_id: str) -> HoldRecord | None:
        data = cast(dict[str, str], await self.redis.hgetall(f"{prefix(show_id)}h:{hold_id}"))
        if not data:
            return None
        booking = data.get("booking")
        return HoldRecord(
            customer=data["user"],
            seat_ids=_ids(data.get("seats", "")),
            ga=_places(data.get("ga", "")),
            places=int(data.get("n", 0)),
            seat_prices=_prices(data.get("sp")),
            area_prices=_prices(data.get("gp")),
            state=HoldState(data.get("state", "held")),
            expires_at=_at(data["expires"]),
            booking_id=uuid.UUID(booking) if booking else None,
        )

    async def states(self, show_id: uuid.UUID) -> SeatStates:
        """Version, seat states and the holds still alive, read in one round trip."""
        p = prefix(show_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hmget(f"{p}meta", "ver", "loaded")
            pipe.hgetall(f"{p}st")
            pipe.time()
            pipe.zrange(f"{p}exp", 0, -1, withscores=True)
            (ver, loaded), codes, (sec, usec), live = await pipe.execute()
        now = sec * 1000 + usec // 1000
        alive = {h for h, score in live if score > now}
        seats: dict[int, SeatState] = {}
        for seat, code in codes.items():
            if code == AVAILABLE:
                continue
            if code.startswith(HELD):
                if code[1:] in alive:
                    seats[int(seat)] = SeatState.HELD
            elif code in _STATES:
                seats[int(seat)] = _STATES[code]
        return SeatStates(_version(ver, loaded), seats)

    async def version(self, show_id: uuid.UUID) -> int:
        ver, loaded = await self.redis.hmget(f"{prefix(show_id)}meta", ["ver", "loaded"])
        return _version(ver, loaded)

    async def ga_used(self, show_id: uuid.UUID) -> dict[int, int]:
        used = cast(dict[str, str], await self.redis.hgetall(f"{prefix(show_id)}gau"))
        return {int(area): int(n) for area, n in used.items()}

    async def load(
        self,
        show_id: uuid.UUID,
        meta: ShowMeta,
        synced: datetime,
        seats: Mapping[int, SeatState],
        areas: Mapping[int, tuple[int, int]],
        room: RoomRule | None = None,
        bought: Mapping[str, int] | None = None,
    ) -> None:
        p = prefix(show_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            for seat_id, state in seats.items():
                code = _CODES[state]
                if code == AVAILABLE:
                    pipe.hsetnx(f"{p}st", str(seat_id), AVAILABLE)
                else:
                    pipe.hset(f"{p}st", str(seat_id), code)
            for area_id, (capacity, sold) in areas.items():
                pipe.hset(f"{p}gac", str(area_id), capacity)
                pipe.hsetnx(f"{p}gau", str(area_id), sold)
            await self._script(args=self._meta_args(show_id, meta, synced), client=pipe)
            opens, most = _room(room)
            pipe.hset(f"{p}meta", mapping={"room": opens, "room_max": most})
            for customer, places in (bought or {}).items():
                pipe.set(f"{p}ub:{customer}", places, pxat=_ms(meta.sales_end) + 86_400_000)
            # Versions go on from the clock (µs), never from 1 again: after Redis lost a show,
            # replicas' cached seat maps, clients' ETags and live feeds all know older versions.
            version = time.time_ns() // 1000
            pipe.hset(f"{p}meta", mapping={"loaded": "1", "ver": version})
            pipe.sadd(SHOWS_INDEX, show_id.hex)
            await pipe.execute()

    async def set_room(self, show_id: uuid.UUID, room: RoomRule | None) -> None:
        opens, most = _room(room)
        await self.redis.hset(f"{prefix(show_id)}meta", mapping={"room": opens, "room_max": most})

    async def counters(self, show_id: uuid.UUID) -> RoomCounters:
        raw = await self.redis.hmget(f"{prefix(show_id)}meta", ["sold_n", "held_n", "refused_n"])
        sold, granted, refused = (int(v or 0) for v in raw)
        return RoomCounters(sold, granted, refused)

    async def set_meta(self, show_id: uuid.UUID, meta: ShowMeta, synced: datetime) -> bool:
        answer = await self._script(args=self._meta_args(show_id, meta, synced))
        return bool(answer[0] == "ok")

    @staticmethod
    def _meta_args(show_id: uuid.UUID, meta: ShowMeta, synced: datetime) -> list[Any]:
        return ["meta", prefix(show_id), show_id.hex, _ms(synced), *_meta_fields(meta)]

    async def lease(self, name: str, ms: int) -> bool:
        """True for the one caller that takes the named lease until it lapses; lets periodic
        jobs run once per interval, not once per replica."""
        return bool(await self.redis.set(f"lease:{name}", "1", nx=True, px=ms))

    async def live_holds(self, show_ids: list[uuid.UUID]) -> int:
        async with self.redis.pipeline(transaction=False) as pipe:
            for show_id in show_ids:
                pipe.zcard(f"{prefix(show_id)}exp")
            return sum(await pipe.execute())

    async def active_shows(self) -> list[uuid.UUID]:
        return [uuid.UUID(str(h)) for h in await self.redis.smembers(SHOWS_INDEX)]
