"""Integration fixtures: the session's PostgreSQL (migrated), Redis and NATS, plus throwaway
schemas and streams so these tests never touch what the acceptance server uses."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import sqlalchemy as sa
from redis.asyncio import BlockingConnectionPool, Redis
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from boxoffice.kernel.bus import NatsBus
from boxoffice.kernel.db import make_engine
from boxoffice.kernel.messaging import Messaging, ServiceStore
from boxoffice.kernel.migrate import upgrade
from boxoffice.services import SERVICES
from tests.conftest import Infra


@pytest.fixture(scope="session")
async def engine(infra: Infra) -> AsyncIterator[AsyncEngine]:
    """An engine on the session database with every service's migrations applied."""
    # upgrade() runs its own event loop
    await asyncio.to_thread(upgrade, infra.database_url, SERVICES)
    engine = make_engine(infra.database_url, pool_size=10)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def redis(infra: Infra) -> AsyncIterator[Redis]:
    """A client built the way Runtime.start builds it (decoded strings, a blocking pool)."""
    client = Redis.from_pool(
        BlockingConnectionPool.from_url(
            infra.redis_url, decode_responses=True, max_connections=100, timeout=10
        )
    )
    yield client
    await client.aclose()


@pytest.fixture
async def make_bus(infra: Infra) -> AsyncIterator[Callable[[], Awaitable[NatsBus]]]:
    """Connected NatsBus instances, each on a stream and subject prefix of its own."""
    made: list[tuple[NatsBus, str]] = []

    async def make() -> NatsBus:
        run = uuid.uuid4().hex[:12]
        bus = NatsBus(infra.nats_url, stream=f"IT_{run}", prefix=f"it{run}")
        await bus.connect()
        made.append((bus, f"IT_{run}"))
        return bus

    yield make
    for bus, stream in made:
        await bus.js.delete_stream(stream)
        await bus.close()


class Scratch:
    """A throwaway service schema: the kernel's messaging tables plus one business table."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.schema = f"it_{uuid.uuid4().hex[:12]}"
        self.metadata = sa.MetaData(schema=self.schema)
        self.messaging = Messaging(self.metadata)
        self.things = sa.Table(
            "things",
            self.metadata,
            sa.Column("id", UUID(as_uuid=True), primary_key=True),
            sa.Column("name", sa.Text, nullable=False, unique=True),
        )
        self.store = ServiceStore(engine, self.messaging)

    async def count(self, table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
        async with self.store.engine.connect() as conn:
            query = sa.select(sa.func.count()).select_from(table).where(*where)
            return int((await conn.execute(query)).scalar_one())


@pytest.fixture
async def scratch(engine: AsyncEngine) -> AsyncIterator[Scratch]:
    made = Scratch(engine)
    async with engine.begin() as conn:
        await conn.execute(sa.text(f'CREATE SCHEMA "{made.schema}"'))
        await conn.run_sync(made.metadata.create_all)
    yield made
    async with engine.begin() as conn:
        await conn.execute(sa.text(f'DROP SCHEMA "{made.schema}" CASCADE'))


@pytest.fixture(scope="module")
async def own_engine(infra: Infra) -> AsyncIterator[AsyncEngine]:
    """An engine on a database of this test module's own, with every service's migrations
    applied: no running server's relays, consumers or sweepers see what the module writes."""
    url = make_url(infra.database_url)
    name = f"bx_it_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    database_url = url.set(database=name).render_as_string(hide_password=False)
    await asyncio.to_thread(upgrade, database_url, SERVICES)
    engine = make_engine(database_url, pool_size=5)
    yield engine
    await engine.dispose()
    async with admin.connect() as conn:
        await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()
