"""The refresh-token family migration: tokens issued before it each become a family of their own."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from boxoffice.kernel.migrate import alembic_config
from boxoffice.services import BY_NAME
from tests.conftest import Infra

pytestmark = pytest.mark.integration

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
async def empty_database(infra: Infra) -> AsyncIterator[str]:
    url = make_url(infra.database_url)
    if not (url.host == "127.0.0.1" and (url.port or 5432) == 5432):
        pytest.skip("needs the machine's PostgreSQL to make a database of its own")
    name = f"bx_mig_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(ADMIN_DSN)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    yield url.set(database=name).render_as_string(hide_password=False)
    conn = await asyncpg.connect(ADMIN_DSN)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


async def _execute(
    engine: AsyncEngine, sql: str, **params: object
) -> list[sa.Row[tuple[object, ...]]]:
    async with engine.begin() as conn:
        result = await conn.execute(sa.text(sql), params)
        return list(result.all()) if result.returns_rows else []


async def test_tokens_from_before_families_each_become_their_own_family(
    empty_database: str,
) -> None:
    config = alembic_config(BY_NAME["identity"].migrations, empty_database)
    await asyncio.to_thread(command.upgrade, config, "iden_0001")
    engine = create_async_engine(empty_database)
    try:
        user = uuid.uuid4()
        now = datetime.now(UTC)
        await _execute(
            engine,
            "INSERT INTO identity.users VALUES"
            " (:id, 'old@example.org', 'Old', 'x', '{customer}', :now)",
            id=user,
            now=now,
        )
        for token in ("t1", "t2", "t3"):
            await _execute(
                engine,
                "INSERT INTO identity.refresh_tokens (token_hash, user_id, expires_at)"
                " VALUES (:t, :u, :e)",
                t=token,
                u=user,
                e=now + timedelta(days=1),
            )

        await asyncio.to_thread(command.upgrade, config, "head")

        families = await _execute(engine, "SELECT family_id FROM identity.refresh_tokens")
        assert len(families) == 3
        assert all(f.family_id is not None for f in families)
        assert len({f.family_id for f in families}) == 3
    finally:
        await engine.dispose()
