"""Idempotency keys stored in the service's own schema, in the same transaction as the write."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from boxoffice.kernel.db import utcnow
from boxoffice.kernel.errors import Conflict
from boxoffice.kernel.messaging import UnitOfWork


def request_hash(body: Any) -> str:
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


async def stored_answer(
    conn: AsyncConnection, table: sa.Table, scope: str, principal: str, key: str, body: Any
) -> tuple[int, Any] | None:
    """The answer a committed call with this key gave, read without claiming anything (so a
    caller can find a repeat before it calls another service)."""
    row = (
        await conn.execute(
            sa.select(table).where(
                table.c.scope == scope, table.c.principal == principal, table.c.key == key
            )
        )
    ).first()
    if row is None or row.status_code is None:
        return None
    if row.request_hash != request_hash(body):
        raise Conflict("This Idempotency-Key was already used for a different request.")
    return int(row.status_code), row.body


class IdempotentCall:
    """Claims (scope, principal, key) for this transaction; a repeat of a committed call gets
    the stored answer. Concurrent repeats wait on the row lock until the first commits."""

    def __init__(
        self, uow: UnitOfWork, table: sa.Table, scope: str, principal: str, key: str, body: Any
    ) -> None:
        self.uow = uow
        self.table = table
        self.where = sa.and_(
            table.c.scope == scope, table.c.principal == principal, table.c.key == key
        )
        self.values = {
            "scope": scope,
            "principal": principal,
            "key": key,
            "request_hash": request_hash(body),
        }

    async def replay(self) -> tuple[int, Any] | None:
        """None when this call is the first with its key; else the first call's answer."""
        claimed = await self.uow.execute(
            pg_insert(self.table)
            .values(**self.values, created_at=utcnow())
            .on_conflict_do_nothing()
            .returning(self.table.c.key)
        )
        if claimed.first() is not None:
            return None
        row = (await self.uow.execute(sa.select(self.table).where(self.where))).one()
        if row.request_hash != self.values["request_hash"]:
            raise Conflict("This Idempotency-Key was already used for a different request.")
        return int(row.status_code), row.body

    async def remember(self, status_code: int, body: Any) -> None:
        await self.uow.execute(
            sa.update(self.table).where(self.where).values(status_code=status_code, body=body)
        )
