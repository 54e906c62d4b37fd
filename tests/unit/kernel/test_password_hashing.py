"""Password hashing is bounded per process: at most N hashes at once, a short queue, and callers
past the queue are refused at once (503 with Retry-After) instead of waiting without end."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError

from boxoffice.kernel.auth import PasswordHashing, default_hash_concurrency
from boxoffice.kernel.errors import Unavailable


class CountingHasher(PasswordHasher):
    """argon2's hasher with the work replaced: counts the hashes running at once and blocks
    each until the test opens the gate."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.started = threading.Semaphore(0)
        self.gate = threading.Event()

    def _work(self, result: Any) -> Any:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        self.started.release()
        self.gate.wait(30)
        with self.lock:
            self.running -= 1
        return result

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:  # noqa: ARG002
        return str(self._work(f"hashed:{password!s}"))

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        if hash != f"hashed:{password!s}":
            self._work(None)
            raise VerifyMismatchError
        return bool(self._work(True))


async def started(hasher: CountingHasher, count: int) -> None:
    for _ in range(count):
        assert await asyncio.to_thread(hasher.started.acquire, True, 30)


async def settle() -> None:
    """Let every ready task and thread hand-off run (no timing is asserted)."""
    for _ in range(20):
        await asyncio.sleep(0)
    await asyncio.to_thread(lambda: None)
    for _ in range(20):
        await asyncio.sleep(0)


async def test_no_more_hashes_run_at_once_than_the_bound_however_many_callers_wait() -> None:
    hasher = CountingHasher()
    hashing = PasswordHashing(concurrency=2, queue=10, hasher=hasher)

    calls = [asyncio.create_task(hashing.hash(f"pw{i}")) for i in range(8)]
    await started(hasher, 2)
    await settle()
    assert hasher.running == 2  # six callers wait for a slot instead of taking a thread
    hasher.gate.set()

    assert await asyncio.gather(*calls) == [f"hashed:pw{i}" for i in range(8)]
    assert hasher.most == 2
    assert hasher.running == 0


async def test_verifying_is_bounded_as_hashing_is_and_tells_right_from_wrong() -> None:
    hasher = CountingHasher()
    hasher.gate.set()
    hashing = PasswordHashing(concurrency=1, queue=10, hasher=hasher)

    answers = await asyncio.gather(
        *(hashing.verify("hashed:right", pw) for pw in ["right", "wrong"] * 4)
    )
    assert answers == [True, False] * 4
    assert hasher.most == 1


async def test_a_caller_past_the_queue_is_refused_at_once_with_retry_after() -> None:
    hasher = CountingHasher()
    hashing = PasswordHashing(concurrency=1, queue=2, hasher=hasher)
    admitted = [asyncio.create_task(hashing.hash(f"pw{i}")) for i in range(3)]
    await started(hasher, 1)
    await settle()

    with pytest.raises(Unavailable) as refused:
        await hashing.hash("one too many")
    assert refused.value.status == 503
    assert refused.value.extra["retry_after"] == 1

    hasher.gate.set()
    assert await asyncio.gather(*admitted) == ["hashed:pw0", "hashed:pw1", "hashed:pw2"]
    assert await hashing.hash("room again") == "hashed:room again"  # places were given back


async def test_a_failing_or_cancelled_hash_gives_its_place_back() -> None:
    class Broken(CountingHasher):
        def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:  # noqa: ARG002
            raise RuntimeError("argon2 fell over")

    hashing = PasswordHashing(concurrency=1, queue=0, hasher=Broken())
    for _ in range(3):
        with pytest.raises(RuntimeError):
            await hashing.hash("pw")

    blocked = CountingHasher()
    hashing = PasswordHashing(concurrency=1, queue=1, hasher=blocked)
    running = asyncio.create_task(hashing.hash("first"))
    await started(blocked, 1)
    waiting = asyncio.create_task(hashing.hash("second"))
    await settle()
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    queued = asyncio.create_task(hashing.hash("third"))  # the cancelled caller's place
    await settle()
    blocked.gate.set()
    assert [await running, await queued] == ["hashed:first", "hashed:third"]


def test_by_default_one_core_is_left_to_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.sched_getaffinity", lambda _pid: {0, 1})
    assert default_hash_concurrency() == 1
    monkeypatch.setattr("os.sched_getaffinity", lambda _pid: {0, 1, 2, 3, 4, 5, 6, 7})
    assert default_hash_concurrency() == 7
    monkeypatch.setattr("os.sched_getaffinity", lambda _pid: {0})
    assert default_hash_concurrency() == 1


async def test_a_hash_whose_caller_was_cancelled_keeps_its_slot_until_it_ends() -> None:
    hasher = CountingHasher()
    hashing = PasswordHashing(concurrency=1, queue=5, hasher=hasher)
    abandoned = asyncio.create_task(hashing.hash("abandoned"))
    await started(hasher, 1)
    abandoned.cancel()
    with pytest.raises(asyncio.CancelledError):
        await abandoned

    next_one = asyncio.create_task(hashing.hash("next"))
    await settle()
    assert hasher.running == 1  # the abandoned hash still runs in its thread; next waits
    hasher.gate.set()
    assert await next_one == "hashed:next"
    assert hasher.most == 1
