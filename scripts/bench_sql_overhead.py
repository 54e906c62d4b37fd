"""Client CPU per INSERT on PostgreSQL: asyncpg's prepared statement, SQLAlchemy Core with the
statement built per call (`insert(t).values(...)`, as the services write most statements), and
SQLAlchemy Core with one statement and parameters. Figures in docs/benchmarks.md.

Run: uv run python scripts/bench_sql_overhead.py [postgresql://postgres@127.0.0.1/postgres]"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid

import asyncpg  # type: ignore[import-untyped]
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import create_async_engine

N = 3000
table = sa.Table(
    "bx_sql_overhead",
    sa.MetaData(),
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("step", sa.Text),
    sa.Column("n", sa.Integer),
)


def per_statement(began: float) -> float:
    return (time.process_time() - began) / N * 1e6


async def main(dsn: str) -> None:
    raw = await asyncpg.connect(dsn)
    await raw.execute(
        "DROP TABLE IF EXISTS bx_sql_overhead;"
        "CREATE TABLE bx_sql_overhead (id uuid PRIMARY KEY, step text, n int)"
    )
    engine = create_async_engine(dsn.replace("postgresql://", "postgresql+asyncpg://", 1))
    try:
        prepared = await raw.prepare(
            "INSERT INTO bx_sql_overhead (id, step, n) VALUES ($1, $2, $3)"
        )
        began = time.process_time()
        for i in range(N):
            await prepared.fetch(uuid.uuid4(), "x", i)
        direct = per_statement(began)
        async with engine.connect() as conn:
            for i in range(200):  # warm SQLAlchemy's compiled cache and the driver's statements
                await conn.execute(sa.insert(table).values(id=uuid.uuid4(), step="x", n=i))
            began = time.process_time()
            for i in range(N):
                await conn.execute(sa.insert(table).values(id=uuid.uuid4(), step="x", n=i))
            built = per_statement(began)
            insert = sa.insert(table)
            began = time.process_time()
            for i in range(N):
                await conn.execute(insert, {"id": uuid.uuid4(), "step": "x", "n": i})
            reused = per_statement(began)
            await conn.rollback()
    finally:
        await engine.dispose()
        await raw.execute("DROP TABLE bx_sql_overhead")
        await raw.close()
    sys.stdout.write(
        f"asyncpg prepared statement:                  {direct:6.0f} µs CPU per INSERT\n"
        f"SQLAlchemy Core, insert().values() per call: {built:6.0f} µs\n"
        f"SQLAlchemy Core, one insert() + parameters:  {reused:6.0f} µs\n"
    )


if __name__ == "__main__":
    asyncio.run(
        main(sys.argv[1] if len(sys.argv) > 1 else "postgresql://postgres@127.0.0.1/postgres")
    )
