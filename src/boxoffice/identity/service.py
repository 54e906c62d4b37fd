"""Identity use cases: register, log in, rotate refresh tokens, manage roles."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from boxoffice.identity.contract import UserRegistered
from boxoffice.identity.domain import (
    EmailTaken,
    InvalidCredentials,
    UnknownUser,
    check_roles,
    normalise_email,
)
from boxoffice.identity.store import refresh_tokens, users
from boxoffice.kernel.auth import (
    TokenIssuer,
    hash_password,
    hash_token,
    new_refresh_token,
    verify_password,
)
from boxoffice.kernel.db import new_id, utcnow
from boxoffice.kernel.messaging import ServiceStore, UnitOfWork

# Verified against when the email is unknown, so both answers take as long.
_DUMMY_HASH = hash_password("not-a-real-password")

PUBLIC_COLUMNS = (users.c.id, users.c.email, users.c.name, users.c.roles, users.c.created_at)


class IdentityService:
    def __init__(self, store: ServiceStore, issuer: TokenIssuer, refresh_ttl: int) -> None:
        self.store = store
        self.issuer = issuer
        self.refresh_ttl = refresh_ttl

    async def register(
        self, email: str, password: str, name: str, roles: list[str] | None = None
    ) -> dict[str, Any]:
        roles = check_roles(roles or ["customer"])
        email = normalise_email(email)
        # argon2 is deliberately slow: keep it off the event loop.
        password_hash = await asyncio.to_thread(hash_password, password)
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
        async with self.store.uow() as uow:
            row = (
                await uow.execute(sa.select(users).where(users.c.email == normalise_email(email)))
            ).first()
            stored = row.password_hash if row is not None else _DUMMY_HASH
            valid = await asyncio.to_thread(verify_password, stored, password)
            if row is None or not valid:
                raise InvalidCredentials("The email or password is wrong.")
            return await self._tokens(uow, row)

    async def refresh(self, refresh_token: str) -> dict[str, Any]:
        """Rotate: the presented token is revoked and a new pair is issued."""
        async with self.store.uow() as uow:
            revoked = (
                await uow.execute(
                    sa.update(refresh_tokens)
                    .where(
                        refresh_tokens.c.token_hash == hash_token(refresh_token),
                        refresh_tokens.c.revoked_at.is_(None),
                        refresh_tokens.c.expires_at > utcnow(),
                    )
                    .values(revoked_at=utcnow())
                    .returning(refresh_tokens.c.user_id)
                )
            ).first()
            if revoked is None:
                raise InvalidCredentials("The refresh token is invalid, used or expired.")
            row = (await uow.execute(sa.select(users).where(users.c.id == revoked.user_id))).one()
            return await self._tokens(uow, row)

    async def logout(self, refresh_token: str) -> None:
        async with self.store.uow() as uow:
            await uow.execute(
                sa.update(refresh_tokens)
                .where(
                    refresh_tokens.c.token_hash == hash_token(refresh_token),
                    refresh_tokens.c.revoked_at.is_(None),
                )
                .values(revoked_at=utcnow())
            )

    async def _tokens(self, uow: UnitOfWork, row: Any) -> dict[str, Any]:
        token, token_hash = new_refresh_token()
        await uow.execute(
            sa.insert(refresh_tokens).values(
                token_hash=token_hash,
                user_id=row.id,
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
            await uow.execute(
                sa.update(refresh_tokens)
                .where(refresh_tokens.c.user_id == user_id, refresh_tokens.c.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
        return dict(row._mapping)

    async def ensure_user(self, email: str, password: str, name: str, roles: list[str]) -> bool:
        """Create the user unless the email exists (seed data, create-admin); True if created."""
        try:
            await self.register(email, password, name, roles)
        except EmailTaken:
            return False
        return True
