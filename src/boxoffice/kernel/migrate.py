"""Alembic per service: one schema and one version table each, run in a fixed order."""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config
from alembic.operations.ops import MigrationScript
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
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


def compare_options(schema: str) -> dict[str, Any]:
    """How Alembic sees one service's schema, for migrating it and for comparing it with the
    table definitions (makemigration, the schema test): its own schema only, types and server
    defaults compared too."""
    return {
        "version_table_schema": schema,
        "include_schemas": True,
        "include_name": lambda name, type_, _parent: type_ != "schema" or name == schema,
        "compare_type": True,
        "compare_server_default": True,
    }


def make_revision(
    service: ServiceSpec, database_url: str, message: str, script_location: Path | None = None
) -> Path | None:
    """`boxoffice makemigration`: bring the service's schema to its newest revision, then let
    Alembic write the next one from what its table definitions add (blocking). The revision is
    named like the ones before it (`inve_0003_<message>.py`, revision id `inve_0003`) and
    formatted with ruff when it is installed. None, and no file, when nothing changed."""
    cfg = alembic_config(service.migrations, database_url)
    if script_location is not None:
        cfg.set_main_option("script_location", str(script_location))
    command.upgrade(cfg, "head")
    head = ScriptDirectory.from_config(cfg).get_current_head()
    prefix, number = head.rsplit("_", 1) if head else (service.name[:4], "0")
    for hook, options in (
        ("fix", "check --fix --exit-zero --quiet REVISION_SCRIPT_FILENAME"),
        ("format", "format --quiet REVISION_SCRIPT_FILENAME"),
    ):
        cfg.set_section_option("post_write_hooks", f"{hook}.type", "module")
        cfg.set_section_option("post_write_hooks", f"{hook}.module", "ruff")
        cfg.set_section_option("post_write_hooks", f"{hook}.options", options)
    if importlib.util.find_spec("ruff") is not None:
        cfg.set_section_option("post_write_hooks", "hooks", "fix, format")

    def skip_if_empty(_: MigrationContext, __: Any, directives: list[MigrationScript]) -> None:
        if all(d.upgrade_ops is None or d.upgrade_ops.is_empty() for d in directives):
            directives.clear()

    made = command.revision(
        cfg,
        message=message,
        autogenerate=True,
        rev_id=f"{prefix}_{int(number) + 1:04d}",
        process_revision_directives=skip_if_empty,
    )
    scripts = made if isinstance(made, list) else [made]
    return next((Path(s.path) for s in scripts if s is not None), None)


def run_env(metadata: sa.MetaData) -> None:
    """The body of each service's migrations/env.py."""
    schema = metadata.schema
    assert schema, "service metadata must name its schema"
    url = context.config.attributes["database_url"]

    def migrate(conn: sa.Connection) -> None:
        context.configure(connection=conn, target_metadata=metadata, **compare_options(schema))
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
