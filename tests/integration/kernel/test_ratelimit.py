"""Fixed-window rate limits on the real Redis: exact under concurrency, windows that end, hits
given back only within their window."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from redis.asyncio import Redis

from boxoffice.kernel.ratelimit import Limit, RateLimiter

pytestmark = pytest.mark.integration


@pytest.fixture
def limiter(redis: Redis) -> RateLimiter:
    return RateLimiter(redis, prefix=f"it:rl:{uuid.uuid4().hex[:8]}")


async def test_hits_within_the_limit_pass_and_the_next_is_refused_until_the_window_ends(
    limiter: RateLimiter,
) -> None:
    limit = Limit("login", 3, 60)
    verdicts = [await limiter.hit(limit, "ann@example.org") for _ in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert [v.hits for v in verdicts] == [1, 2, 3, 4]
    assert 59 < verdicts[-1].retry_after <= 60


async def test_concurrent_hits_are_counted_exactly(limiter: RateLimiter) -> None:
    limit = Limit("burst", 10, 60)
    verdicts = await asyncio.gather(*(limiter.hit(limit, "198.51.100.1") for _ in range(50)))
    assert sum(v.allowed for v in verdicts) == 10
    assert sorted(v.hits for v in verdicts) == list(range(1, 51))


async def test_subjects_and_limits_are_counted_apart(limiter: RateLimiter) -> None:
    tight = Limit("tight", 1, 60)
    assert (await limiter.hit(tight, "a")).allowed
    assert not (await limiter.hit(tight, "a")).allowed
    assert (await limiter.hit(tight, "b")).allowed
    assert (await limiter.hit(Limit("other", 1, 60), "a")).allowed


async def test_a_new_window_starts_once_the_last_one_ended(limiter: RateLimiter) -> None:
    limit = Limit("short", 1, 0.2)
    assert (await limiter.hit(limit, "a")).allowed
    assert not (await limiter.hit(limit, "a")).allowed
    for _ in range(100):  # polls; nothing here asserts how long it took
        await asyncio.sleep(0.05)
        if (await limiter.hit(limit, "a")).allowed:
            return
    raise AssertionError("the window never ended")


async def test_a_refund_gives_one_hit_back_within_the_window(limiter: RateLimiter) -> None:
    limit = Limit("refund", 2, 60)
    await limiter.hit(limit, "a")
    await limiter.hit(limit, "a")
    await limiter.refund(limit, "a")
    assert (await limiter.hit(limit, "a")).allowed
    assert not (await limiter.hit(limit, "a")).allowed


async def test_a_refund_after_the_window_leaves_no_counter_behind(
    limiter: RateLimiter, redis: Redis
) -> None:
    limit = Limit("late", 1, 60)
    await limiter.refund(limit, "never-hit")
    assert await redis.exists(limiter.key(limit, "never-hit")) == 0
    await limiter.hit(limit, "a")
    await redis.delete(limiter.key(limit, "a"))  # the window ended
    await limiter.refund(limit, "a")
    assert await redis.exists(limiter.key(limit, "a")) == 0


async def test_every_counter_expires_and_names_no_email(limiter: RateLimiter, redis: Redis) -> None:
    limit = Limit("ttl", 5, 30)
    await limiter.hit(limit, "ann@example.org")
    key = limiter.key(limit, "ann@example.org")
    assert "ann" not in key
    assert 0 < await redis.pttl(key) <= 30_000


async def test_a_limit_of_zero_is_off(limiter: RateLimiter, redis: Redis) -> None:
    off = Limit("off", 0, 60)
    assert all([(await limiter.hit(off, "a")).allowed for _ in range(20)])
    assert await redis.exists(limiter.key(off, "a")) == 0
