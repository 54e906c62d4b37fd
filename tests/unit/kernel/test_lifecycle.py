"""Stopping in bounded time: cancellation that sticks, uvicorn's stop signal chained, a port
that is taken said in one line."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import socket
import time

import pytest
import uvicorn

from boxoffice.kernel import lifecycle
from boxoffice.kernel.lifecycle import (
    PortTaken,
    StopDeadline,
    cancel_until_done,
    check_port,
    claim_port,
    on_server_stop,
)


async def test_a_task_that_swallows_a_cancellation_is_cancelled_again_until_it_ends() -> None:
    swallowed = 0

    async def sweeper() -> None:  # what a library's timeout racing our cancel looks like
        nonlocal swallowed
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                swallowed += 1
                if swallowed == 1:
                    asyncio.current_task().uncancel()  # type: ignore[union-attr]
                    continue
                raise

    task = asyncio.create_task(sweeper())
    await asyncio.sleep(0)
    began = time.monotonic()
    await cancel_until_done([task], within=3)
    assert task.cancelled() and swallowed == 2
    assert time.monotonic() - began < 1


async def test_a_task_that_never_ends_is_left_after_the_limit() -> None:
    async def stubborn() -> None:
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                asyncio.current_task().uncancel()  # type: ignore[union-attr]

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    began = time.monotonic()
    await cancel_until_done([task], within=0.5)
    assert not task.done() and time.monotonic() - began < 1.5
    task.get_coro().close()  # type: ignore[union-attr]


async def test_uvicorns_stop_signal_first_calls_back_then_reaches_uvicorn() -> None:
    server = uvicorn.Server(uvicorn.Config(app=lambda: None))
    before = signal.signal(signal.SIGTERM, server.handle_exit)
    called = asyncio.Event()
    try:
        undo = on_server_stop(called.set)
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(called.wait(), 2)
        assert server.should_exit
        undo()
        assert signal.getsignal(signal.SIGTERM) == server.handle_exit
    finally:
        signal.signal(signal.SIGTERM, before)


async def test_handlers_that_are_not_uvicorns_are_left_alone() -> None:
    before = signal.getsignal(signal.SIGINT)
    undo = on_server_stop(lambda: None)
    assert signal.getsignal(signal.SIGINT) is before
    undo()


def test_a_taken_port_is_one_line_naming_it() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for claim in (claim_port, check_port):
            with pytest.raises(PortTaken) as raised:
                claim("127.0.0.1", port)
            message = str(raised.value)
            assert "\n" not in message
            assert f"127.0.0.1:{port}: address already in use" in message
    with claim_port("127.0.0.1", 0) as free:
        assert free.getsockname()[1] > 0


def test_the_stop_deadline_runs_its_cleanup_and_exits(monkeypatch: pytest.MonkeyPatch) -> None:
    exited: list[int] = []
    done = []
    monkeypatch.setattr(lifecycle, "STOP_BOUND_SECONDS", StopDeadline.MARGIN_SECONDS + 0.1)
    monkeypatch.setattr(lifecycle.os, "_exit", exited.append)
    deadline = StopDeadline()
    deadline.on_expiry += [lambda: done.append("servers stopped"), lambda: done.append("killed")]
    deadline.arm()
    deadline.arm()  # a second signal changes nothing
    assert deadline.armed
    time.sleep(0.5)
    assert done == ["killed", "servers stopped"] and exited == [1]


def test_a_serving_process_collects_rarely_and_never_its_start_up_objects() -> None:
    before = gc.get_threshold()
    try:
        lifecycle.tune_gc()
        assert gc.get_threshold() == (50_000, 50, 100)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
