"""The systems a bench run measures: infrastructure of its own (a database, a Redis db and a
JetStream stream that no one else uses) and `boxoffice up` child processes in either shape."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import httpx
from sqlalchemy.engine import make_url

from boxoffice.kernel.embedded import EmbeddedInfra
from boxoffice.kernel.lifecycle import free_port

MACHINE = {
    "database_url": "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres",
    "redis_url": "redis://127.0.0.1:6379/13",
    "nats_url": "nats://127.0.0.1:4222",
}

# Settings of a system the bench starts: a short hold TTL keeps seats churning through a storm
# (expired holds come back, so the storm measures a steady mix of granted and refused holds),
# and the per-customer hold limit still runs on every hold but does not bite 64 accounts that
# place thousands of holds.
BENCH_SETTINGS = {
    "hold_ttl_seconds": "10",
    "max_held_per_customer": "1000000",
    # Every bench customer logs in from 127.0.0.1, as no crowd of real people would.
    "auth_limit_per_client": "0",
    "log_level": "WARNING",
    # The waiting room's join proof of work at 4 bits (16 hashes): the bench's one process
    # solves it for 100,000 customers; the server's check is one hash either way.
    "queue_pow_bits": "4",
}

# Traces of 1% of requests are recorded (trace ids still reach every log line and event), as an
# on-sale deployment would run: recording a span per request costs a fifth of the hold path
# (docs/benchmarks.md). Standard OpenTelemetry variables; set them yourself to measure others.
TRACING = {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.01"}

ADMIN = ("bench-admin@boxoffice.example", "bench-admin-password-1")


def asyncpg_dsn(database_url: str) -> str:
    return database_url.replace("+asyncpg", "", 1)


def listening(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


@dataclass
class Infra:
    """PostgreSQL (a server URL; databases are created per system), Redis, NATS."""

    server_url: str  # a database URL on the server where bench databases are created
    redis_url: str
    nats_url: str
    embedded: EmbeddedInfra | None = None
    databases: list[str] = field(default_factory=list)
    streams: list[str] = field(default_factory=list)

    def database_url(self, name: str) -> str:
        return str(make_url(self.server_url).set(database=name).render_as_string(False))

    async def create_database(self, name: str) -> str:
        conn = await asyncpg.connect(asyncpg_dsn(self.server_url))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        self.databases.append(name)
        return self.database_url(name)

    async def cleanup(self) -> None:
        if self.databases:
            conn = await asyncpg.connect(asyncpg_dsn(self.server_url))
            try:
                for name in self.databases:
                    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await conn.close()
            self.databases.clear()
        if self.streams:
            import nats

            with contextlib.suppress(Exception):
                nc = await nats.connect(self.nats_url)
                for stream in self.streams:
                    with contextlib.suppress(Exception):
                        await nc.jetstream().delete_stream(stream)
                await nc.close()
            self.streams.clear()


@contextlib.contextmanager
def infrastructure(var_dir: Path) -> Iterator[Infra]:
    """The machine's PostgreSQL/Redis/NATS on their standard ports when all three answer, else
    embedded servers under var_dir (stopped afterwards)."""
    if all(listening(p) for p in (5432, 6379, 4222)) and not os.environ.get(
        "BOXOFFICE_BENCH_EMBEDDED"
    ):
        infra = Infra(MACHINE["database_url"], MACHINE["redis_url"], MACHINE["nats_url"])
        try:
            yield infra
        finally:
            asyncio.run(infra.cleanup())
        return
    embedded = EmbeddedInfra(var_dir / "infra")
    urls = embedded.start()
    infra = Infra(urls.database_url, urls.redis_url, urls.nats_url, embedded)
    try:
        yield infra
    finally:
        asyncio.run(infra.cleanup())
        embedded.stop()


@dataclass
class System:
    """One `boxoffice up` child process (either shape) with bench settings."""

    shape: str
    base_url: str
    database_url: str
    redis_url: str
    process: subprocess.Popen[bytes]
    log: Path
    var_dir: Path | None = None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_system(
    infra: Infra,
    shape: str,
    workdir: Path,
    extra: dict[str, str] | None = None,
    *,
    workers: int = 1,
) -> System:
    run = uuid.uuid4().hex[:8]
    database = f"bx_bench_{shape.replace('-', '')}_{run}"
    database_url = asyncio.run(infra.create_database(database))
    stream = f"BXBENCH_{run}"
    infra.streams.append(stream)
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / f"server-{shape}.log"
    settings = {
        **BENCH_SETTINGS,
        "database_url": database_url,
        "redis_url": infra.redis_url,
        "nats_url": infra.nats_url,
        "event_stream": stream,
        "event_subject_prefix": f"bxb{run}",
        "var_dir": str(workdir / f"var-{shape}"),
        "admin_email": ADMIN[0],
        "admin_password": ADMIN[1],
        **(extra or {}),
    }
    env = {
        **TRACING,
        **os.environ,
        **{f"BOXOFFICE_{k.upper()}": v for k, v in settings.items()},
    }
    cmd = [sys.executable, "-m", "boxoffice.cli", "up", "--port", str(port)]
    if shape == "distributed":
        cmd.append("--distributed")
    elif workers > 1:
        cmd += ["--workers", str(workers)]
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    system = System(
        shape,
        f"http://127.0.0.1:{port}",
        database_url,
        infra.redis_url,
        process,
        log,
        Path(settings["var_dir"]),
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{shape} system exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{system.base_url}/health/ready", timeout=2).status_code == 200:
                return system
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    system.stop()
    raise RuntimeError(f"{shape} system not ready in 300 s:\n{log.read_text()[-3000:]}")
