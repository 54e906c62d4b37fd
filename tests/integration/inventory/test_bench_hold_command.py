"""The raw-store baseline of `make bench` runs the real hold script with the arguments the
service passes (it stopped working once when the script gained two)."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from boxoffice_bench.stores import drop_show, hold_command, hold_script_show
from tests.conftest import Infra

pytestmark = pytest.mark.integration


async def test_the_bench_s_evalsha_holds_a_seat_with_its_price(infra: Infra) -> None:
    sha, show = await hold_script_show(infra.redis_url, 10)
    redis = Redis.from_url(infra.redis_url, decode_responses=True)
    try:
        # redis-benchmark replaces __rand_int__ by 12 random digits; here one seat, once.
        command = [a.replace("__rand_int__", f"{7:012d}") for a in hold_command(sha, show)]
        answer = await redis.execute_command(*command)
        assert answer[0] == "ok", answer
        [hold_key] = [k async for k in redis.scan_iter(match=f"{command[4]}h:*")]
        assert await redis.hget(hold_key, "sp") == "1000"
        assert await redis.hget(f"{command[4]}st", f"{7:012d}") != "0"  # held
        again = await redis.execute_command(*command)
        assert again[0] != "ok", again  # the seat is taken now
    finally:
        await redis.aclose()
        await drop_show(infra.redis_url, show)
