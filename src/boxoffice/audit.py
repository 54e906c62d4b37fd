"""`boxoffice audit`: the invariants of DESIGN.md, read straight from every service's tables and
from the hold store (read only), for operators, the tests and the bench alike.

No seat is sold twice, sales and tickets tell the booking's story, general admission stays
within capacity, every CONFIRMED booking has exactly one captured payment of its total, every
other payment was refunded or never captured, refunds add up, no hold outlives its TTL and Redis
marks sold exactly what PostgreSQL sold. Compensation runs on events, so a busy system may show a
violation for a moment that heals by itself: audit a quiet system, or audit again."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from boxoffice.inventory.holdstore import SHOWS_INDEX, prefix
from boxoffice.kernel.db import make_engine

# Every check, in the order they are reported, with what it guards.
CHECKS = {
    "seat sold twice": "a seat has valid tickets, or CONFIRMED bookings, of more than one booking",
    "sales match bookings": "sales, tickets and lines agree; only CONFIRMED bookings have any",
    "GA within capacity": "general-admission sales, tickets and Redis places stay within capacity",
    "CONFIRMED paid once": "every CONFIRMED booking has one payment, captured, of its total",
    "other payments keep nothing": "every other payment was refunded in full or never captured",
    "refunds add up": "a payment's refunded amount is the sum of its refunds, within the charge",
    "no hold past its TTL": "Redis keeps no hold (nor a seat held by one) past its expiry",
    "Redis agrees on sales": "Redis marks sold exactly the seats PostgreSQL sold",
}
HOLD_CHECKS = ("GA within capacity", "no hold past its TTL", "Redis agrees on sales")
KEEPS_NO_MONEY = ("failed", "voided", "refunded")

# `:show` is a show id, or NULL for every show.
_SHOW = "(CAST(:show AS uuid) IS NULL OR {col} = CAST(:show AS uuid))"

# (check, the column holding the show id, a query whose {show} becomes the condition on that
# column, what each row it finds means)
_DATABASE_CHECKS: list[tuple[str, str, str, str]] = [
    (
        "seat sold twice",
        "show_id",
        """SELECT seat_id, show_id, string_agg(booking_id::text, ', ' ORDER BY booking_id) AS ids
           FROM booking.tickets
           WHERE status = 'valid' AND seat_id IS NOT NULL AND {show}
           GROUP BY show_id, seat_id HAVING count(*) > 1""",
        "seat {seat_id} of show {show_id} has valid tickets of bookings {ids}",
    ),
    (
        "seat sold twice",
        "b.show_id",
        """SELECT l.seat_id, b.show_id, string_agg(b.id::text, ', ' ORDER BY b.id) AS ids
           FROM booking.booking_lines l JOIN booking.bookings b ON b.id = l.booking_id
           WHERE b.status = 'CONFIRMED' AND l.seat_id IS NOT NULL AND {show}
           GROUP BY b.show_id, l.seat_id HAVING count(DISTINCT b.id) > 1""",
        "seat {seat_id} of show {show_id} is in CONFIRMED bookings {ids}",
    ),
    (
        "sales match bookings",
        "t.show_id",
        """SELECT t.seat_id, t.booking_id FROM booking.tickets t
           LEFT JOIN inventory.sold_seats s
             ON s.show_id = t.show_id AND s.seat_id = t.seat_id AND s.booking_id = t.booking_id
           WHERE t.status = 'valid' AND t.seat_id IS NOT NULL AND s.seat_id IS NULL
             AND {show}""",
        "valid ticket for seat {seat_id} of booking {booking_id} has no sale of that booking",
    ),
    (
        "sales match bookings",
        "s.show_id",
        """SELECT s.seat_id, s.booking_id, coalesce(b.status, 'missing') AS status
           FROM inventory.sold_seats s LEFT JOIN booking.bookings b ON b.id = s.booking_id
           WHERE b.status IS DISTINCT FROM 'CONFIRMED' AND {show}""",
        "seat {seat_id} is sold to booking {booking_id}, which is {status}, not CONFIRMED",
    ),
    (
        "sales match bookings",
        "g.show_id",
        """SELECT g.area_id, g.booking_id, coalesce(b.status, 'missing') AS status
           FROM inventory.ga_sales g LEFT JOIN booking.bookings b ON b.id = g.booking_id
           WHERE b.status IS DISTINCT FROM 'CONFIRMED' AND {show}""",
        "GA area {area_id} has a sale to booking {booking_id}, which is {status}, not CONFIRMED",
    ),
    (
        "sales match bookings",
        "t.show_id",
        """SELECT t.id, t.booking_id, b.status
           FROM booking.tickets t JOIN booking.bookings b ON b.id = t.booking_id
           WHERE t.status = 'valid' AND b.status <> 'CONFIRMED' AND {show}""",
        "valid ticket {id} belongs to {status} booking {booking_id}",
    ),
    (
        "sales match bookings",
        "b.show_id",
        """SELECT b.id, booked, issued FROM booking.bookings b,
             LATERAL (SELECT coalesce(sum(l.quantity), 0) AS booked FROM booking.booking_lines l
                      WHERE l.booking_id = b.id) lines,
             LATERAL (SELECT count(*) AS issued FROM booking.tickets t
                      WHERE t.booking_id = b.id AND t.status = 'valid') tickets
           WHERE b.status = 'CONFIRMED' AND booked <> issued AND {show}""",
        "CONFIRMED booking {id} booked {booked} places but has {issued} valid tickets",
    ),
    (
        "GA within capacity",
        "a.show_id",
        """SELECT a.area_id, a.show_id, a.capacity, a.sold, sales, tickets
           FROM inventory.ga_areas a,
             LATERAL (SELECT coalesce(sum(g.quantity), 0) AS sales FROM inventory.ga_sales g
                      WHERE g.show_id = a.show_id AND g.area_id = a.area_id) s,
             LATERAL (SELECT count(*) AS tickets FROM booking.tickets t
                      WHERE t.show_id = a.show_id AND t.area_id = a.area_id
                        AND t.status = 'valid') t
           WHERE NOT (0 <= a.sold AND a.sold <= a.capacity AND sales <= a.capacity
                      AND tickets <= a.capacity AND a.sold = sales AND tickets = sales)
             AND {show}""",
        "GA area {area_id} of show {show_id} (capacity {capacity}) counts {sold} sold, "
        "its sales add up to {sales}, its valid tickets to {tickets}",
    ),
    (
        "CONFIRMED paid once",
        "b.show_id",
        """SELECT b.id, b.total, count(p.id) AS payments,
                  coalesce(string_agg(p.status || ' ' || p.amount, ', '), 'none') AS what
           FROM booking.bookings b LEFT JOIN payment.payments p ON p.booking_id = b.id
           WHERE b.status = 'CONFIRMED' AND {show}
           GROUP BY b.id, b.total
           HAVING count(p.id) <> 1
               OR bool_or(p.status <> 'captured' OR p.amount <> b.total)""",
        "CONFIRMED booking {id} (total {total}) has {payments} payment(s): {what}",
    ),
    (
        "other payments keep nothing",
        "b.show_id",
        """SELECT b.id AS booking_id, b.status, p.id, p.status AS payment, p.amount, p.refunded
           FROM payment.payments p JOIN booking.bookings b ON b.id = p.booking_id
           WHERE b.status NOT IN ('CONFIRMED', 'PENDING')
             AND (p.status NOT IN ('failed', 'voided', 'refunded')
                  OR (p.status = 'refunded' AND p.refunded <> p.amount))
             AND {show}""",
        "{status} booking {booking_id} has a {payment} payment {id} "
        "(amount {amount}, refunded {refunded})",
    ),
    (
        "other payments keep nothing",
        # A payment of an unknown booking belongs to no show: only an audit of every show sees it.
        "",
        """SELECT p.id, p.booking_id, p.status, p.amount, p.refunded
           FROM payment.payments p LEFT JOIN booking.bookings b ON b.id = p.booking_id
           WHERE b.id IS NULL AND CAST(:show AS uuid) IS NULL
             AND (p.status NOT IN ('failed', 'voided', 'refunded')
                  OR (p.status = 'refunded' AND p.refunded <> p.amount))""",
        "payment {id} of unknown booking {booking_id} is {status} "
        "(amount {amount}, refunded {refunded})",
    ),
    (
        "refunds add up",
        "b.show_id",
        """SELECT p.id, p.amount, p.refunded, refund_sum
           FROM payment.payments p LEFT JOIN booking.bookings b ON b.id = p.booking_id,
             LATERAL (SELECT coalesce(sum(r.amount), 0) AS refund_sum FROM payment.refunds r
                      WHERE r.payment_id = p.id AND r.status <> 'failed') r
           WHERE NOT (0 <= p.refunded AND p.refunded <= p.amount AND p.refunded = refund_sum)
             AND {show}""",
        "payment {id} of {amount} records {refunded} refunded, its refunds add up to {refund_sum}",
    ),
]

_FIGURES = """
SELECT (SELECT count(DISTINCT show_id) FROM booking.bookings b WHERE {b}) AS shows,
       (SELECT count(*) FROM inventory.sold_seats s WHERE {s}) AS seats_sold,
       (SELECT count(*) FROM booking.bookings b WHERE b.status = 'CONFIRMED' AND {b})
         AS confirmed_bookings,
       (SELECT coalesce(sum(b.total - b.refunded), 0) FROM booking.bookings b
        WHERE b.status = 'CONFIRMED' AND {b}) AS revenue,
       (SELECT coalesce(sum(p.amount - p.refunded), 0)
        FROM payment.payments p JOIN booking.bookings b ON b.id = p.booking_id
        WHERE b.status <> 'PENDING' AND p.status IN ('captured', 'refunded') AND {b}) AS kept,
       (SELECT count(*) FROM booking.bookings b WHERE b.status = 'PENDING' AND {b}) AS pending
""".format(b=_SHOW.format(col="b.show_id"), s=_SHOW.format(col="s.show_id"))

_SOLD = "SELECT seat_id FROM inventory.sold_seats WHERE show_id = :show"


@dataclass(frozen=True)
class Violation:
    check: str  # a key of CHECKS
    detail: str

    def __str__(self) -> str:
        return f"{self.check}: {self.detail}"


@dataclass
class Audit:
    violations: list[Violation] = field(default_factory=list)
    figures: dict[str, int] = field(default_factory=dict)
    holds_checked: bool = False  # False: no Redis to read

    @property
    def clean(self) -> bool:
        return not self.violations

    def as_json(self) -> dict[str, Any]:
        return {
            "clean": self.clean,
            "holds_checked": self.holds_checked,
            "figures": self.figures,
            "violations": [asdict(v) for v in self.violations],
        }

    def table(self) -> str:
        """The report for people: one line per check, then every violation."""
        f = self.figures
        lines = [
            f"{f.get('shows', 0)} show(s) with bookings, {f.get('seats_sold', 0)} seats sold, "
            f"{f.get('confirmed_bookings', 0)} CONFIRMED bookings (revenue {f.get('revenue', 0)}, "
            f"payments keep {f.get('kept', 0)}), {f.get('pending', 0)} PENDING",
            "",
            f"{'check':<30} {'violations':>10}  guards",
        ]
        for name, what in CHECKS.items():
            found = sum(v.check == name for v in self.violations)
            skipped = not self.holds_checked and name in HOLD_CHECKS[1:]
            count = "skipped" if skipped else str(found)
            lines.append(f"{name:<30} {count:>10}  {what}")
        if not self.holds_checked:
            lines.append("(the hold store was not read: no Redis URL)")
        if self.violations:
            lines += ["", f"{len(self.violations)} violation(s):"]
            lines += [f"  {v}" for v in self.violations]
        else:
            lines += ["", "no violations"]
        return "\n".join(lines)


async def audit_database(database_url: str, show_id: uuid.UUID | None = None) -> Audit:
    """Every PostgreSQL check, for one show or every show, in one read-only snapshot."""
    engine = make_engine(database_url, pool_size=1, statement_timeout_ms=300_000)
    try:
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="REPEATABLE READ")
            async with conn.begin():
                await conn.execute(sa.text("SET TRANSACTION READ ONLY"))
                return await _database(conn, show_id)
    finally:
        await engine.dispose()


async def _database(conn: AsyncConnection, show: uuid.UUID | None) -> Audit:
    found = Audit()
    for check, column, sql, detail in _DATABASE_CHECKS:
        query = sa.text(sql.replace("{show}", _SHOW.format(col=column)) if column else sql)
        for row in await conn.execute(query, {"show": show}):
            found.violations.append(Violation(check, detail.format(**row._mapping)))
    figures = (await conn.execute(sa.text(_FIGURES), {"show": show})).one()
    found.figures = {k: int(v) for k, v in figures._mapping.items()}
    return found


async def audit_holds(
    redis_url: str,
    database_url: str,
    show_id: uuid.UUID | None = None,
    *,
    grace_seconds: float = 1.0,
) -> list[Violation]:
    """The hold store of one show, or of every show it knows, against PostgreSQL: no hold past
    its expiry by more than grace_seconds (expired holds are swept every second), GA places
    within capacity, and Redis marks sold what PostgreSQL sold (of a show loaded into Redis)."""
    redis = Redis.from_url(redis_url, decode_responses=True)
    engine = make_engine(database_url, pool_size=1)
    try:
        if show_id is not None:
            shows = [show_id]
        else:
            shows = sorted(uuid.UUID(str(h)) for h in await redis.smembers(SHOWS_INDEX))
        found: list[Violation] = []
        async with engine.connect() as conn:
            for show in shows:
                sold = {r.seat_id for r in await conn.execute(sa.text(_SOLD), {"show": show})}
                found += await _holds(redis, show, sold, grace_seconds)
        return found
    finally:
        await redis.aclose()
        await engine.dispose()


async def _holds(
    redis: Redis, show: uuid.UUID, sold_pg: set[int], grace_seconds: float
) -> list[Violation]:
    p = prefix(show)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.time()
        pipe.hget(f"{p}meta", "loaded")
        pipe.hgetall(f"{p}st")
        pipe.zrange(f"{p}exp", 0, -1, withscores=True)
        pipe.hgetall(f"{p}gac")
        pipe.hgetall(f"{p}gau")
        (sec, usec), loaded, states, expiry, capacity, used = await pipe.execute()
    now_ms = sec * 1000 + usec // 1000
    cutoff = now_ms - grace_seconds * 1000
    found = [
        Violation(
            "no hold past its TTL",
            f"hold {hold_id} of show {show} expired {(now_ms - score) / 1000:.1f} s ago",
        )
        for hold_id, score in expiry
        if score < cutoff
    ]
    live = {hold_id for hold_id, score in expiry if score >= cutoff}
    for seat, value in sorted(states.items()):
        if value.startswith("H") and value[1:] not in live:
            found.append(
                Violation(
                    "no hold past its TTL",
                    f"seat {seat} of show {show} is held by {value[1:]}, a hold past its expiry",
                )
            )
    sold_redis = {int(seat) for seat, value in states.items() if value == "S"}
    for seat in sorted(sold_redis - sold_pg):
        found.append(
            Violation("Redis agrees on sales", f"seat {seat} of show {show} is sold in Redis only")
        )
    if loaded == "1":
        for seat in sorted(sold_pg - sold_redis):
            found.append(
                Violation(
                    "Redis agrees on sales",
                    f"seat {seat} of show {show} is sold in PostgreSQL, not in Redis",
                )
            )
    for area, cap in sorted(capacity.items()):
        if int(used.get(area, 0)) > int(cap):
            found.append(
                Violation(
                    "GA within capacity",
                    f"GA area {area} of show {show} holds or sells {used[area]} of {cap} "
                    "places in Redis",
                )
            )
    return found


async def audit(
    database_url: str,
    redis_url: str | None = None,
    show_id: uuid.UUID | None = None,
    *,
    grace_seconds: float = 1.0,
) -> Audit:
    """Every check (the hold store's only with a Redis URL)."""
    found = await audit_database(database_url, show_id)
    if redis_url:
        found.violations += await audit_holds(
            redis_url, database_url, show_id, grace_seconds=grace_seconds
        )
        found.holds_checked = True
    return found


async def settled(
    database_url: str,
    redis_url: str | None = None,
    show_id: uuid.UUID | None = None,
    *,
    timeout: float = 20.0,
    grace_seconds: float = 1.0,
) -> Audit:
    """Audit again until clean or `timeout` seconds passed (compensation is asynchronous): the
    last audit, so a clean one means the system settled into a consistent state."""
    deadline = time.monotonic() + timeout
    while True:
        found = await audit(database_url, redis_url, show_id, grace_seconds=grace_seconds)
        if found.clean or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.5)


def run(
    database_url: str,
    redis_url: str | None,
    show_id: uuid.UUID | None,
    *,
    grace_seconds: float,
    as_json: bool,
) -> tuple[int, str]:
    """`boxoffice audit`: (exit code, report); 0 when clean, 1 when a violation was found, 2
    when PostgreSQL or Redis could not be read."""
    try:
        found = asyncio.run(audit(database_url, redis_url, show_id, grace_seconds=grace_seconds))
    except (OSError, SQLAlchemyError, RedisError) as failed:
        return 2, f"boxoffice audit: could not read the stores: {failed}"
    text = json.dumps(found.as_json(), indent=1) if as_json else found.table()
    return (0 if found.clean else 1), text
