"""The Redis hold store: one Lua script (holds.lua) per operation, one round trip each."""

from __future__ import annotations

import time
import uuid
from importlib.resources import files
from typing import Any, cast

from redis.asyncio import Redis

from boxoffice.kernel.telemetry import STORE_LATENCY, timed

SHOWS_INDEX = "inv:shows"


def prefix(show_id: uuid.UUID) -> str:
    return f"{{s:{show_id.hex}}}:"


def _version(ver: Any, loaded: Any) -> int:
    # A stray HINCRBY (release, unsell) can recreate the meta hash of a show Redis lost; only
    # a loaded show has a version, so readers rebuild the rest from PostgreSQL.
    return int(ver or 0) if loaded == "1" else 0


class HoldStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._script = redis.register_script(
            files("boxoffice.inventory").joinpath("holds.lua").read_text()
        )

    async def run(self, op: str, show_id: uuid.UUID, *args: Any) -> list[str]:
        with timed(STORE_LATENCY.labels("redis", op)):
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
            pipe.hmget(f"{p}meta", "ver", "loaded")
            pipe.hgetall(f"{p}st")
            pipe.time()
            pipe.zrange(f"{p}exp", 0, -1, withscores=True)
            (ver, loaded), states, (sec, usec), live = await pipe.execute()
        now = sec * 1000 + usec // 1000
        return _version(ver, loaded), states, {h for h, score in live if score > now}

    async def version(self, show_id: uuid.UUID) -> int:
        """The show's version; 0 while it is not loaded (never, or Redis lost it)."""
        ver, loaded = await self.redis.hmget(f"{prefix(show_id)}meta", ["ver", "loaded"])
        return _version(ver, loaded)

    async def ga_used(self, show_id: uuid.UUID) -> dict[str, str]:
        return cast(dict[str, str], await self.redis.hgetall(f"{prefix(show_id)}gau"))

    async def load(
        self,
        show_id: uuid.UUID,
        meta: dict[str, str],
        synced_ms: int,
        seats: dict[int, str],
        areas: dict[int, tuple[int, int]],
    ) -> None:
        """Write a show's inventory from PostgreSQL: available seats only where Redis has
        nothing (live holds survive a reload); sold and blocked always win. `meta` (status,
        sales window) is written only if Redis has no newer copy (see set_meta)."""
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
            await self._script(args=self._meta_args(show_id, meta, synced_ms), client=pipe)
            # Versions go on from the clock (µs), never from 1 again: after Redis lost a show,
            # replicas' cached seat maps, clients' ETags and live feeds all know older versions.
            version = time.time_ns() // 1000
            pipe.hset(f"{p}meta", mapping={"loaded": "1", "ver": version})
            pipe.sadd(SHOWS_INDEX, show_id.hex)
            await pipe.execute()

    async def set_meta(self, show_id: uuid.UUID, meta: dict[str, str], synced_ms: int) -> bool:
        """Copy a show's status and sales window; an older copy (a smaller `synced_ms`, e.g. a
        reload that read PostgreSQL before a change committed) never overwrites a newer one.
        True if written."""
        answer = await self._script(args=self._meta_args(show_id, meta, synced_ms))
        return bool(answer[0] == "ok")

    @staticmethod
    def _meta_args(show_id: uuid.UUID, meta: dict[str, str], synced_ms: int) -> list[Any]:
        fields = [x for pair in meta.items() for x in pair]
        return ["meta", prefix(show_id), show_id.hex, synced_ms, *fields]

    async def lease(self, name: str, ms: int) -> bool:
        """True for the one caller that takes the named lease until it lapses; lets periodic
        jobs run once per interval, not once per replica."""
        return bool(await self.redis.set(f"lease:{name}", "1", nx=True, px=ms))

    async def live_holds(self, show_ids: list[uuid.UUID]) -> int:
        async with self.redis.pipeline(transaction=False) as pipe:
            for show_id in show_ids:
                pipe.zcard(f"{prefix(show_id)}exp")
            return sum(await pipe.execute())

    async def active_shows(self) -> list[uuid.UUID]:
        return [uuid.UUID(str(h)) for h in await self.redis.smembers(SHOWS_INDEX)]
