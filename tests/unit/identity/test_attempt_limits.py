"""Which auth attempts count against the limits: a wrong password counts, a right one does not,
an attempt past the limit is refused before any hashing, and a client address has its own count.
A fake rate limiter in memory stands in for Redis; the database is never reached."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from boxoffice.identity import api, store
from boxoffice.identity.domain import TooManyAttempts, WrongPassword
from boxoffice.identity.service import AuthLimits, IdentityService
from boxoffice.kernel.auth import PasswordHashing, TokenIssuer, ensure_keypair, hash_password
from boxoffice.kernel.errors import TooManyRequests, Unavailable
from boxoffice.kernel.messaging import ServiceStore
from boxoffice.kernel.ratelimit import Limit, RateLimiter, Verdict

RIGHT = "the-right-password"
STORED = hash_password(RIGHT)


class MemoryLimiter(RateLimiter):
    """The limiter's contract in a dict: windows never end within a test."""

    def __init__(self) -> None:
        self.hits: Counter[tuple[str, str]] = Counter()

    async def hit(self, limit: Limit, subject: str) -> Verdict:
        self.hits[limit.name, subject] += 1
        return Verdict(self.hits[limit.name, subject] <= limit.count, 0, limit.seconds)

    async def refund(self, limit: Limit, subject: str) -> None:
        self.hits[limit.name, subject] -= 1


class CountingHashing(PasswordHashing):
    def __init__(self) -> None:
        super().__init__(concurrency=1, queue=0)
        self.checks = 0
        self.busy = False

    async def verify(self, password_hash: str, password: str) -> bool:
        self.checks += 1
        if self.busy:
            raise Unavailable("busy", retry_after=1)
        return password == RIGHT and password_hash == STORED


@pytest.fixture
def limiter() -> MemoryLimiter:
    return MemoryLimiter()


@pytest.fixture
def hashing() -> CountingHashing:
    return CountingHashing()


@pytest.fixture
def identity(tmp_path: Path, limiter: MemoryLimiter, hashing: CountingHashing) -> IdentityService:
    ensure_keypair(tmp_path / "k.pem", tmp_path / "k.pub.pem")
    issuer = TokenIssuer(
        (tmp_path / "k.pem").read_bytes(), (tmp_path / "k.pub.pem").read_bytes(), "t", ttl=60
    )
    # An engine that is never connected: these paths stop before the database.
    engine = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    return IdentityService(
        ServiceStore(engine, store.messaging),
        issuer,
        3600,
        hashing=hashing,
        limiter=limiter,
        limits=AuthLimits(
            per_client=Limit("client", 4, 60),
            failures_per_account=Limit("failures", 3, 900),
            refreshes_per_account=Limit("refreshes", 5, 900),
        ),
    )


async def check(identity: IdentityService, password: str) -> bool:
    return await identity._password_matches("ann@example.org", STORED, password)


async def test_right_passwords_do_not_count_against_the_account(
    identity: IdentityService, limiter: MemoryLimiter
) -> None:
    for _ in range(10):
        assert await check(identity, RIGHT)
    assert limiter.hits["failures", "ann@example.org"] == 0


async def test_one_typo_then_the_right_password_logs_in(identity: IdentityService) -> None:
    assert not await check(identity, "the-rihgt-password")
    assert await check(identity, RIGHT)
    assert await check(identity, RIGHT)


async def test_past_the_failure_limit_even_the_right_password_is_refused_without_hashing(
    identity: IdentityService, hashing: CountingHashing
) -> None:
    for guess in ("guess-1", "guess-2", "guess-3"):
        assert not await check(identity, guess)
    with pytest.raises(TooManyAttempts) as refused:
        await check(identity, RIGHT)
    assert refused.value.status == 429
    assert refused.value.extra["retry_after"] == 900
    assert "failed attempts" in refused.value.detail
    assert hashing.checks == 3  # the refused attempt never reached argon2
    assert await identity._password_matches("bob@example.org", STORED, RIGHT)  # others unhurt


async def test_parallel_guesses_cannot_slip_past_the_limit(identity: IdentityService) -> None:
    answers = await asyncio.gather(
        *(check(identity, f"guess-{i}") for i in range(10)), return_exceptions=True
    )
    assert answers.count(False) == 3
    assert sum(isinstance(a, TooManyAttempts) for a in answers) == 7


async def test_an_attempt_shed_by_busy_hashing_is_not_a_failure(
    identity: IdentityService, hashing: CountingHashing, limiter: MemoryLimiter
) -> None:
    hashing.busy = True
    for _ in range(5):
        with pytest.raises(Unavailable):
            await check(identity, "guess")
    assert limiter.hits["failures", "ann@example.org"] == 0


async def test_a_wrong_current_password_is_a_422_and_counts_like_a_failed_login(
    identity: IdentityService, limiter: MemoryLimiter
) -> None:
    assert WrongPassword("x").status == 422
    assert not await check(identity, "not-it")
    assert limiter.hits["failures", "ann@example.org"] == 1


async def test_each_client_address_has_its_own_request_count(identity: IdentityService) -> None:
    for _ in range(4):
        await identity.admit_client("192.0.2.1")
    with pytest.raises(TooManyRequests) as refused:
        await identity.admit_client("192.0.2.1")
    assert refused.value.extra["retry_after"] == 60
    await identity.admit_client("192.0.2.2")


def test_the_per_client_limit_declares_its_429_for_the_api_documentation() -> None:
    # 429 past the limit; 503 when the limiter's Redis is unreachable
    assert api._per_client.problem_statuses == (429, 503)  # type: ignore[attr-defined]
