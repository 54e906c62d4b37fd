"""Alembic per service: one schema and one version table each, run in a fixed order."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from boxoffice.kernel.registry import ServiceSpec

_LOCK_ID = 7_402_119  # pg_advisory_lock key: replicas starting together migrate one at a time


def alembic_config(migrations: Path, database_url: str) -> Config:
    """Alembic's configuration for one service's migrations directory (ServiceSpec.migrations)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations))
    cfg.attributes["database_url"] = database_url
    return cfg


def upgrade(database_url: str, services: Iterable[ServiceSpec]) -> None:
    """Bring each service's schema to its newest revision, in the registry's order (blocking;
    run in a thread)."""
    for service in services:
        command.upgrade(alembic_config(service.migrations, database_url), "head")


def run_env(metadata: sa.MetaData) -> None:
    """The body of each service's migrations/env.py."""
    schema = metadata.schema
    assert schema, "service metadata must name its schema"
    url = context.config.attributes["database_url"]

    def migrate(conn: sa.Connection) -> None:
        context.configure(
            connection=conn,
            target_metadata=metadata,
            version_table_schema=schema,
            include_schemas=True,
            include_name=lambda name, type_, _parent: type_ != "schema" or name == schema,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def main() -> None:
        engine = create_async_engine(url, poolclass=NullPool)
        try:
            async with engine.connect() as conn:
                await conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _LOCK_ID})
                try:
                    await conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
                    await conn.commit()
                    await conn.run_sync(migrate)
                    await conn.commit()
                finally:
                    await conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK_ID})
                    await conn.commit()
        finally:
            await engine.dispose()

    asyncio.run(main())
