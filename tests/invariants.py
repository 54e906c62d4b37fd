"""The booking invariants of DESIGN.md, checked by reading PostgreSQL and Redis directly.

Each check returns every violation it finds as a readable line; an empty list means the show is
consistent. Compensation runs through events, so run the checks once the system is quiet (or poll
with wait_for_invariants)."""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg
from redis.asyncio import Redis

SEAT_TICKETS_SOLD_TWICE = """
SELECT seat_id, array_agg(booking_id::text ORDER BY booking_id) AS bookings
FROM booking.tickets
WHERE show_id = $1 AND status = 'valid' AND seat_id IS NOT NULL
GROUP BY seat_id HAVING count(*) > 1
"""

TICKETS_WITHOUT_SALE = """
SELECT t.seat_id, t.booking_id
FROM booking.tickets t
LEFT JOIN inventory.sold_seats s
  ON s.show_id = t.show_id AND s.seat_id = t.seat_id AND s.booking_id = t.booking_id
WHERE t.show_id = $1 AND t.status = 'valid' AND t.seat_id IS NOT NULL AND s.seat_id IS NULL
"""

SALES_OF_UNCONFIRMED_BOOKINGS = """
SELECT s.seat_id, s.booking_id, b.status
FROM inventory.sold_seats s LEFT JOIN booking.bookings b ON b.id = s.booking_id
WHERE s.show_id = $1 AND b.status IS DISTINCT FROM 'CONFIRMED'
"""

GA_SALES_OF_UNCONFIRMED_BOOKINGS = """
SELECT g.area_id, g.booking_id, b.status
FROM inventory.ga_sales g LEFT JOIN booking.bookings b ON b.id = g.booking_id
WHERE g.show_id = $1 AND b.status IS DISTINCT FROM 'CONFIRMED'
"""

VALID_TICKETS_OF_UNCONFIRMED_BOOKINGS = """
SELECT t.id, t.booking_id, b.status
FROM booking.tickets t JOIN booking.bookings b ON b.id = t.booking_id
WHERE t.show_id = $1 AND t.status = 'valid' AND b.status <> 'CONFIRMED'
"""

CONFIRMED_TICKET_COUNTS = """
SELECT b.id,
       (SELECT coalesce(sum(l.quantity), 0) FROM booking.booking_lines l
        WHERE l.booking_id = b.id) AS booked,
       (SELECT count(*) FROM booking.tickets t
        WHERE t.booking_id = b.id AND t.status = 'valid') AS issued
FROM booking.bookings b
WHERE b.show_id = $1 AND b.status = 'CONFIRMED'
"""

BOOKINGS_WITH_PAYMENTS = """
SELECT b.id, b.status AS booking_status, b.total,
       p.id AS payment_id, p.status AS payment_status, p.amount, p.refunded,
       (SELECT coalesce(sum(r.amount), 0) FROM payment.refunds r
        WHERE r.payment_id = p.id AND r.status <> 'failed') AS refund_sum
FROM booking.bookings b LEFT JOIN payment.payments p ON p.booking_id = b.id
WHERE b.show_id = $1
"""

GA_AREAS = """
SELECT a.area_id, a.capacity, a.sold,
       (SELECT coalesce(sum(g.quantity), 0) FROM inventory.ga_sales g
        WHERE g.show_id = a.show_id AND g.area_id = a.area_id) AS sales,
       (SELECT count(*) FROM booking.tickets t
        WHERE t.show_id = a.show_id AND t.area_id = a.area_id AND t.status = 'valid') AS tickets
FROM inventory.ga_areas a
WHERE a.show_id = $1
"""

KEEPS_NO_MONEY = {"failed", "voided", "refunded"}


def asyncpg_dsn(database_url: str) -> str:
    """The SQLAlchemy URL (postgresql+asyncpg://...) as a DSN asyncpg accepts."""
    return database_url.replace("+asyncpg", "", 1)


def _uuid(show_id: str | uuid.UUID) -> uuid.UUID:
    return show_id if isinstance(show_id, uuid.UUID) else uuid.UUID(str(show_id))


async def check_invariants(database_url: str, show_id: str | uuid.UUID) -> list[str]:
    """Every violation of the seat, ticket, money and GA invariants for one show."""
    show = _uuid(show_id)
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            return await _check(conn, show)
    finally:
        await conn.close()


async def _check(conn: asyncpg.Connection, show: uuid.UUID) -> list[str]:
    problems: list[str] = []
    # (a) a seat is sold at most once, and sales and tickets tell the same story
    for r in await conn.fetch(SEAT_TICKETS_SOLD_TWICE, show):
        problems.append(f"seat {r['seat_id']} has valid tickets of bookings {r['bookings']}")
    for r in await conn.fetch(TICKETS_WITHOUT_SALE, show):
        problems.append(
            f"valid ticket for seat {r['seat_id']} of booking {r['booking_id']} "
            "has no sold_seats row of that booking"
        )
    for r in await conn.fetch(SALES_OF_UNCONFIRMED_BOOKINGS, show):
        problems.append(
            f"seat {r['seat_id']} is sold to booking {r['booking_id']} "
            f"which is {r['status'] or 'missing'}, not CONFIRMED"
        )
    for r in await conn.fetch(GA_SALES_OF_UNCONFIRMED_BOOKINGS, show):
        problems.append(
            f"GA area {r['area_id']} has a sale for booking {r['booking_id']} "
            f"which is {r['status'] or 'missing'}, not CONFIRMED"
        )
    for r in await conn.fetch(VALID_TICKETS_OF_UNCONFIRMED_BOOKINGS, show):
        problems.append(
            f"valid ticket {r['id']} belongs to {r['status']} booking {r['booking_id']}"
        )
    for r in await conn.fetch(CONFIRMED_TICKET_COUNTS, show):
        if r["booked"] != r["issued"]:
            problems.append(
                f"CONFIRMED booking {r['id']} booked {r['booked']} places "
                f"but has {r['issued']} valid tickets"
            )
    # (b) and (c) money
    payments_of: dict[uuid.UUID, list[asyncpg.Record]] = {}
    status_of: dict[uuid.UUID, tuple[str, int]] = {}
    for r in await conn.fetch(BOOKINGS_WITH_PAYMENTS, show):
        status_of[r["id"]] = (r["booking_status"], r["total"])
        if r["payment_id"] is not None:
            payments_of.setdefault(r["id"], []).append(r)
    for booking_id, (status, total) in status_of.items():
        paid = payments_of.get(booking_id, [])
        for p in paid:
            if not 0 <= p["refunded"] <= p["amount"]:
                problems.append(
                    f"payment {p['payment_id']} refunded {p['refunded']} of {p['amount']}"
                )
            if p["refund_sum"] != p["refunded"]:
                problems.append(
                    f"payment {p['payment_id']} records {p['refunded']} refunded "
                    f"but its refunds add up to {p['refund_sum']}"
                )
            if p["payment_status"] == "refunded" and p["refunded"] != p["amount"]:
                problems.append(
                    f"payment {p['payment_id']} is refunded but gave back only "
                    f"{p['refunded']} of {p['amount']}"
                )
        if status == "CONFIRMED":
            if len(paid) != 1:
                problems.append(f"CONFIRMED booking {booking_id} has {len(paid)} payments")
                continue
            p = paid[0]
            if p["payment_status"] != "captured" or p["amount"] != total:
                problems.append(
                    f"CONFIRMED booking {booking_id} (total {total}) has a "
                    f"{p['payment_status']} payment of {p['amount']}"
                )
        elif status != "PENDING":
            for p in paid:
                if p["payment_status"] not in KEEPS_NO_MONEY:
                    problems.append(
                        f"{status} booking {booking_id} has a {p['payment_status']} payment "
                        f"{p['payment_id']} (amount {p['amount']}, refunded {p['refunded']})"
                    )
    # (d) general admission
    for r in await conn.fetch(GA_AREAS, show):
        if not 0 <= r["sold"] <= r["capacity"]:
            problems.append(f"GA area {r['area_id']} sold {r['sold']} of {r['capacity']}")
        if r["sold"] != r["sales"]:
            problems.append(
                f"GA area {r['area_id']} counts {r['sold']} sold but its sales add up to "
                f"{r['sales']}"
            )
        if r["tickets"] != r["sales"]:
            problems.append(
                f"GA area {r['area_id']} has {r['tickets']} valid tickets for "
                f"{r['sales']} places sold"
            )
    return problems


async def check_hold_store(
    redis_url: str, database_url: str, show_id: str | uuid.UUID, *, grace_seconds: float = 1.0
) -> list[str]:
    """The show's Redis keys (see inventory/holds.lua) against PostgreSQL: no hold outlives its
    TTL by more than grace_seconds, and Redis marks as sold exactly what PostgreSQL sold."""
    show = _uuid(show_id)
    p = f"{{s:{show.hex}}}:"
    redis = Redis.from_url(redis_url, decode_responses=True)
    try:
        async with redis.pipeline(transaction=True) as pipe:
            pipe.time()
            pipe.hgetall(f"{p}meta")
            pipe.hgetall(f"{p}st")
            pipe.zrange(f"{p}exp", 0, -1, withscores=True)
            pipe.hgetall(f"{p}gac")
            pipe.hgetall(f"{p}gau")
            (sec, usec), meta, states, expiry, capacity, used = await pipe.execute()
    finally:
        await redis.aclose()
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        sold_pg = {
            r["seat_id"]
            for r in await conn.fetch(
                "SELECT seat_id FROM inventory.sold_seats WHERE show_id = $1", show
            )
        }
    finally:
        await conn.close()
    now_ms = sec * 1000 + usec // 1000
    cutoff = now_ms - grace_seconds * 1000
    problems = [
        f"hold {hold_id} expired {(now_ms - score) / 1000:.1f}s ago and is still held"
        for hold_id, score in expiry
        if score < cutoff
    ]
    live = {hold_id for hold_id, score in expiry if score >= cutoff}
    sold_redis = {int(seat) for seat, value in states.items() if value == "S"}
    for seat in sorted(sold_redis - sold_pg):
        problems.append(f"seat {seat} is sold in Redis but not in PostgreSQL")
    if meta.get("loaded") == "1":
        for seat in sorted(sold_pg - sold_redis):
            problems.append(f"seat {seat} is sold in PostgreSQL but not marked sold in Redis")
    for seat, value in sorted(states.items()):
        if value.startswith("H") and value[1:] not in live:
            problems.append(f"seat {seat} is held by {value[1:]}, a hold past its expiry")
    for area, cap in capacity.items():
        if int(used.get(area, 0)) > int(cap):
            problems.append(f"GA area {area} holds/sells {used[area]} of {cap} places")
    return problems


async def wait_for_invariants(
    database_url: str,
    show_id: str | uuid.UUID,
    *,
    redis_url: str | None = None,
    timeout: float = 20.0,
) -> list[str]:
    """Poll until every check passes (compensation is asynchronous); returns the violations of
    the last attempt, so an empty list means the show settled into a consistent state."""
    deadline = time.monotonic() + timeout
    while True:
        problems = await check_invariants(database_url, show_id)
        if redis_url is not None:
            problems += await check_hold_store(redis_url, database_url, show_id)
        if not problems or time.monotonic() > deadline:
            return problems
        await asyncio.sleep(0.5)
