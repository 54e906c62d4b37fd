"""The Redis hold store: one Lua script (holds.lua) per operation, one round trip each."""

from __future__ import annotations

import uuid
from importlib.resources import files
from typing import Any, cast

from redis.asyncio import Redis

SHOWS_INDEX = "inv:shows"


def prefix(show_id: uuid.UUID) -> str:
    return f"{{s:{show_id.hex}}}:"


class HoldStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._script = redis.register_script(
            files("boxoffice.inventory").joinpath("holds.lua").read_text()
        )

    async def run(self, op: str, show_id: uuid.UUID, *args: Any) -> list[str]:
        result: list[str] = await self._script(args=[op, prefix(show_id), show_id.hex, *args])
        return result

    def idem_key(self, show_id: uuid.UUID, user_id: uuid.UUID, key: str) -> str:
        return f"{prefix(show_id)}i:{user_id.hex}:{key}"

    async def hold(self, show_id: uuid.UUID, hold_id: str) -> dict[str, str]:
        return cast(dict[str, str], await self.redis.hgetall(f"{prefix(show_id)}h:{hold_id}"))

    async def states(self, show_id: uuid.UUID) -> tuple[int, dict[str, str], set[str]]:
        """Version, seat states and the ids of holds still alive, read in one round trip."""
        p = prefix(show_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hget(f"{p}meta", "ver")
            pipe.hgetall(f"{p}st")
            pipe.time()
            pipe.zrange(f"{p}exp", 0, -1, withscores=True)
            ver, states, (sec, usec), live = await pipe.execute()
        now = sec * 1000 + usec // 1000
        return int(ver or 0), states, {h for h, score in live if score > now}

    async def version(self, show_id: uuid.UUID) -> int:
        return int(await self.redis.hget(f"{prefix(show_id)}meta", "ver") or 0)

    async def ga_used(self, show_id: uuid.UUID) -> dict[str, str]:
        return cast(dict[str, str], await self.redis.hgetall(f"{prefix(show_id)}gau"))

    async def load(
        self,
        show_id: uuid.UUID,
        meta: dict[Any, Any],
        seats: dict[int, str],
        areas: dict[int, tuple[int, int]],
    ) -> None:
        """Write a show's inventory from PostgreSQL: available seats only where Redis has
        nothing (live holds survive a reload); sold and blocked always win."""
        p = prefix(show_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            for seat_id, state in seats.items():
                if state == "0":
                    pipe.hsetnx(f"{p}st", str(seat_id), "0")
                else:
                    pipe.hset(f"{p}st", str(seat_id), state)
            for area_id, (capacity, sold) in areas.items():
                pipe.hset(f"{p}gac", str(area_id), capacity)
                pipe.hsetnx(f"{p}gau", str(area_id), sold)
            pipe.hincrby(f"{p}meta", "ver", 1)
            pipe.hset(f"{p}meta", mapping={**meta, "loaded": "1"})
            pipe.sadd(SHOWS_INDEX, show_id.hex)
            await pipe.execute()

    async def set_meta(self, show_id: uuid.UUID, meta: dict[Any, Any]) -> None:
        p = prefix(show_id)
        if await self.redis.hget(f"{p}meta", "loaded") == "1":
            await self.redis.hset(f"{p}meta", mapping=meta)

    async def lease(self, name: str, ms: int) -> bool:
        """True for the one caller that takes the named lease until it lapses; lets periodic
        jobs run once per interval, not once per replica."""
        return bool(await self.redis.set(f"lease:{name}", "1", nx=True, px=ms))

    async def active_shows(self) -> list[uuid.UUID]:
        return [uuid.UUID(str(h)) for h in await self.redis.smembers(SHOWS_INDEX)]
