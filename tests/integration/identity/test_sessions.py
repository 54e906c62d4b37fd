"""Sessions on the real PostgreSQL and Redis: refresh token families (a reused token ends every
session of its login), logout, password changes, and the limits on attempts and refreshes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.identity import store
from boxoffice.identity.domain import (
    InvalidCredentials,
    RefreshTokenReused,
    TooManyAttempts,
    WrongPassword,
)
from boxoffice.identity.service import AuthLimits, IdentityService, Tokens
from boxoffice.kernel.auth import PasswordHashing, TokenIssuer, ensure_keypair
from boxoffice.kernel.errors import Unauthorized
from boxoffice.kernel.messaging import ServiceStore
from boxoffice.kernel.ratelimit import Limit, RateLimiter
from tests.unit.kernel.test_password_hashing import CountingHasher

pytestmark = pytest.mark.integration

PASSWORD = "a-good-password"


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> TokenIssuer:
    keys = tmp_path_factory.mktemp("keys")
    ensure_keypair(keys / "k.pem", keys / "k.pub.pem")
    return TokenIssuer((keys / "k.pem").read_bytes(), (keys / "k.pub.pem").read_bytes(), "t", 60)


@pytest.fixture
def make_identity(
    engine: AsyncEngine, redis: Redis, issuer: TokenIssuer
) -> Callable[..., IdentityService]:
    def make(
        failures: int = 10, refreshes: int = 100, hashing: PasswordHashing | None = None
    ) -> IdentityService:
        return IdentityService(
            ServiceStore(engine, store.messaging),
            issuer,
            3600,
            hashing=hashing or PasswordHashing(concurrency=1, queue=64),
            limiter=RateLimiter(redis, prefix=f"it:identity:{uuid.uuid4().hex[:8]}"),
            limits=AuthLimits(
                per_client=Limit("client", 100, 60),
                failures_per_account=Limit("failures", failures, 900),
                refreshes_per_account=Limit("refreshes", refreshes, 900),
            ),
        )

    return make


@pytest.fixture
def identity(make_identity: Callable[..., IdentityService]) -> IdentityService:
    return make_identity()


async def new_user(identity: IdentityService) -> str:
    email = f"s{uuid.uuid4().hex[:12]}@boxoffice.example"
    await identity.create_user(email, PASSWORD, "Session Tester")
    return email


async def user_id(identity: IdentityService, email: str) -> uuid.UUID:
    found = await identity.search(email=email, role=None, limit=1, offset=0)
    return uuid.UUID(str(found[0].id))


async def live_tokens(engine: AsyncEngine, email: str) -> int:
    t, u = store.refresh_tokens, store.users
    async with engine.connect() as conn:
        query = (
            sa.select(sa.func.count())
            .select_from(t.join(u, t.c.user_id == u.c.id))
            .where(u.c.email == email, t.c.revoked_at.is_(None))
        )
        return int((await conn.execute(query)).scalar_one())


async def test_a_rotated_token_used_again_ends_every_session_of_its_login(
    identity: IdentityService, engine: AsyncEngine
) -> None:
    email = await new_user(identity)
    first = await identity.login(email, PASSWORD)
    second = await identity.refresh(first.refresh_token)
    third = await identity.refresh(second.refresh_token)
    other_login = await identity.login(email, PASSWORD)  # another device: another family

    with pytest.raises(RefreshTokenReused) as reused:
        await identity.refresh(first.refresh_token)  # the thief's (or the owner's) copy
    assert reused.value.status == 401
    assert "every session of that login has ended" in reused.value.detail

    for token in (third.refresh_token, second.refresh_token):
        with pytest.raises(Unauthorized):
            await identity.refresh(token)
    assert await live_tokens(engine, email) == 1
    assert (await identity.refresh(other_login.refresh_token)).refresh_token


async def test_two_refreshes_of_one_token_at_once_leave_neither_a_session(
    identity: IdentityService, engine: AsyncEngine
) -> None:
    email = await new_user(identity)
    token = (await identity.login(email, PASSWORD)).refresh_token
    answers: list[Any] = await asyncio.gather(
        identity.refresh(token), identity.refresh(token), return_exceptions=True
    )
    assert sum(isinstance(a, Tokens) for a in answers) == 1
    assert sum(isinstance(a, RefreshTokenReused) for a in answers) == 1
    assert await live_tokens(engine, email) == 0  # the winner's new token went with the family


async def test_unknown_and_expired_tokens_are_refused_without_revoking_anything(
    identity: IdentityService, engine: AsyncEngine
) -> None:
    email = await new_user(identity)
    token = (await identity.login(email, PASSWORD)).refresh_token
    with pytest.raises(InvalidCredentials):
        await identity.refresh("made-up-token")
    assert await live_tokens(engine, email) == 1
    assert (await identity.refresh(token)).refresh_token


async def test_logout_ends_the_whole_login_even_with_an_older_token_of_it(
    identity: IdentityService, engine: AsyncEngine
) -> None:
    email = await new_user(identity)
    first = await identity.login(email, PASSWORD)
    latest = await identity.refresh(first.refresh_token)
    kept = await identity.login(email, PASSWORD)

    await identity.logout(first.refresh_token)
    with pytest.raises(Unauthorized):
        await identity.refresh(latest.refresh_token)
    assert await live_tokens(engine, email) == 1
    await identity.logout(kept.refresh_token)
    assert await live_tokens(engine, email) == 0
    await identity.logout("made-up-token")  # nothing to end is not an error


async def test_a_password_change_ends_every_session_and_only_the_new_password_logs_in(
    identity: IdentityService, engine: AsyncEngine
) -> None:
    email = await new_user(identity)
    sessions = [await identity.login(email, PASSWORD) for _ in range(3)]
    me = await user_id(identity, email)

    with pytest.raises(WrongPassword):
        await identity.change_password(me, "not-the-password", "a-newer-password")
    assert await live_tokens(engine, email) == 3

    await identity.change_password(me, PASSWORD, "a-newer-password")
    assert await live_tokens(engine, email) == 0
    for session in sessions:
        with pytest.raises(Unauthorized):
            await identity.refresh(session.refresh_token)
    with pytest.raises(InvalidCredentials):
        await identity.login(email, PASSWORD)
    assert (await identity.login(email, "a-newer-password")).access_token


async def test_wrong_passwords_lock_the_account_but_right_ones_never_do(
    make_identity: Callable[..., IdentityService],
) -> None:
    identity = make_identity(failures=3)
    email, other = await new_user(identity), await new_user(identity)
    for _ in range(5):
        await identity.login(email, PASSWORD)
    with pytest.raises(InvalidCredentials):
        await identity.login(email, "one-typo")
    await identity.login(email, PASSWORD)
    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            await identity.login(email.upper(), "guess")  # the same account, however written

    with pytest.raises(TooManyAttempts) as locked:
        await identity.login(email, PASSWORD)
    assert locked.value.status == 429
    assert 890 <= locked.value.extra["retry_after"] <= 900
    with pytest.raises(TooManyAttempts):  # the password endpoint is no way around it
        await identity.change_password(await user_id(identity, email), PASSWORD, "a-newer-one")
    await identity.login(other, PASSWORD)


async def test_unknown_emails_are_limited_like_known_ones(
    make_identity: Callable[..., IdentityService],
) -> None:
    identity = make_identity(failures=2)
    email = f"nobody{uuid.uuid4().hex[:8]}@boxoffice.example"
    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            await identity.login(email, PASSWORD)
    with pytest.raises(TooManyAttempts):
        await identity.login(email, PASSWORD)


async def test_signing_up_a_taken_email_again_and_again_is_limited(
    make_identity: Callable[..., IdentityService],
) -> None:
    identity = make_identity(failures=2)
    email = f"r{uuid.uuid4().hex[:12]}@boxoffice.example"
    await identity.register(email, PASSWORD, "First")
    for _ in range(2):
        with pytest.raises(Exception, match="already registered"):
            await identity.register(email, PASSWORD, "Again")
    with pytest.raises(TooManyAttempts):
        await identity.register(email, PASSWORD, "Again")


async def test_refreshes_past_the_limit_are_refused_and_leave_the_token_usable(
    make_identity: Callable[..., IdentityService],
) -> None:
    identity = make_identity(refreshes=2)
    email = await new_user(identity)
    token = (await identity.login(email, PASSWORD)).refresh_token
    for _ in range(2):
        token = (await identity.refresh(token)).refresh_token
    with pytest.raises(TooManyAttempts) as refused:
        await identity.refresh(token)
    assert refused.value.status == 429
    # The refused refresh rotated nothing: the same token is neither used nor a reuse later.
    other = make_identity(refreshes=2)  # the same tables, fresh counters: the window ended
    assert (await other.refresh(token)).refresh_token


async def test_parallel_logins_never_run_more_hashes_at_once_than_the_bound(
    make_identity: Callable[..., IdentityService],
) -> None:
    hasher = CountingHasher()
    hasher.gate.set()
    identity = make_identity(hashing=PasswordHashing(concurrency=1, queue=64, hasher=hasher))
    email = await new_user(identity)
    await asyncio.gather(*(identity.login(email, PASSWORD) for _ in range(12)))
    assert hasher.most == 1
