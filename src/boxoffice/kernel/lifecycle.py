"""How a boxoffice process starts on its port and stops within a bounded time."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger(__name__)

# `boxoffice up` is gone this many seconds after the first SIGTERM/SIGINT, whatever hangs
# (docs/operations.md). In-flight requests get GRACE_SECONDS of it; live streams end at once.
STOP_BOUND_SECONDS = 10.0
GRACE_SECONDS = 5.0


def tune_gc() -> None:
    """Process-wide tuning, once per serving process after its imports (and, where the entry
    point can, after the app's start-up).

    The collector's defaults (a collection every 700 allocations) walk the cached seat layouts
    of big shows again and again: a third of the hold throughput and most of its p99
    (docs/benchmarks.md). Collect less often, and never the start-up objects."""
    gc.set_threshold(50_000, 50, 100)
    gc.freeze()


class PortTaken(RuntimeError):
    """The port to serve on cannot be bound; the message is the one line to show."""


def claim_port(host: str, port: int) -> socket.socket:
    """A socket bound to host:port (not yet listening), made before anything else starts so a
    taken port is said at once and leaves nothing running. uvicorn serves on it (`fd=`)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn and nginx do
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        why = "address already in use" if exc.errno == errno.EADDRINUSE else exc.strerror
        raise PortTaken(
            f"boxoffice: cannot listen on {host}:{port}: {why} "
            "(stop what runs there, or choose another port with --port or BOXOFFICE_PORT)"
        ) from exc
    return sock


def check_port(host: str, port: int) -> None:
    """claim_port for a port that another program (nginx) will bind."""
    claim_port(host, port).close()


async def cancel_until_done(tasks: Sequence[asyncio.Task[Any]], within: float) -> None:
    """Cancel until done: a task whose cancellation a library swallowed (a timeout inside it
    racing the cancel) would run on, and the process would never exit."""
    loop = asyncio.get_running_loop()
    pending = set(tasks)
    deadline = loop.time() + within
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=0.2)
        if pending and loop.time() > deadline:
            log.warning("left %d background tasks running at shutdown: %s", len(pending), pending)
            return


def on_server_stop(callback: Callable[[], None]) -> Callable[[], None]:
    """Call `callback` in the running loop when uvicorn is told to stop (SIGTERM/SIGINT),
    before it waits for open responses to finish; returns the undo. Only a uvicorn server's
    own handler is chained, so tests and other hosts keep theirs."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def handler(sig: int, frame: FrameType | None) -> None:
        loop.call_soon_threadsafe(callback)
        chained = previous[signal.Signals(sig)]
        if callable(chained):
            chained(sig, frame)

    ours = [
        sig
        for sig, old in previous.items()
        if isinstance(getattr(old, "__self__", None), uvicorn.Server)
    ]
    for sig in ours:
        signal.signal(sig, handler)

    def undo() -> None:
        for sig in ours:
            if signal.getsignal(sig) is handler:
                signal.signal(sig, previous[sig])

    return undo


class StopDeadline:
    """Armed by the first stop signal: if the process has not exited STOP_BOUND_SECONDS later
    (less a margin for the cleanup itself), it runs the `on_expiry` jobs (kill what still runs,
    stop the embedded servers) and exits with code 1."""

    MARGIN_SECONDS = 3.0

    def __init__(self) -> None:
        self.on_expiry: list[Callable[[], None]] = []
        self._timer: threading.Timer | None = None

    @property
    def armed(self) -> bool:
        return self._timer is not None

    def arm(self) -> None:
        if self._timer is None:
            self._timer = threading.Timer(STOP_BOUND_SECONDS - self.MARGIN_SECONDS, self._expire)
            self._timer.daemon = True
            self._timer.start()

    def _expire(self) -> None:
        log.error(
            "shutdown did not finish within %.0fs; killing what is left",
            STOP_BOUND_SECONDS - self.MARGIN_SECONDS,
        )
        for job in reversed(self.on_expiry):
            try:
                job()
            except Exception:
                log.exception("cleanup after the shutdown deadline failed")
        os._exit(1)


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on now (for a process about to start)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class NoDelayHttp(HttpToolsProtocol):
    """uvicorn's httptools protocol on sockets with TCP_NODELAY. uvicorn writes a response's
    head and body in two sends; with Nagle's algorithm on, the second waits for the client to
    acknowledge the first, and a client on a kept-alive connection delays that ACK by 40 ms:
    every request after the first on a connection (nginx's upstream keep-alive, the services'
    HTTP clients, browsers) took 40 ms more (docs/benchmarks.md, the waiting room)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        # Not by its family: uvloop's socket of a listener passed by fd says AF_UNIX for TCP.
        if sock is not None:
            with contextlib.suppress(OSError):  # a Unix socket has no Nagle to turn off
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
