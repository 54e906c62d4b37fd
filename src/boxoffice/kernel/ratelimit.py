"""Fixed-window rate limits kept in Redis, so every process and replica counts together.

One Lua script per operation, one round trip each. Written here rather than taken from
`limits` (which does this well) because that library opens its own Redis connections from a
URL, while every process already holds a configured client; what we need is the dozen lines
below. A fixed window lets through at most twice the limit around a window's edge, which is
fine for limits meant to stop guessing and floods, not to meter.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from redis.asyncio import Redis

# Counts one hit; the first hit of a window starts its expiry. A key left without expiry (never
# by this script, but by a hand-made key) gets one too, so no counter lives forever.
_HIT = """
local hits = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {hits, ttl}
"""

# Gives a hit back within the same window only: after the window ended there is nothing to
# give back, and a DECR would make a counter without expiry.
_REFUND = """
if redis.call('PTTL', KEYS[1]) > 0 and tonumber(redis.call('GET', KEYS[1])) > 0 then
  return redis.call('DECRBY', KEYS[1], ARGV[1])
end
return 0
"""


@dataclass(frozen=True)
class Limit:
    """At most `count` hits per `seconds`, per subject; a count of 0 switches it off."""

    name: str
    count: int
    seconds: float


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    hits: int
    retry_after: float  # seconds until the window ends


class RateLimiter:
    def __init__(self, redis: Redis, prefix: str = "rl") -> None:
        self._prefix = prefix
        self._hit = redis.register_script(_HIT)
        self._refund = redis.register_script(_REFUND)

    def key(self, limit: Limit, subject: str) -> str:
        # Subjects are emails and addresses: keep them out of Redis, and keys short.
        digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
        return f"{self._prefix}:{limit.name}:{digest}"

    async def hit(self, limit: Limit, subject: str) -> Verdict:
        """Count one hit of `subject` and say whether it is within the limit."""
        if limit.count <= 0:
            return Verdict(True, 0, 0.0)
        window_ms = max(1, math.ceil(limit.seconds * 1000))
        hits, ttl_ms = await self._hit(keys=[self.key(limit, subject)], args=[1, window_ms])
        return Verdict(int(hits) <= limit.count, int(hits), int(ttl_ms) / 1000)

    async def refund(self, limit: Limit, subject: str) -> None:
        """Give back a hit that turned out not to count (a login with the right password)."""
        if limit.count > 0:
            await self._refund(keys=[self.key(limit, subject)], args=[1])
