"""`boxoffice audit` against real PostgreSQL (a database of this module's own) and Redis: a
consistent show has no violation, and each kind of violation, written straight into the tables or
the hold store, is reported by its check."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.audit import CHECKS, audit, audit_database
from boxoffice.inventory.holdstore import prefix
from tests.conftest import Infra

pytestmark = pytest.mark.integration

AREA = 900


@dataclass
class Show:
    """One show in a consistent state: booking A CONFIRMED (seats 1 and 2, one GA place,
    captured, 50 of it refunded), B FAILED (refunded in full), C EXPIRED (its charge failed),
    D PENDING (its payment in flight); in Redis seats 1 and 2 sold, seat 4 in a live hold."""

    id: uuid.UUID
    bookings: dict[str, uuid.UUID]
    payments: dict[str, uuid.UUID]
    engine: AsyncEngine
    redis: Redis
    database_url: str
    redis_url: str

    async def sql(self, statement: str, **params: object) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(sa.text(statement), {"show": self.id, **params})

    @property
    def key(self) -> str:
        return prefix(self.id)


async def _booking(show: Show, name: str, status: str, total: int) -> uuid.UUID:
    booking = uuid.uuid4()
    await show.sql(
        """INSERT INTO booking.bookings (id, user_id, show_id, hold_id, show_title, show_starts_at,
             status, currency, total, deadline, created_at, updated_at)
           VALUES (:id, :user, :show, :hold, 'Audit', now(), :status, 'EUR', :total, now(),
             now(), now())""",
        id=booking,
        user=uuid.uuid4(),
        hold=uuid.uuid4().hex,
        status=status,
        total=total,
    )
    show.bookings[name] = booking
    return booking


async def _line(show: Show, booking: uuid.UUID, seat: int | None, area: int | None) -> None:
    await show.sql(
        """INSERT INTO booking.booking_lines (booking_id, seat_id, area_id, label, category,
             quantity, unit_price) VALUES (:b, :seat, :area, 'x', 'A', 1, 100)""",
        b=booking,
        seat=seat,
        area=area,
    )


async def _ticket(show: Show, booking: uuid.UUID, seat: int | None, area: int | None) -> None:
    await show.sql(
        """INSERT INTO booking.tickets (id, booking_id, user_id, show_id, seat_id, area_id, label,
             code, status, issued_at)
           VALUES (:id, :b, :user, :show, :seat, :area, 'x', :code, 'valid', now())""",
        id=uuid.uuid4(),
        b=booking,
        user=uuid.uuid4(),
        seat=seat,
        area=area,
        code=uuid.uuid4().hex,
    )


async def _payment(show: Show, name: str, status: str, amount: int, refunded: int = 0) -> uuid.UUID:
    payment = uuid.uuid4()
    await show.sql(
        """INSERT INTO payment.payments (id, booking_id, user_id, amount, currency, method, token,
             status, refunded, created_at, updated_at)
           VALUES (:id, :b, :user, :amount, 'EUR', 'card', 'tok', :status, :refunded, now(),
             now())""",
        id=payment,
        b=show.bookings[name],
        user=uuid.uuid4(),
        amount=amount,
        status=status,
        refunded=refunded,
    )
    if refunded:
        await show.sql(
            """INSERT INTO payment.refunds (id, payment_id, amount, reason, status, created_at)
               VALUES (:id, :p, :amount, 'test', 'succeeded', now())""",
            id=uuid.uuid4(),
            p=payment,
            amount=refunded,
        )
    show.payments[name] = payment
    return payment


@pytest.fixture
async def show(own_engine: AsyncEngine, redis: Redis, infra: Infra) -> AsyncIterator[Show]:
    made = Show(
        uuid.uuid4(),
        {},
        {},
        own_engine,
        redis,
        own_engine.url.render_as_string(hide_password=False),
        infra.redis_url,
    )
    await made.sql(
        """INSERT INTO inventory.shows (show_id, status, title, starts_at, currency, sales_start,
             sales_end, max_per_booking, updated_at)
           VALUES (:show, 'published', 'Audit', now(), 'EUR', now(), now(), 10, now())"""
    )
    await made.sql(
        """INSERT INTO inventory.ga_areas (show_id, area_id, name, category, price, capacity, sold)
           VALUES (:show, :area, 'Floor', 'GA', 100, 2, 1)""",
        area=AREA,
    )
    a = await _booking(made, "A", "CONFIRMED", 300)
    for seat, area in ((1, None), (2, None), (None, AREA)):
        await _line(made, a, seat, area)
        await _ticket(made, a, seat, area)
    for seat in (1, 2):
        await made.sql(
            "INSERT INTO inventory.sold_seats (show_id, seat_id, booking_id, sold_at) "
            "VALUES (:show, :seat, :b, now())",
            seat=seat,
            b=a,
        )
    await made.sql(
        "INSERT INTO inventory.ga_sales (booking_id, area_id, show_id, quantity) "
        "VALUES (:b, :area, :show, 1)",
        b=a,
        area=AREA,
    )
    await made.sql("UPDATE booking.bookings SET refunded = 50 WHERE id = :b", b=a)
    await _payment(made, "A", "captured", 300, refunded=50)
    await _line(made, await _booking(made, "B", "FAILED", 100), 3, None)
    await _payment(made, "B", "refunded", 100, refunded=100)
    await _line(made, await _booking(made, "C", "EXPIRED", 100), 3, None)
    await _payment(made, "C", "failed", 100)
    await _line(made, await _booking(made, "D", "PENDING", 100), 4, None)
    await _payment(made, "D", "processing", 100)
    now_ms = int(time.time() * 1000)
    p = made.key
    await redis.hset(f"{p}meta", mapping={"loaded": "1", "ver": "7"})
    await redis.hset(f"{p}st", mapping={"1": "S", "2": "S", "3": "0", "4": "Hlive-hold"})
    await redis.zadd(f"{p}exp", {"live-hold": now_ms + 60_000})
    await redis.hset(f"{p}gac", str(AREA), "2")
    await redis.hset(f"{p}gau", str(AREA), "1")
    yield made
    await redis.delete(*[f"{p}{k}" for k in ("meta", "st", "exp", "gac", "gau")])


async def _checks(show: Show) -> set[str]:
    found = await audit(show.database_url, show.redis_url, show.id, grace_seconds=1.0)
    assert found.holds_checked
    return {v.check for v in found.violations}


async def test_a_consistent_show_has_no_violation_and_its_figures_add_up(show: Show) -> None:
    found = await audit(show.database_url, show.redis_url, show.id, grace_seconds=1.0)
    assert found.violations == []
    assert found.figures == {
        "shows": 1,
        "seats_sold": 2,
        "confirmed_bookings": 1,
        "revenue": 250,
        "kept": 250,
        "pending": 1,
    }


Inject = Callable[[Show], Awaitable[None]]


async def _sold_twice(show: Show) -> None:
    await _line(show, await _booking(show, "E", "CONFIRMED", 100), 1, None)


async def _ticket_voided(show: Show) -> None:
    await show.sql(
        "UPDATE booking.tickets SET status = 'void' WHERE booking_id = :b AND seat_id = 2",
        b=show.bookings["A"],
    )


async def _ga_oversold(show: Show) -> None:
    await show.sql(
        "UPDATE inventory.ga_sales SET quantity = 3 WHERE show_id = :show AND area_id = :area",
        area=AREA,
    )


async def _ga_overheld_in_redis(show: Show) -> None:
    await show.redis.hset(f"{show.key}gau", str(AREA), "3")


async def _confirmed_underpaid(show: Show) -> None:
    await show.sql("UPDATE payment.payments SET amount = 250 WHERE id = :p", p=show.payments["A"])


async def _confirmed_unpaid(show: Show) -> None:
    await show.sql("DELETE FROM payment.refunds WHERE payment_id = :p", p=show.payments["A"])
    await show.sql("DELETE FROM payment.payments WHERE id = :p", p=show.payments["A"])


async def _expired_kept_money(show: Show) -> None:
    await show.sql(
        "UPDATE payment.payments SET status = 'captured' WHERE id = :p", p=show.payments["C"]
    )


async def _refund_failed(show: Show) -> None:
    await show.sql(
        "UPDATE payment.refunds SET status = 'failed' WHERE payment_id = :p", p=show.payments["A"]
    )


async def _hold_past_ttl(show: Show) -> None:
    await show.redis.zadd(f"{show.key}exp", {"live-hold": int(time.time() * 1000) - 60_000})


async def _sold_in_redis_only(show: Show) -> None:
    await show.redis.hset(f"{show.key}st", "3", "S")


async def _sold_in_postgres_only(show: Show) -> None:
    await show.redis.hset(f"{show.key}st", "2", "0")


@pytest.mark.parametrize(
    ("inject", "check"),
    [
        (_sold_twice, "seat sold twice"),
        (_ticket_voided, "sales match bookings"),
        (_ga_oversold, "GA within capacity"),
        (_ga_overheld_in_redis, "GA within capacity"),
        (_confirmed_underpaid, "CONFIRMED paid once"),
        (_confirmed_unpaid, "CONFIRMED paid once"),
        (_expired_kept_money, "other payments keep nothing"),
        (_refund_failed, "refunds add up"),
        (_hold_past_ttl, "no hold past its TTL"),
        (_sold_in_redis_only, "Redis agrees on sales"),
        (_sold_in_postgres_only, "Redis agrees on sales"),
    ],
    ids=lambda x: getattr(x, "__name__", "").strip("_") or None,
)
async def test_each_violation_is_reported_by_its_check(
    show: Show, inject: Inject, check: str
) -> None:
    assert check in CHECKS
    await inject(show)
    assert check in await _checks(show)


async def test_a_payment_of_an_unknown_booking_that_kept_money_counts_for_every_show(
    show: Show,
) -> None:
    payment = uuid.uuid4()
    await show.sql(
        """INSERT INTO payment.payments (id, booking_id, user_id, amount, currency, method, token,
             status, created_at, updated_at)
           VALUES (:id, :b, :user, 100, 'EUR', 'card', 'tok', 'captured', now(), now())""",
        id=payment,
        b=uuid.uuid4(),
        user=uuid.uuid4(),
    )
    try:
        everything = await audit_database(show.database_url)
        assert any(str(payment) in v.detail for v in everything.violations)
        assert await _checks(show) == set(), "it belongs to no show"
    finally:
        await show.sql("DELETE FROM payment.payments WHERE id = :id", id=payment)


def _command(show: Show, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "boxoffice.cli",
            "audit",
            "--show",
            str(show.id),
            "--database-url",
            show.database_url,
            "--redis-url",
            show.redis_url,
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_the_command_exits_0_when_clean_and_1_listing_each_violation(show: Show) -> None:
    clean = _command(show, "--json")
    assert clean.returncode == 0, clean.stderr
    report = json.loads(clean.stdout)
    assert report["clean"] and report["violations"] == [] and report["holds_checked"]
    assert report["figures"]["seats_sold"] == 2

    await _sold_in_redis_only(show)
    await _refund_failed(show)
    dirty = _command(show)
    assert dirty.returncode == 1, dirty.stderr
    assert "2 violation(s):" in dirty.stdout
    assert f"Redis agrees on sales: seat 3 of show {show.id} is sold in Redis only" in dirty.stdout
    assert f"refunds add up: payment {show.payments['A']} of 300" in dirty.stdout
