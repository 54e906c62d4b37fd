"""Async PostgreSQL access: one engine per process, one schema per service."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from boxoffice.kernel.config import default

# Every session of a boxoffice process waits at most this long for a row lock, a statement
# (settings db_lock_timeout_ms, db_statement_timeout_ms) or an idle transaction: a lock that
# cannot be had in time fails the transaction (the caller answers 503 or the consumer retries)
# instead of queueing requests behind it without end.
IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000


def make_engine(
    url: str,
    *,
    pool_size: int = default("db_pool_size"),
    lock_timeout_ms: int = default("db_lock_timeout_ms"),
    statement_timeout_ms: int = default("db_statement_timeout_ms"),
) -> AsyncEngine:
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_timeout=10,
        # Parameters (password hashes, tokens, personal data) stay out of error messages and
        # therefore out of the logs.
        hide_parameters=True,
        connect_args={
            "server_settings": {
                "lock_timeout": f"{lock_timeout_ms}ms",
                "statement_timeout": f"{statement_timeout_ms}ms",
                "idle_in_transaction_session_timeout": f"{IDLE_IN_TRANSACTION_TIMEOUT_MS}ms",
            }
        },
    )
    # The pre-ping asks asyncpg whether the socket is still open instead of sending a query:
    # asyncpg notices a closed connection (a restarted server) by itself, and a round trip on
    # every checkout was a tenth of a booking poll's cost (docs/benchmarks.md).
    engine.sync_engine.dialect.do_ping = _socket_open  # type: ignore[method-assign]
    return engine


def _socket_open(dbapi_connection: Any) -> bool:
    return not dbapi_connection.driver_connection.is_closed()


def autocommit(engine: AsyncEngine) -> AsyncEngine:
    """The same pool for single-statement reads, without BEGIN and ROLLBACK around them (two
    round trips less; one statement sees one snapshot anyway)."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def messaging_tables(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table, sa.Table, sa.Table]:
    """The outbox, inbox, dead-letter and idempotency tables every service keeps in its schema."""
    outbox = sa.Table(
        "outbox",
        metadata,
        sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("id", UUID(as_uuid=True), nullable=False, unique=True),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("envelope", JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True)),
    )
    sa.Index(
        f"ix_{metadata.schema}_outbox_unpublished",
        outbox.c.seq,
        postgresql_where=outbox.c.published_at.is_(None),
    )
    inbox = sa.Table(
        "inbox",
        metadata,
        sa.Column("consumer", sa.Text, primary_key=True),
        sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    )
    dead_letters = sa.Table(
        "dead_letters",
        metadata,
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("consumer", sa.Text, nullable=False),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("envelope", JSONB, nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("deliveries", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replayed_at", sa.DateTime(timezone=True)),
    )
    idempotency = sa.Table(
        "idempotency_keys",
        metadata,
        sa.Column("scope", sa.Text, primary_key=True),
        sa.Column("principal", sa.Text, primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("request_hash", sa.Text, nullable=False),
        sa.Column("status_code", sa.Integer),
        sa.Column("body", JSONB),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    return outbox, inbox, dead_letters, idempotency
