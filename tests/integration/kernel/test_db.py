"""Every database session of a boxoffice process gives up on a lock it cannot get in time."""

from __future__ import annotations

import asyncio
import logging

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from boxoffice.kernel.db import make_engine
from boxoffice.kernel.telemetry import JsonFormatter
from tests.conftest import Infra
from tests.integration.conftest import Scratch

pytestmark = pytest.mark.integration


async def test_a_row_lock_that_cannot_be_had_fails_the_waiter_instead_of_queueing_it(
    infra: Infra, scratch: Scratch
) -> None:
    engine = make_engine(infra.database_url, pool_size=2, lock_timeout_ms=200)
    try:
        async with engine.begin() as conn:
            assert await conn.scalar(sa.text("SHOW lock_timeout")) == "200ms"
            assert await conn.scalar(sa.text("SHOW statement_timeout")) == "30s"
            await conn.execute(
                sa.insert(scratch.things).values(id=sa.func.gen_random_uuid(), name="x")
            )
        async with engine.connect() as holder, engine.connect() as waiter:
            await holder.begin()
            await holder.execute(sa.select(scratch.things).with_for_update())
            await waiter.begin()
            with pytest.raises(DBAPIError) as failed:
                # bounded here too, so a missing timeout fails the test instead of hanging it
                await asyncio.wait_for(
                    waiter.execute(sa.select(scratch.things).with_for_update()), 10
                )
            assert failed.value.orig.sqlstate == "55P03"  # type: ignore[union-attr]
            await waiter.rollback()
            await holder.rollback()
    finally:
        await engine.dispose()


async def test_sql_parameters_never_appear_in_database_errors(infra: Infra) -> None:
    engine = make_engine(infra.database_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            with pytest.raises(DBAPIError) as failed:
                await conn.execute(
                    sa.text("SELECT CAST(:secret AS integer)"), {"secret": "argon2-hash-of-x"}
                )
        # SQLAlchemy leaves them out; asyncpg quotes the value it could not encode, which the
        # log formatters cut out.
        assert "[parameters:" not in str(failed.value)
        logged = JsonFormatter("test").format(
            logging.LogRecord("t", logging.ERROR, __file__, 1, "failed: %s", (failed.value,), None)
        )
        assert "argon2-hash-of-x" not in logged and "query argument $1: <hidden>" in logged
    finally:
        await engine.dispose()
