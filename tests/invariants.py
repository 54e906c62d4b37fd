"""The booking invariants of DESIGN.md, as the tests ask for them: the product's own audit
(boxoffice.audit, `boxoffice audit`) for one show, its violations as readable lines. An empty
list means the show is consistent. Compensation runs through events, so run the checks once the
system is quiet (or poll with wait_for_invariants)."""

from __future__ import annotations

import uuid

from boxoffice.audit import audit_database, audit_holds, settled


def asyncpg_dsn(database_url: str) -> str:
    """The SQLAlchemy URL (postgresql+asyncpg://...) as a DSN asyncpg accepts."""
    return database_url.replace("+asyncpg", "", 1)


def _uuid(show_id: str | uuid.UUID) -> uuid.UUID:
    return show_id if isinstance(show_id, uuid.UUID) else uuid.UUID(str(show_id))


async def check_invariants(database_url: str, show_id: str | uuid.UUID) -> list[str]:
    """Every violation of the seat, ticket, money and GA invariants for one show."""
    return [str(v) for v in (await audit_database(database_url, _uuid(show_id))).violations]


async def check_hold_store(
    redis_url: str, database_url: str, show_id: str | uuid.UUID, *, grace_seconds: float = 1.0
) -> list[str]:
    """The show's Redis keys against PostgreSQL: no hold outlives its TTL by more than
    grace_seconds, and Redis marks as sold exactly what PostgreSQL sold."""
    found = await audit_holds(redis_url, database_url, _uuid(show_id), grace_seconds=grace_seconds)
    return [str(v) for v in found]


async def wait_for_invariants(
    database_url: str,
    show_id: str | uuid.UUID,
    *,
    redis_url: str | None = None,
    timeout: float = 20.0,
) -> list[str]:
    """Poll until every check passes (compensation is asynchronous); returns the violations of
    the last attempt, so an empty list means the show settled into a consistent state."""
    found = await settled(database_url, redis_url, _uuid(show_id), timeout=timeout)
    return [str(v) for v in found.violations]
