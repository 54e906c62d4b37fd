"""The bare baseline: a tiny Starlette app whose one endpoint runs only the Redis hold script
(HoldStore.hold) — no JWT, no pydantic, no FastAPI — served by uvicorn like the real
thing. What the full hold path reaches is compared with what this reaches under the same load.

Run: BOXOFFICE_REDIS_URL=redis://... python -m boxoffice_bench.bare --port P --workers W"""

from __future__ import annotations

import argparse
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import orjson
import uvicorn
from redis.asyncio import BlockingConnectionPool, Redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from boxoffice.inventory.domain import SeatState, new_hold_id
from boxoffice.inventory.holdstore import HoldStore
from boxoffice.inventory.ports import Held, HoldAsk, ShowMeta, Taken

TTL_MS = int(os.environ.get("BOXOFFICE_BENCH_HOLD_TTL_MS", "10000"))


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    redis = Redis.from_pool(
        BlockingConnectionPool.from_url(
            os.environ["BOXOFFICE_REDIS_URL"],
            decode_responses=True,
            max_connections=100,
            timeout=10,
        )
    )
    app.state.holds = HoldStore(redis)
    try:
        yield
    finally:
        await redis.aclose()


async def hold(request: Request) -> Response:
    show_id = uuid.UUID(request.path_params["show_id"])
    body = orjson.loads(await request.body())
    seats = tuple(int(s) for s in body["seat_ids"])
    user = request.headers.get("authorization", "anonymous")[-16:]
    hold_id = new_hold_id(show_id)
    holds: HoldStore = request.app.state.holds
    ask = HoldAsk(hold_id, user, TTL_MS, seats, (), None, 1000000, (0,) * len(seats), ())
    answer = await holds.hold(show_id, ask)
    if isinstance(answer, Held):
        return Response(
            orjson.dumps(
                {"hold_id": hold_id, "expires_at": int(answer.expires_at.timestamp() * 1000)}
            ),
            201,
            media_type="application/json",
        )
    return Response(
        orjson.dumps(
            {"title": "Seats taken" if isinstance(answer, Taken) else type(answer).__name__}
        ),
        409,
        media_type="application/json",
    )


async def health(_: Request) -> Response:
    return Response(b"ok")


app = Starlette(
    routes=[
        Route("/shows/{show_id}/holds", hold, methods=["POST"]),
        Route("/health", health),
        # The same, at the paths the distributed shape's nginx routes: behind the gateway's own
        # configuration it measures the ceiling of that shape's stack, nginx included.
        Route("/api/v1/shows/{show_id}/holds", hold, methods=["POST"]),
        Route("/health/ready", health),
    ],
    lifespan=lifespan,
)


async def load_show(redis_url: str, show_id: uuid.UUID, rows: list[list[int]]) -> None:
    """A synthetic on-sale show in Redis (the same keys inventory writes), for the bare app."""
    from datetime import UTC, datetime, timedelta

    redis = Redis.from_url(redis_url, decode_responses=True)
    try:
        now = datetime.now(UTC)
        meta = ShowMeta("published", now - timedelta(hours=1), now + timedelta(days=1), 10)
        seats = {s: SeatState.AVAILABLE for row in rows for s in row}
        await HoldStore(redis).load(show_id, meta, now, seats, {})
    finally:
        await redis.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    uvicorn.run(
        "boxoffice_bench.bare:app",
        host="127.0.0.1",
        port=args.port,
        workers=args.workers,
        log_level="warning",
        access_log=False,
        loop="uvloop",
        http="httptools",
    )


if __name__ == "__main__":
    main()
