"""Test infrastructure: real PostgreSQL, Redis and NATS (the machine's, else embedded ones),
and a running boxoffice server for the acceptance tests."""

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
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest

from boxoffice.kernel.embedded import EmbeddedInfra
from boxoffice.kernel.lifecycle import free_port

SHAPES = ("all-in-one", "distributed")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--shape",
        choices=SHAPES,
        default=os.environ.get("BOXOFFICE_TEST_SHAPE", SHAPES[0]),
        help="which shape the acceptance tests' server runs in",
    )


@pytest.fixture(scope="session")
def shape(request: pytest.FixtureRequest) -> str:
    value: str = request.config.getoption("--shape")
    return value


@dataclass(frozen=True)
class Infra:
    database_url: str
    redis_url: str
    nats_url: str
    stream: str
    prefix: str

    def env(self) -> dict[str, str]:
        return {
            "BOXOFFICE_DATABASE_URL": self.database_url,
            "BOXOFFICE_REDIS_URL": self.redis_url,
            "BOXOFFICE_NATS_URL": self.nats_url,
            "BOXOFFICE_EVENT_STREAM": self.stream,
            "BOXOFFICE_EVENT_SUBJECT_PREFIX": self.prefix,
        }


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="session")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Infra]:
    """The machine's PostgreSQL/Redis/NATS when they run (a fresh database, Redis db and stream
    per test session), else embedded servers started for this session."""
    run = uuid.uuid4().hex[:10]
    stream, prefix = f"BXT_{run}", f"bxt{run}"
    system = not os.environ.get("BOXOFFICE_TEST_EMBEDDED") and all(
        _listening(p) for p in (5432, 6379, 4222)
    )
    if system:
        database = f"bx_test_{run}"

        async def create() -> None:
            conn = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
            await conn.execute(f'CREATE DATABASE "{database}"')
            await conn.close()

        asyncio.run(create())
        # Keys are per show (random ids), so sessions sharing this Redis db stay apart.
        redis_url = "redis://127.0.0.1:6379/9"
        yield Infra(
            f"postgresql+asyncpg://postgres@127.0.0.1:5432/{database}",
            redis_url,
            "nats://127.0.0.1:4222",
            stream,
            prefix,
        )

        async def drop() -> None:
            conn = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
            await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            await conn.close()

        asyncio.run(drop())
        _delete_stream("nats://127.0.0.1:4222", stream)
    else:
        embedded = EmbeddedInfra(tmp_path_factory.mktemp("var"))
        urls = embedded.start()
        try:
            yield Infra(urls.database_url, urls.redis_url, urls.nats_url, stream, prefix)
        finally:
            embedded.stop()


def _delete_stream(url: str, stream: str) -> None:
    import nats

    async def delete() -> None:
        nc = await nats.connect(url)
        with contextlib.suppress(Exception):  # already gone is fine
            await nc.jetstream().delete_stream(stream)
        await nc.close()

    asyncio.run(delete())


# One per test session: test sessions on one machine share its Redis, and with it the sign-in
# limits' counters per account.
ADMIN = (f"root-{uuid.uuid4().hex[:8]}@boxoffice.example", "root-password-1")


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def api(self) -> str:
        return f"{self.base_url}/api/v1"


# Test servers log in many users from 127.0.0.1, more than one client address may in a minute:
# their per-client auth limit is off unless a test sets one (tests/acceptance/test_auth_limits.py
# does, with tight limits). The per-account limits keep their defaults.
# The admin and a few users are logged in once per run (session fixtures): their access tokens
# last an hour, so a slow run does not turn into a cascade of 401s hiding its first failure.
TEST_SERVER_SETTINGS = {"auth_limit_per_client": "0", "access_token_ttl_seconds": "3600"}


def start_server(infra: Infra, workdir: Path, shape: str = "all-in-one", **settings: str) -> Server:
    """Run `boxoffice up` (either shape) as a child process and wait until it is ready."""
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "server.log"
    env = {
        **os.environ,
        **infra.env(),
        "BOXOFFICE_VAR_DIR": str(workdir / "var"),
        "BOXOFFICE_LOG_LEVEL": "WARNING",
        **{f"BOXOFFICE_{k.upper()}": v for k, v in {**TEST_SERVER_SETTINGS, **settings}.items()},
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "boxoffice.cli",
                "up",
                "--port",
                str(port),
                *(["--distributed"] if shape == "distributed" else []),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{server.base_url}/health/ready", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop_server(server)
    raise RuntimeError(f"server not ready in 180 s:\n{log.read_text()[-3000:]}")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(30)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="session")
def server(infra: Infra, shape: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server (of the --shape chosen) for the acceptance tests, with short payment timeouts
    so every saga branch finishes within seconds."""
    srv = start_server(
        infra,
        tmp_path_factory.mktemp("server"),
        shape,
        payment_timeout_seconds="4",
        payment_slow_seconds="1",
        saga_sweep_seconds="0.5",
        hold_sweep_seconds="0.5",
        admin_email=ADMIN[0],
        admin_password=ADMIN[1],
    )
    yield srv
    stop_server(srv)
    logs = [srv.log, *srv.log.parent.glob("var/cluster/logs/*.log")]
    failed = [log for log in logs if "Traceback" in log.read_text(errors="replace")]
    assert not failed, f"the server logged errors; see {failed}"
