"""The embedded PostgreSQL, Redis and NATS really serve, keep their data and die on stop()."""

from __future__ import annotations

import logging
import shutil
import stat
import time
from pathlib import Path

import asyncpg
import nats
import psutil
import pytest
import redis
import redis.asyncio as aioredis
import sqlalchemy as sa
from nats.aio.client import Client as NatsClient
from sqlalchemy.ext.asyncio import create_async_engine

from boxoffice.kernel import embedded
from boxoffice.kernel.embedded import (
    URLS_FILE,
    EmbeddedInfra,
    EmbeddedInfraError,
    InfraUrls,
    redact,
    running_urls,
)

pytestmark = pytest.mark.integration
logger = logging.getLogger(__name__)
STANDARD_PORTS = (":5432", ":6379", ":4222")


def _server_pids(var: Path, children_before: set[int]) -> set[int]:
    """Our new child processes (redis, nats, pg watchdog) plus the postmaster."""
    children = {p.pid for p in psutil.Process().children()} - children_before
    postmaster = int((var / "pg" / "postmaster.pid").read_text().split()[0])
    return children | {postmaster}


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _start(var: Path) -> tuple[EmbeddedInfra, InfraUrls, float]:
    infra = EmbeddedInfra(var)
    began = time.monotonic()
    urls = infra.start()
    return infra, urls, time.monotonic() - began


async def test_servers_work_keep_their_data_and_stop(tmp_path: Path) -> None:
    var = tmp_path / "var"
    before = {p.pid for p in psutil.Process().children()}
    infra, urls, cold = _start(var)
    try:
        pids = _server_pids(var, before)
        assert len(pids) == 4
        assert urls.database_url.startswith("postgresql+asyncpg://postgres@/postgres?host=")
        assert urls.redis_url.startswith("redis://:") and "@127.0.0.1:" in urls.redis_url
        assert urls.nats_url.startswith("nats://boxoffice:") and "@127.0.0.1:" in urls.nats_url
        assert not any(p in url for p in STANDARD_PORTS for url in (urls.redis_url, urls.nats_url))

        engine = create_async_engine(urls.database_url)
        async with engine.begin() as conn:
            await conn.execute(sa.text("create table kept (id int primary key, note text)"))
            await conn.execute(sa.text("insert into kept values (1, 'from sqlalchemy')"))
        await engine.dispose()
        pg = await asyncpg.connect(urls.database_url.replace("+asyncpg", ""))
        await pg.execute("insert into kept values (2, 'from asyncpg')")
        assert await pg.fetchval("select count(*) from kept") == 2
        await pg.close()

        rd = aioredis.from_url(urls.redis_url)
        await rd.set("kept", "yes")
        assert await rd.get("kept") == b"yes"
        await rd.aclose()

        nc = await nats.connect(urls.nats_url)
        js = nc.jetstream()
        await js.add_stream(name="EMBEDDED", subjects=["embedded.>"])
        ack = await js.publish("embedded.hello", b"hello")
        assert (await js.get_msg("EMBEDDED", ack.seq)).data == b"hello"
        await nc.close()
    finally:
        infra.stop()
    infra.stop()  # idempotent

    deadline = time.monotonic() + 5
    while any(_running(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in pids if _running(pid)]

    infra, urls, warm = _start(var)
    try:
        pg = await asyncpg.connect(urls.database_url.replace("+asyncpg", ""))
        assert await pg.fetch("select note from kept order by id") == [
            ("from sqlalchemy",),
            ("from asyncpg",),
        ]
        await pg.close()

        rd = aioredis.from_url(urls.redis_url)
        assert await rd.get("kept") == b"yes"
        await rd.aclose()

        nc = await nats.connect(urls.nats_url)
        assert (await nc.jetstream().get_msg("EMBEDDED", 1)).data == b"hello"
        await nc.close()
    finally:
        infra.stop()
    logger.info("embedded start(): cold %.2fs, warm %.2fs", cold, warm)
    assert cold < embedded.STARTUP_TIMEOUT
    assert warm < embedded.STARTUP_TIMEOUT


def test_long_var_dir_falls_back_to_a_short_socket_dir(tmp_path: Path) -> None:
    var = tmp_path / ("d" * 60) / ("e" * 60) / "var"
    var.mkdir(parents=True)
    with EmbeddedInfra(var, redis=False, nats=False) as urls:
        assert urls.redis_url == urls.nats_url == ""
        socket_dir = urls.database_url.split("host=")[1].split("&")[0]
        assert len(socket_dir) + len("/.s.PGSQL.5432") < 108


def test_a_server_that_dies_is_named_with_its_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    false = shutil.which("false")
    assert false is not None
    monkeypatch.setattr(embedded, "_redis_server_binary", lambda: Path(false))
    infra = EmbeddedInfra(tmp_path, postgres=False, nats=False)
    with pytest.raises(EmbeddedInfraError, match=r"embedded redis exited .*log/redis\.log"):
        infra.start()


async def _refused_without_credentials(urls: InfraUrls) -> None:
    port = int(urls.redis_url.rsplit(":", 1)[1].split("/")[0])
    anonymous = aioredis.Redis(host="127.0.0.1", port=port)
    with pytest.raises(redis.exceptions.AuthenticationError):
        await anonymous.set("forged", "seat sold")
    await anonymous.aclose()
    wrong = aioredis.from_url(urls.redis_url.replace("://:", "://:not-the-password"))
    with pytest.raises(redis.exceptions.AuthenticationError):
        await wrong.ping()
    await wrong.aclose()

    async def quiet(_exc: Exception) -> None:
        return None

    host = urls.nats_url.split("@", 1)[1]
    for url in (f"nats://{host}", f"nats://boxoffice:not-the-password@{host}"):
        nc = NatsClient()
        try:
            with pytest.raises(nats.errors.Error, match="Authorization"):
                await nc.connect(url, allow_reconnect=False, error_cb=quiet)
                await nc.publish("bx.payment.payment.completed", b"forged")
        finally:
            await nc.close()


async def _answer_with_credentials(urls: InfraUrls) -> None:
    rd = aioredis.from_url(urls.redis_url)
    assert await rd.ping()
    await rd.aclose()
    nc = await nats.connect(urls.nats_url, allow_reconnect=False)
    await nc.jetstream().account_info()
    await nc.close()


async def test_redis_and_nats_refuse_clients_without_the_generated_credentials(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    var = tmp_path / "var"
    caplog.set_level(logging.DEBUG)
    with EmbeddedInfra(var, postgres=False) as urls:
        await _refused_without_credentials(urls)
        await _answer_with_credentials(urls)
        passwords = [
            (var / "keys" / name).read_text().strip()
            for name in ("redis-password", "nats-password")
        ]
        assert all(len(p) >= 32 for p in passwords) and passwords[0] != passwords[1]
        assert all(p in urls.redis_url + urls.nats_url for p in passwords)
        # Another local user reads neither the key files nor the servers' command lines.
        # Commands beside the running system find its servers; nobody else reads them.
        assert running_urls(var) == urls
        names = ("redis-password", "nats-password", "redis.conf", "nats.conf", URLS_FILE)
        for name in names:
            assert stat.S_IMODE((var / "keys" / name).stat().st_mode) == 0o600, name
        assert stat.S_IMODE((var / "keys").stat().st_mode) == 0o700
        cmdlines = " ".join(" ".join(p.cmdline()) for p in psutil.Process().children())
        assert "redis-server" in cmdlines and "nats-server" in cmdlines
        assert not any(p in cmdlines for p in passwords)
        assert not any(p in repr(urls) for p in passwords)
    assert not any(p in caplog.text for p in passwords)
    assert running_urls(var) is None  # stopped: nothing to point at

    # A second start on the same var dir (a second `make run`) keeps the credentials.
    with EmbeddedInfra(var, postgres=False) as again:
        await _answer_with_credentials(again)
        for old, new in ((urls.redis_url, again.redis_url), (urls.nats_url, again.nats_url)):
            assert old.split("@")[0] == new.split("@")[0]


def test_redact_hides_passwords_and_tokens_but_not_where_a_url_points() -> None:
    assert redact("redis://:secret@127.0.0.1:6379/0") == "redis://:***@127.0.0.1:6379/0"
    assert redact("rediss://app:s%40cret@cache:6380/0") == "rediss://app:***@cache:6380/0"
    assert redact("nats://boxoffice:secret@127.0.0.1:4222") == "nats://boxoffice:***@127.0.0.1:4222"
    assert redact("tls://s3cr3t-token@nats:4222") == "tls://***@nats:4222"
    assert redact("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
