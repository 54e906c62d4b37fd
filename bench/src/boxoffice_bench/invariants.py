"""The invariant check after a sell-out, read straight from PostgreSQL and Redis: no seat sold
twice, sales and tickets agree, and money follows tickets (the same rules as the acceptance
suite's checks, kept here so the bench command needs nothing from tests/)."""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg  # type: ignore[import-untyped]
from redis.asyncio import Redis

from boxoffice.inventory.holdstore import prefix

CHECKS = {
    "seat with two valid tickets": """
        SELECT seat_id::text AS what FROM booking.tickets
        WHERE show_id = $1 AND status = 'valid' AND seat_id IS NOT NULL
        GROUP BY seat_id HAVING count(*) > 1""",
    "valid ticket without its sale": """
        SELECT t.seat_id::text AS what FROM booking.tickets t
        LEFT JOIN inventory.sold_seats s
          ON s.show_id = t.show_id AND s.seat_id = t.seat_id AND s.booking_id = t.booking_id
        WHERE t.show_id = $1 AND t.status = 'valid' AND t.seat_id IS NOT NULL
          AND s.seat_id IS NULL""",
    "sale of a booking that is not CONFIRMED": """
        SELECT s.seat_id::text AS what FROM inventory.sold_seats s
        LEFT JOIN booking.bookings b ON b.id = s.booking_id
        WHERE s.show_id = $1 AND b.status IS DISTINCT FROM 'CONFIRMED'""",
    "valid ticket of a booking that is not CONFIRMED": """
        SELECT t.id::text AS what FROM booking.tickets t
        JOIN booking.bookings b ON b.id = t.booking_id
        WHERE t.show_id = $1 AND t.status = 'valid' AND b.status <> 'CONFIRMED'""",
    "CONFIRMED booking whose tickets differ from its lines": """
        SELECT b.id::text AS what FROM booking.bookings b
        WHERE b.show_id = $1 AND b.status = 'CONFIRMED'
          AND (SELECT coalesce(sum(l.quantity), 0) FROM booking.booking_lines l
               WHERE l.booking_id = b.id)
           <> (SELECT count(*) FROM booking.tickets t
               WHERE t.booking_id = b.id AND t.status = 'valid')""",
    "CONFIRMED booking without exactly one captured payment of its total": """
        SELECT b.id::text AS what FROM booking.bookings b
        WHERE b.show_id = $1 AND b.status = 'CONFIRMED'
          AND (SELECT count(*) FROM payment.payments p
               WHERE p.booking_id = b.id AND p.status = 'captured' AND p.amount = b.total
                 AND p.refunded = 0) <> 1""",
    "ended booking that kept money": """
        SELECT b.id::text AS what FROM booking.bookings b
        JOIN payment.payments p ON p.booking_id = b.id
        WHERE b.show_id = $1 AND b.status NOT IN ('CONFIRMED', 'PENDING')
          AND p.status NOT IN ('failed', 'voided', 'refunded')""",
    "refunds that do not add up": """
        SELECT p.id::text AS what FROM payment.payments p
        JOIN booking.bookings b ON b.id = p.booking_id
        WHERE b.show_id = $1
          AND (p.refunded < 0 OR p.refunded > p.amount
               OR p.refunded <> (SELECT coalesce(sum(r.amount), 0) FROM payment.refunds r
                                 WHERE r.payment_id = p.id))""",
}

PENDING = "SELECT count(*) FROM booking.bookings WHERE show_id = $1 AND status = 'PENDING'"
SOLD = "SELECT seat_id FROM inventory.sold_seats WHERE show_id = $1"
MONEY = """
SELECT count(*) FILTER (WHERE b.status = 'CONFIRMED') AS confirmed,
       coalesce(sum(b.total) FILTER (WHERE b.status = 'CONFIRMED'), 0) AS booked,
       (SELECT coalesce(sum(p.amount - p.refunded), 0) FROM payment.payments p
        JOIN booking.bookings b2 ON b2.id = p.booking_id
        WHERE b2.show_id = $1 AND p.status IN ('captured', 'refunded')) AS kept
FROM booking.bookings b WHERE b.show_id = $1
"""


async def check(
    database_dsn: str, redis_url: str | None, show_id: str, *, settle_seconds: float = 60.0
) -> dict[str, object]:
    """Waits until no booking of the show is PENDING (compensation runs on events), then lists
    every violation; also compares what Redis marks sold with PostgreSQL."""
    show = uuid.UUID(show_id)
    conn = await asyncpg.connect(database_dsn)
    try:
        deadline = time.monotonic() + settle_seconds
        while (pending := await conn.fetchval(PENDING, show)) and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
        violations: list[str] = []
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            for name, sql in CHECKS.items():
                for r in await conn.fetch(sql, show):
                    violations.append(f"{name}: {r['what']}")
            sold_pg = {r["seat_id"] for r in await conn.fetch(SOLD, show)}
            money = await conn.fetchrow(MONEY, show)
    finally:
        await conn.close()
    if money["booked"] != money["kept"]:
        violations.append(
            f"confirmed bookings total {money['booked']} but payments kept {money['kept']}"
        )
    if redis_url:
        redis = Redis.from_url(redis_url, decode_responses=True)
        try:
            states = await redis.hgetall(f"{prefix(show)}st")
        finally:
            await redis.aclose()
        sold_redis = {int(s) for s, v in states.items() if v == "S"}
        violations += [f"seat {s} sold in Redis, not in PostgreSQL" for s in sold_redis - sold_pg]
        violations += [f"seat {s} sold in PostgreSQL, not in Redis" for s in sold_pg - sold_redis]
    return {
        "violations": violations,
        "still_pending": int(pending or 0),
        "seats_sold": len(sold_pg),
        "confirmed_bookings": int(money["confirmed"]),
        "revenue": int(money["booked"]),
        "kept": int(money["kept"]),
    }
