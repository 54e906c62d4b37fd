"""The baseline processes a hold storm is compared with: the bare endpoint (boxoffice_bench.bare)
and, for the distributed shape, the same nginx in front of it; each started and stopped here."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

from redis.asyncio import Redis

from boxoffice.gateway.cluster import start_nginx, wait_ready
from boxoffice.gateway.nginx import ROUTES
from boxoffice.inventory.holdstore import SHOWS_INDEX, prefix
from boxoffice.kernel.lifecycle import free_port


@contextlib.contextmanager
def running(
    process: subprocess.Popen[bytes],
    health_url: str,
    what: str,
    stop: signal.Signals = signal.SIGQUIT,
    timeout: float = 60.0,
) -> Iterator[None]:
    """Wait until `process` answers 200 at `health_url`; stop it with `stop` when done."""
    try:
        wait_ready(health_url, process, what, timeout)
        yield
    finally:
        process.send_signal(stop)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def behind_gateway(bare_url: str, workdir: Path) -> Iterator[tuple[str, int]]:
    """nginx with the distributed shape's generated configuration, every upstream pointing at
    the bare app: the distributed full path's extra hop, without our code. (URL, nginx pid)."""
    prefix_dir = workdir / "bare-gateway"
    (prefix_dir / "tmp").mkdir(parents=True, exist_ok=True)
    bare_port = int(bare_url.rsplit(":", 1)[1])
    port = free_port()
    openapi_file = prefix_dir / "openapi.json"
    openapi_file.write_text("{}")
    process = start_nginx(
        prefix_dir, port, {name: [bare_port] for _, name in ROUTES}, prefix_dir, openapi_file
    )
    url = f"http://127.0.0.1:{port}"
    with running(process, f"{url}/health/ready", f"nginx in front of the bare app ({prefix_dir})"):
        yield url, process.pid


@contextlib.contextmanager
def bare_app(redis_url: str, workers: int, ttl_ms: int, workdir: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = {
        **os.environ,
        "BOXOFFICE_REDIS_URL": redis_url,
        "BOXOFFICE_BENCH_HOLD_TTL_MS": str(ttl_ms),
    }
    workdir.mkdir(parents=True, exist_ok=True)
    with (workdir / "bare.log").open("ab") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "boxoffice_bench.bare",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    with running(
        process, f"{url}/health", f"the bare app ({workdir / 'bare.log'})", signal.SIGTERM
    ):
        yield url, process.pid


async def drop_shows(redis_url: str, show_ids: list[uuid.UUID]) -> None:
    redis = Redis.from_url(redis_url, decode_responses=True)
    try:
        for show in show_ids:
            keys = [k async for k in redis.scan_iter(match=f"{prefix(show)}*", count=1000)]
            if keys:
                await redis.delete(*keys)
            await redis.srem(SHOWS_INDEX, show.hex)
    finally:
        await redis.aclose()
