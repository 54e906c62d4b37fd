"""Operator API every service carries: its dead-lettered events, and replaying them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from pydantic import BaseModel

from boxoffice.kernel.errors import Conflict, NotFound
from boxoffice.kernel.inputs import Id64, LongLimit
from boxoffice.kernel.messaging import Consumer, ServiceStore, replay_dead_letter
from boxoffice.kernel.openapi import problems
from boxoffice.kernel.web import Admin


class DeadLetterOut(BaseModel):
    id: int
    consumer: str
    event_id: str
    type: str
    error: str
    deliveries: int
    created_at: datetime
    replayed_at: datetime | None
    envelope: dict[str, Any]


class Replayed(BaseModel):
    id: int
    replayed: bool


def dead_letter_router(service: str) -> APIRouter:
    router = APIRouter(prefix=f"/admin/dead-letters/{service}", tags=["operations"])

    def store(request: Request) -> ServiceStore:
        stores: dict[str, ServiceStore] = request.app.state.stores
        return stores[service]

    @router.get(
        "",
        response_model=list[DeadLetterOut],
        summary=f"Events the {service} service parked after failing",
        name=f"list_{service}_dead_letters",
    )
    async def list_dead_letters(
        _: Admin,
        request: Request,
        include_replayed: bool = False,
        limit: LongLimit = 100,
    ) -> list[dict[str, Any]]:
        table = store(request).messaging.dead_letters
        query = sa.select(table).order_by(table.c.id.desc()).limit(limit)
        if not include_replayed:
            query = query.where(table.c.replayed_at.is_(None))
        async with store(request).engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [{**r._mapping, "event_id": str(r.event_id)} for r in rows]

    @router.post(
        "/{dead_letter_id}/replay",
        response_model=Replayed,
        summary="Run a parked event through its consumer again",
        name=f"replay_{service}_dead_letter",
        responses=problems(404, 409),
    )
    async def replay(dead_letter_id: Id64, _: Admin, request: Request) -> dict[str, Any]:
        table = store(request).messaging.dead_letters
        async with store(request).engine.connect() as conn:
            row = (
                await conn.execute(
                    sa.select(table.c.consumer, table.c.replayed_at).where(
                        table.c.id == dead_letter_id
                    )
                )
            ).first()
        if row is None:
            raise NotFound(f"No dead letter {dead_letter_id} in {service}.")
        if row.replayed_at is not None:
            raise Conflict(f"Dead letter {dead_letter_id} was replayed already.")
        consumers: dict[str, Consumer] = request.app.state.consumers
        consumer = consumers.get(row.consumer)
        if consumer is None:
            raise Conflict(f"The consumer {row.consumer} does not run in this process.")
        try:
            replayed = await replay_dead_letter(consumer, dead_letter_id)
        except Exception as exc:
            raise Conflict(f"The {row.consumer} handler failed again: {exc!r}") from exc
        return {"id": dead_letter_id, "replayed": replayed}

    return router
