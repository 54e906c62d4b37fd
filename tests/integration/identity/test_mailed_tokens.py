"""Password reset and email verification on the real PostgreSQL: a reset token is mailed only
for an account that exists (the caller cannot tell), works once, within its 30 minutes,
ends every session and every other reset token of the account; a verification token
verifies the address it was sent to, once."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from boxoffice.identity import store
from boxoffice.identity.domain import InvalidCredentials, InvalidToken
from boxoffice.identity.service import IdentityService
from boxoffice.kernel.errors import Unauthorized
from tests.integration.identity.test_sessions import PASSWORD, issuer, make_identity

pytestmark = pytest.mark.integration

__all__ = ["issuer", "make_identity"]  # fixtures


async def events_of(svc: IdentityService, type_: str, email: str) -> list[dict[str, Any]]:
    outbox = store.messaging.outbox
    async with svc.store.engine.connect() as conn:
        rows = await conn.execute(
            sa.select(outbox.c.envelope).where(outbox.c.type == type_).order_by(outbox.c.seq)
        )
        return [r.envelope["payload"] for r in rows if r.envelope["payload"]["email"] == email]


async def test_a_reset_token_works_once_in_its_time_and_ends_every_session(
    make_identity: Callable[..., IdentityService],
) -> None:
    svc = make_identity()
    email = f"reset-{uuid.uuid4().hex[:8]}@example.test"
    user = await svc.create_user(email, PASSWORD, "Rita")
    session = await svc.login(email, PASSWORD)

    await svc.request_password_reset(f"nobody-{uuid.uuid4().hex[:8]}@example.test")  # silent
    await svc.request_password_reset(email.upper())  # emails are compared normalised
    await svc.request_password_reset(email)  # within the minute: no second mail
    mailed = await events_of(svc, "identity.password.reset_requested", email)
    assert len(mailed) == 1 and mailed[0]["user_id"] == str(user.id)
    token = mailed[0]["token"]

    with pytest.raises(InvalidToken):
        await svc.reset_password("not-a-token", "another-password-1")
    await svc.reset_password(token, "another-password-1")
    with pytest.raises(InvalidToken):  # once only
        await svc.reset_password(token, "yet-another-password")
    with pytest.raises(Unauthorized):  # the session of before has ended
        await svc.refresh(session.refresh_token)
    with pytest.raises(InvalidCredentials):
        await svc.login(email, PASSWORD)
    assert (await svc.login(email, "another-password-1")).access_token

    # a token past its 30 minutes, and one made before a reset that succeeded, do not work
    tokens = store.email_tokens
    async with svc.store.engine.begin() as conn:
        await conn.execute(
            sa.update(tokens)
            .where(tokens.c.user_id == user.id)
            .values(created_at=sa.func.now() - sa.text("interval '2 minutes'"))
        )
    await svc.request_password_reset(email)
    await svc.request_password_reset(email)  # made at once: both would be live …
    async with svc.store.engine.begin() as conn:
        await conn.execute(
            sa.update(tokens)
            .where(tokens.c.user_id == user.id)
            .values(created_at=sa.func.now() - sa.text("interval '2 minutes'"))
        )
    await svc.request_password_reset(email)
    later = [m["token"] for m in await events_of(svc, "identity.password.reset_requested", email)]
    assert len(later) == 3
    async with svc.store.engine.begin() as conn:
        await conn.execute(
            sa.update(tokens)
            .where(tokens.c.token_hash == _hash(later[1]))
            .values(expires_at=sa.func.now() - sa.text("interval '1 second'"))
        )
    with pytest.raises(InvalidToken):
        await svc.reset_password(later[1], "expired-token-pass")
    await svc.reset_password(later[2], "the-last-password")
    with pytest.raises(InvalidToken):  # … and one reset ends the others
        await svc.reset_password(later[0], "an-older-token-pass")


async def test_the_welcome_token_verifies_the_address_once(
    make_identity: Callable[..., IdentityService],
) -> None:
    svc = make_identity()
    email = f"verify-{uuid.uuid4().hex[:8]}@example.test"
    user = await svc.create_user(email, PASSWORD, "Vera")
    assert user.email_verified_at is None
    (registered,) = await events_of(svc, "identity.user.registered", email)
    token = registered["verify_token"]
    assert token
    with pytest.raises(InvalidToken):
        await svc.verify_email(token[::-1])
    await svc.verify_email(token)
    assert (await svc.get(user.id)).email_verified_at is not None
    with pytest.raises(InvalidToken):
        await svc.verify_email(token)


def _hash(token: str) -> str:
    from boxoffice.kernel.auth import hash_token

    return hash_token(token)
