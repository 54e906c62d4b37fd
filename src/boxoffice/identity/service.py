"""Identity use cases: register, log in, rotate refresh tokens, change passwords, manage roles."""

from __future__ import annotations

import logging
import math
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from boxoffice.identity.contract import UserRegistered
from boxoffice.identity.domain import (
    EmailTaken,
    InvalidCredentials,
    PasswordChanged,
    RefreshTokenReused,
    TooManyAttempts,
    UnknownUser,
    WrongPassword,
    check_roles,
    normalise_email,
)
from boxoffice.identity.store import refresh_tokens, users
from boxoffice.kernel.auth import (
    PasswordHashing,
    TokenIssuer,
    hash_password,
    hash_token,
    new_refresh_token,
)
from boxoffice.kernel.db import new_id, utcnow
from boxoffice.kernel.messaging import ServiceStore, UnitOfWork
from boxoffice.kernel.ratelimit import Limit, RateLimiter

log = logging.getLogger(__name__)

# Verified against when the email is unknown, so both answers take as long.
_DUMMY_HASH = hash_password("not-a-real-password")

PUBLIC_COLUMNS = (users.c.id, users.c.email, users.c.name, users.c.roles, users.c.created_at)


@dataclass(frozen=True)
class AuthLimits:
    """What the auth endpoints allow (settings auth_*; docs/operations.md)."""

    per_client: Limit  # requests per client address
    failures_per_account: Limit  # wrong passwords and taken-email sign-ups per email
    refreshes_per_account: Limit  # refreshes per user


class IdentityService:
    def __init__(
        self,
        store: ServiceStore,
        issuer: TokenIssuer,
        refresh_ttl: int,
        *,
        hashing: PasswordHashing,
        limiter: RateLimiter,
        limits: AuthLimits,
    ) -> None:
        self.store = store
        self.issuer = issuer
        self.refresh_ttl = refresh_ttl
        self.hashing = hashing
        self.limiter = limiter
        self.limits = limits

    async def _enforce(self, limit: Limit, subject: str, what: str) -> None:
        verdict = await self.limiter.hit(limit, subject)
        if not verdict.allowed:
            wait = max(1, math.ceil(verdict.retry_after))
            raise TooManyAttempts(f"{what}; try again in {wait} s.", retry_after=wait)

    async def admit_client(self, address: str) -> None:
        """Count one auth request of a client address; 429 past the per-client limit."""
        await self._enforce(
            self.limits.per_client, address, "Too many sign-in requests from your address"
        )

    async def _password_matches(self, email: str, password_hash: str, password: str) -> bool:
        """Check a password as one attempt on the account: the attempt is counted before the
        (slow) check, so parallel guesses cannot slip past the limit, and given back unless the
        password was wrong."""
        failures = self.limits.failures_per_account
        await self._enforce(failures, email, "Too many failed attempts for this account")
        try:
            matches = await self.hashing.verify(password_hash, password)
        except BaseException:  # not checked (shed, cancelled): not a failure either
            await self.limiter.refund(failures, email)
            raise
        if matches:
            await self.limiter.refund(failures, email)
        return matches

    async def register(self, email: str, password: str, name: str) -> dict[str, Any]:
        """Sign-up by the public: a sign-up of an email already taken counts as a failed attempt
        on that account (it probes which emails exist)."""
        email = normalise_email(email)
        failures = self.limits.failures_per_account
        await self._enforce(failures, email, "Too many attempts for this email")
        try:
            user = await self.create_user(email, password, name)
        except EmailTaken:
            raise  # a failed attempt: it stays counted
        except BaseException:  # nothing was learnt about the email: not a failure
            await self.limiter.refund(failures, email)
            raise
        await self.limiter.refund(failures, email)
        return user

    async def create_user(
        self, email: str, password: str, name: str, roles: list[str] | None = None
    ) -> dict[str, Any]:
        roles = check_roles(roles or ["customer"])
        email = normalise_email(email)
        password_hash = await self.hashing.hash(password)
        try:
            async with self.store.uow() as uow:
                row = (
                    await uow.execute(
                        sa.insert(users)
                        .values(
                            id=new_id(),
                            email=email,
                            name=name.strip(),
                            password_hash=password_hash,
                            roles=roles,
                            created_at=utcnow(),
                        )
                        .returning(*PUBLIC_COLUMNS)
                    )
                ).one()
                uow.emit(UserRegistered(user_id=str(row.id), email=email, name=row.name))
        except IntegrityError as exc:
            raise EmailTaken(f"{email} is already registered; log in instead.") from exc
        return dict(row._mapping)

    async def login(self, email: str, password: str) -> dict[str, Any]:
        email = normalise_email(email)
        # No connection is held while the password is checked: hashes queue (PasswordHashing),
        # and a queue of logins must not take the pool from everyone else.
        async with self.store.engine.connect() as conn:
            row = (await conn.execute(sa.select(users).where(users.c.email == email))).first()
        stored = row.password_hash if row is not None else _DUMMY_HASH
        matches = await self._password_matches(email, stored, password)
        if row is None or not matches:
            raise InvalidCredentials("The email or password is wrong.")
        async with self.store.uow() as uow:
            return await self._tokens(uow, row, family_id=new_id())

    async def refresh(self, refresh_token: str) -> dict[str, Any]:
        """Rotate: the presented token is revoked and a new pair of the same family is issued.
        A token that was already rotated or revoked revokes its whole family."""
        token_hash, now = hash_token(refresh_token), utcnow()
        async with self.store.uow() as uow:
            rotated = (
                await uow.execute(
                    sa.update(refresh_tokens)
                    .where(
                        refresh_tokens.c.token_hash == token_hash,
                        refresh_tokens.c.revoked_at.is_(None),
                        refresh_tokens.c.expires_at > now,
                    )
                    .values(revoked_at=now)
                    .returning(refresh_tokens.c.user_id, refresh_tokens.c.family_id)
                )
            ).first()
            if rotated is not None:
                # Past the limit the rotation rolls back: the presented token stays valid.
                await self._enforce(
                    self.limits.refreshes_per_account,
                    str(rotated.user_id),
                    "Too many refreshes for this account",
                )
                row = (
                    await uow.execute(sa.select(users).where(users.c.id == rotated.user_id))
                ).one()
                return await self._tokens(uow, row, rotated.family_id)
            seen = (
                await uow.execute(
                    sa.select(
                        refresh_tokens.c.user_id,
                        refresh_tokens.c.family_id,
                        refresh_tokens.c.revoked_at,
                    ).where(refresh_tokens.c.token_hash == token_hash)
                )
            ).first()
            reused = seen if seen is not None and seen.revoked_at is not None else None
            if reused is not None:
                await uow.execute(self._revoke(refresh_tokens.c.family_id == reused.family_id, now))
        # Outside the unit of work: the revocation commits, then the caller hears why.
        if reused is not None:
            log.warning(
                "a used refresh token was presented again: revoked family %s of user %s",
                reused.family_id,
                reused.user_id,
            )
            raise RefreshTokenReused(
                "This refresh token was already used, so every session of that login has "
                "ended; log in again."
            )
        raise InvalidCredentials("The refresh token is invalid or expired.")

    async def logout(self, refresh_token: str) -> None:
        """End the session of this token: every token of its family."""
        family = (
            sa.select(refresh_tokens.c.family_id)
            .where(refresh_tokens.c.token_hash == hash_token(refresh_token))
            .scalar_subquery()
        )
        async with self.store.uow() as uow:
            await uow.execute(self._revoke(refresh_tokens.c.family_id == family, utcnow()))

    async def change_password(self, user_id: uuid.UUID, current: str, new: str) -> None:
        """Set a new password and end every session of the user (all refresh tokens)."""
        async with self.store.engine.connect() as conn:
            row = (await conn.execute(sa.select(users).where(users.c.id == user_id))).first()
        if row is None:
            raise UnknownUser(f"No user {user_id}.")
        if not await self._password_matches(row.email, row.password_hash, current):
            raise WrongPassword("The current password is wrong.")
        new_hash = await self.hashing.hash(new)
        async with self.store.uow() as uow:
            changed = (
                await uow.execute(
                    sa.update(users)
                    # Only over the hash just checked: two changes at once cannot both win.
                    .where(users.c.id == user_id, users.c.password_hash == row.password_hash)
                    .values(password_hash=new_hash)
                    .returning(users.c.id)
                )
            ).first()
            if changed is None:
                raise PasswordChanged("The password was changed meanwhile; log in again.")
            await uow.execute(self._revoke(refresh_tokens.c.user_id == user_id, utcnow()))

    @staticmethod
    def _revoke(which: sa.ColumnElement[bool], now: Any) -> sa.Update:
        return (
            sa.update(refresh_tokens)
            .where(which, refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def _tokens(self, uow: UnitOfWork, row: Any, family_id: uuid.UUID) -> dict[str, Any]:
        token, token_hash = new_refresh_token()
        await uow.execute(
            sa.insert(refresh_tokens).values(
                token_hash=token_hash,
                user_id=row.id,
                family_id=family_id,
                expires_at=utcnow() + timedelta(seconds=self.refresh_ttl),
            )
        )
        return {
            "access_token": self.issuer.issue(row.id, list(row.roles), row.email),
            "refresh_token": token,
            "token_type": "bearer",
            "expires_in": self.issuer.ttl,
        }

    async def get(self, user_id: uuid.UUID) -> dict[str, Any]:
        async with self.store.engine.connect() as conn:
            row = (
                await conn.execute(sa.select(*PUBLIC_COLUMNS).where(users.c.id == user_id))
            ).first()
        if row is None:
            raise UnknownUser(f"No user {user_id}.")
        return dict(row._mapping)

    async def search(
        self, *, email: str | None, role: str | None, limit: int, offset: int
    ) -> list[dict[str, Any]]:
        query = sa.select(*PUBLIC_COLUMNS).order_by(users.c.created_at, users.c.id)
        if email:
            query = query.where(users.c.email.contains(normalise_email(email), autoescape=True))
        if role:
            query = query.where(users.c.roles.any(role))
        async with self.store.engine.connect() as conn:
            rows = (await conn.execute(query.limit(limit).offset(offset))).all()
        return [dict(r._mapping) for r in rows]

    async def set_roles(self, user_id: uuid.UUID, roles: list[str]) -> dict[str, Any]:
        roles = check_roles(roles)
        async with self.store.uow() as uow:
            row = (
                await uow.execute(
                    sa.update(users)
                    .where(users.c.id == user_id)
                    .values(roles=roles)
                    .returning(*PUBLIC_COLUMNS)
                )
            ).first()
            if row is None:
                raise UnknownUser(f"No user {user_id}.")
            # New roles take effect at the next login: revoke refresh tokens issued before.
            await uow.execute(self._revoke(refresh_tokens.c.user_id == user_id, utcnow()))
        return dict(row._mapping)

    async def ensure_user(self, email: str, password: str, name: str, roles: list[str]) -> bool:
        """Create the user unless the email exists (seed data, create-admin); True if created."""
        try:
            await self.create_user(email, password, name, roles)
        except EmailTaken:
            return False
        return True
