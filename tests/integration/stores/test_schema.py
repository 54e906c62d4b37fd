"""The migrations build every service's schema, and the database guards that back the
invariants (no double sale, GA within capacity, one payment per booking, refunds within the
charge) exist and refuse bad rows."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from boxoffice.booking import store as booking
from boxoffice.inventory import store as inventory
from boxoffice.kernel.migrate import compare_options, upgrade
from boxoffice.payment import store as payment
from boxoffice.services import NAMES, SERVICES
from tests.conftest import Infra

pytestmark = pytest.mark.integration

METADATA = {s.name: s.messaging.metadata for s in SERVICES}
NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
async def migrated(infra: Infra) -> AsyncIterator[AsyncEngine]:
    """A database migrated from empty by this test: an extra one on the machine's PostgreSQL
    (the session database is shared with the acceptance server), else the session's own."""
    url = make_url(infra.database_url)
    own = url.host == "127.0.0.1" and (url.port or 5432) == 5432
    name = f"bx_schema_{uuid.uuid4().hex[:10]}"
    admin_dsn = "postgresql://postgres@127.0.0.1:5432/postgres"
    if own:
        conn = await asyncpg.connect(admin_dsn)
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()
        url = url.set(database=name)
    database_url = url.render_as_string(hide_password=False)
    await asyncio.to_thread(upgrade, database_url, SERVICES)
    engine = create_async_engine(database_url)
    yield engine
    await engine.dispose()
    if own:
        conn = await asyncpg.connect(admin_dsn)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


@pytest.fixture(scope="module")
async def defined(infra: Infra) -> AsyncIterator[AsyncEngine]:
    """A database of this module's own where every service's table definitions were created
    directly (`metadata.create_all`), to compare what Alembic does not (check constraints,
    partial indexes) in PostgreSQL's own words."""
    url = make_url(infra.database_url)
    name = f"bx_defined_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine = create_async_engine(url.set(database=name))
    async with engine.begin() as conn:
        for metadata in METADATA.values():
            await conn.execute(sa.text(f'CREATE SCHEMA "{metadata.schema}"'))
            await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()
    async with admin.connect() as conn:
        await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


async def _catalog(engine: AsyncEngine, schema: str) -> dict[str, set[tuple[str, ...]]]:
    """Every constraint and index of a schema as PostgreSQL prints its definition."""
    async with engine.connect() as conn:
        constraints = await conn.execute(
            sa.text(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
                " FROM pg_constraint WHERE connamespace = CAST(:s AS regnamespace)"
            ),
            {"s": schema},
        )
        indexes = await conn.execute(
            sa.text("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = :s"),
            {"s": schema},
        )
        return {
            "constraints": {tuple(r) for r in constraints if not r[0].endswith("alembic_version")},
            "indexes": {tuple(r) for r in indexes if r[0] != "alembic_version"},
        }


async def _differences(engine: AsyncEngine, metadata: sa.MetaData) -> list[Any]:
    """What Alembic's autogenerate would add to make the migrated schema match the table
    definitions: tables, columns, types, nullability, server defaults, indexes, unique, check
    and foreign-key constraints."""
    assert metadata.schema

    def compare(conn: sa.Connection) -> list[Any]:
        context = MigrationContext.configure(conn, opts=compare_options(metadata.schema or ""))
        return list(compare_metadata(context, metadata))

    async with engine.connect() as conn:
        return await conn.run_sync(compare)


@pytest.mark.parametrize("service", NAMES)
async def test_migrations_build_the_schema_each_store_expects(
    migrated: AsyncEngine, defined: AsyncEngine, service: str
) -> None:
    metadata = METADATA[service]
    assert metadata.schema == service
    assert await _differences(migrated, metadata) == []
    assert await _catalog(migrated, service) == await _catalog(defined, service)
    async with migrated.connect() as conn:
        versions = (await conn.execute(sa.text(f"SELECT * FROM {service}.alembic_version"))).all()
    assert len(versions) == 1


async def test_running_the_migrations_again_changes_nothing(migrated: AsyncEngine) -> None:
    async def versions() -> list[Any]:
        async with migrated.connect() as conn:
            return [
                (await conn.execute(sa.text(f"SELECT * FROM {s}.alembic_version"))).scalar_one()
                for s in NAMES
            ]

    before = await versions()
    await asyncio.to_thread(upgrade, migrated.url.render_as_string(hide_password=False), SERVICES)
    assert await versions() == before


async def _insert(engine: AsyncEngine, table: sa.Table, **values: Any) -> None:
    async with engine.begin() as conn:
        await conn.execute(sa.insert(table).values(**values))


async def _booking(engine: AsyncEngine, show_id: uuid.UUID) -> uuid.UUID:
    booking_id = uuid.uuid4()
    await _insert(
        engine,
        booking.bookings,
        id=booking_id,
        user_id=uuid.uuid4(),
        show_id=show_id,
        hold_id=f"{show_id.hex}.{uuid.uuid4().hex[:16]}",
        show_title="Hamlet",
        show_starts_at=NOW + timedelta(days=7),
        status="CONFIRMED",
        currency="EUR",
        total=5000,
        deadline=NOW,
        created_at=NOW,
        updated_at=NOW,
    )
    return booking_id


async def _ticket(
    engine: AsyncEngine, booking_id: uuid.UUID, show_id: uuid.UUID, seat_id: int | None
) -> uuid.UUID:
    ticket_id = uuid.uuid4()
    await _insert(
        engine,
        booking.tickets,
        id=ticket_id,
        booking_id=booking_id,
        user_id=uuid.uuid4(),
        show_id=show_id,
        seat_id=seat_id,
        area_id=None if seat_id else 7,
        label="A1" if seat_id else "Floor",
        code=f"BX1.{ticket_id.hex}.test",
        status="valid",
        issued_at=NOW,
    )
    return ticket_id


async def test_a_seat_has_at_most_one_valid_ticket_per_show(migrated: AsyncEngine) -> None:
    show = uuid.uuid4()
    first, second = await _booking(migrated, show), await _booking(migrated, show)
    ticket = await _ticket(migrated, first, show, seat_id=11)
    with pytest.raises(IntegrityError, match="uq_live_ticket_per_seat"):
        await _ticket(migrated, second, show, seat_id=11)
    await _ticket(migrated, second, uuid.uuid4(), seat_id=11)  # the same seat of another show
    async with migrated.begin() as conn:
        await conn.execute(
            sa.update(booking.tickets).where(booking.tickets.c.id == ticket).values(status="void")
        )
    await _ticket(migrated, second, show, seat_id=11)  # a void ticket frees the seat
    with pytest.raises(IntegrityError, match="uq_live_ticket_per_seat"):
        await _ticket(migrated, first, show, seat_id=11)


async def test_ga_tickets_are_not_limited_by_the_seat_guard(migrated: AsyncEngine) -> None:
    show = uuid.uuid4()
    booking_id = await _booking(migrated, show)
    for _ in range(3):
        await _ticket(migrated, booking_id, show, seat_id=None)
    async with migrated.connect() as conn:
        count = (
            await conn.execute(
                sa.select(sa.func.count()).where(booking.tickets.c.booking_id == booking_id)
            )
        ).scalar_one()
    assert count == 3


async def test_a_hold_backs_at_most_one_booking(migrated: AsyncEngine) -> None:
    booking_id = await _booking(migrated, uuid.uuid4())
    bookings = booking.bookings
    async with migrated.connect() as conn:
        row = (await conn.execute(sa.select(bookings).where(bookings.c.id == booking_id))).one()
    with pytest.raises(IntegrityError, match="hold_id"):
        await _insert(migrated, bookings, **{**row._asdict(), "id": uuid.uuid4()})


async def test_a_seat_is_sold_once_per_show(migrated: AsyncEngine) -> None:
    show = uuid.uuid4()
    await _insert(
        migrated,
        inventory.sold_seats,
        show_id=show,
        seat_id=5,
        booking_id=uuid.uuid4(),
        sold_at=NOW,
    )
    with pytest.raises(IntegrityError, match="sold_seats_pkey"):
        await _insert(
            migrated,
            inventory.sold_seats,
            show_id=show,
            seat_id=5,
            booking_id=uuid.uuid4(),
            sold_at=NOW,
        )
    await _insert(
        migrated,
        inventory.sold_seats,
        show_id=show,
        seat_id=6,
        booking_id=uuid.uuid4(),
        sold_at=NOW,
    )


async def test_a_ga_area_never_sells_more_than_its_capacity(migrated: AsyncEngine) -> None:
    show = uuid.uuid4()
    await _insert(
        migrated,
        inventory.shows,
        show_id=show,
        status="published",
        title="Festival",
        starts_at=NOW + timedelta(days=3),
        currency="EUR",
        sales_start=NOW - timedelta(days=1),
        sales_end=NOW + timedelta(days=2),
        max_per_booking=6,
        updated_at=NOW,
    )
    area = {"show_id": show, "name": "Floor", "category": "ga", "price": 3000, "capacity": 10}
    await _insert(migrated, inventory.ga_areas, area_id=1, **area, sold=10)
    areas = inventory.ga_areas
    for sold in (11, -1):
        with pytest.raises(IntegrityError, match="ga_sold_within_capacity"):
            async with migrated.begin() as conn:
                await conn.execute(
                    sa.update(areas).where(areas.c.show_id == show).values(sold=sold)
                )
    with pytest.raises(IntegrityError, match="ga_sold_within_capacity"):
        await _insert(migrated, inventory.ga_areas, area_id=2, **area, sold=11)
    async with migrated.begin() as conn:  # what a sale does: add within the capacity
        await conn.execute(
            sa.update(areas).where(areas.c.show_id == show).values(sold=areas.c.sold - 4)
        )
        with pytest.raises(IntegrityError, match="ga_sold_within_capacity"):
            async with conn.begin_nested():
                await conn.execute(
                    sa.update(areas).where(areas.c.show_id == show).values(sold=areas.c.sold + 5)
                )
        await conn.execute(
            sa.update(areas).where(areas.c.show_id == show).values(sold=areas.c.sold + 4)
        )
        sold_now = (
            await conn.execute(sa.select(areas.c.sold).where(areas.c.show_id == show))
        ).scalar_one()
    assert sold_now == 10


def _payment(booking_id: uuid.UUID, **values: Any) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "booking_id": booking_id,
        "user_id": uuid.uuid4(),
        "amount": 5000,
        "currency": "EUR",
        "method": "card",
        "token": "tok_success",
        "status": "captured",
        "created_at": NOW,
        "updated_at": NOW,
        **values,
    }


async def test_a_booking_has_at_most_one_payment(migrated: AsyncEngine) -> None:
    booking_id = uuid.uuid4()
    await _insert(migrated, payment.payments, **_payment(booking_id))
    with pytest.raises(IntegrityError, match="booking_id"):
        await _insert(migrated, payment.payments, **_payment(booking_id, status="processing"))


async def test_a_refund_never_exceeds_the_charge(migrated: AsyncEngine) -> None:
    payments = payment.payments
    row = _payment(uuid.uuid4())
    await _insert(migrated, payments, **row)
    for refunded in (5001, -1):
        with pytest.raises(IntegrityError, match="refund_within_charge"):
            async with migrated.begin() as conn:
                await conn.execute(
                    sa.update(payments).where(payments.c.id == row["id"]).values(refunded=refunded)
                )
    with pytest.raises(IntegrityError, match="refund_within_charge"):
        await _insert(migrated, payments, **_payment(uuid.uuid4(), refunded=6000))
    async with migrated.begin() as conn:
        await conn.execute(
            sa.update(payments)
            .where(payments.c.id == row["id"])
            .values(refunded=5000, status="refunded")
        )
        refunded = (
            await conn.execute(sa.select(payments.c.refunded).where(payments.c.id == row["id"]))
        ).scalar_one()
    assert refunded == 5000
