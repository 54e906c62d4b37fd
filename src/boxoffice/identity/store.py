"""Identity tables and queries: users, refresh tokens, and the single-use tokens mailed to
them (email verification, password reset)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from boxoffice.kernel.db import new_id, utcnow
from boxoffice.kernel.messaging import Messaging

metadata = sa.MetaData(schema="identity")
messaging = Messaging(metadata)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("email", sa.Text, nullable=False, unique=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("roles", ARRAY(sa.Text), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("email_verified_at", sa.DateTime(timezone=True)),
    sa.Column("phone", sa.Text),  # E.164, optional
    sa.Column("sms_opt_in", sa.Boolean, nullable=False, server_default=sa.false()),
)

refresh_tokens = sa.Table(
    "refresh_tokens",
    metadata,
    sa.Column("token_hash", sa.Text, primary_key=True),
    sa.Column("user_id", UUID(as_uuid=True), sa.ForeignKey(users.c.id), nullable=False, index=True),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
    # Every token rotated from one login shares its family: a reused token revokes them all.
    sa.Column("family_id", UUID(as_uuid=True), nullable=False, index=True),
)


# Tokens sent by mail, kept as their SHA-256 only: `verify` (the address is the user's) and
# `reset` (a new password); each is used at most once, before it expires.
email_tokens = sa.Table(
    "email_tokens",
    metadata,
    sa.Column("token_hash", sa.Text, primary_key=True),
    sa.Column("user_id", UUID(as_uuid=True), sa.ForeignKey(users.c.id), nullable=False, index=True),
    sa.Column("purpose", sa.Text, nullable=False),
    sa.Column("email", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("used_at", sa.DateTime(timezone=True)),
)


@dataclass(frozen=True)
class User:
    """A user as they and admins see them (no password hash)."""

    id: uuid.UUID
    email: str
    name: str
    roles: list[str]
    created_at: datetime
    email_verified_at: datetime | None = None
    phone: str | None = None
    sms_opt_in: bool = False


@dataclass(frozen=True)
class Account:
    """A user as sign-in sees them: who, which roles, and the password hash to check."""

    id: uuid.UUID
    email: str
    roles: list[str]
    password_hash: str


@dataclass(frozen=True)
class TokenFamily:
    """The login a refresh token belongs to; revoked_at once it was rotated or revoked."""

    user_id: uuid.UUID
    family_id: uuid.UUID
    revoked_at: datetime | None = None


_USER = (
    users.c.id,
    users.c.email,
    users.c.name,
    users.c.roles,
    users.c.created_at,
    users.c.email_verified_at,
    users.c.phone,
    users.c.sms_opt_in,
)
_ACCOUNT = (users.c.id, users.c.email, users.c.roles, users.c.password_hash)


async def add_user(
    conn: AsyncConnection, *, email: str, name: str, password_hash: str, roles: list[str]
) -> User | None:
    """The new user, or None if the email is registered already."""
    row = (
        await conn.execute(
            pg_insert(users)
            .values(
                id=new_id(),
                email=email,
                name=name,
                password_hash=password_hash,
                roles=roles,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=[users.c.email])
            .returning(*_USER)
        )
    ).first()
    return None if row is None else User(**row._mapping)


async def user(conn: AsyncConnection, user_id: uuid.UUID) -> User | None:
    row = (await conn.execute(sa.select(*_USER).where(users.c.id == user_id))).first()
    return None if row is None else User(**row._mapping)


async def account(
    conn: AsyncConnection, *, user_id: uuid.UUID | None = None, email: str | None = None
) -> Account | None:
    """The account of a user id or of an email."""
    which = users.c.id == user_id if user_id is not None else users.c.email == email
    row = (await conn.execute(sa.select(*_ACCOUNT).where(which))).first()
    return None if row is None else Account(**row._mapping)


async def search_users(
    conn: AsyncConnection, *, email: str | None, role: str | None, limit: int, offset: int
) -> list[User]:
    """Users oldest first, whose email contains `email` and who hold `role` (each if given)."""
    query = sa.select(*_USER).order_by(users.c.created_at, users.c.id)
    if email:
        query = query.where(users.c.email.contains(email, autoescape=True))
    if role:
        query = query.where(users.c.roles.any(role))
    rows = (await conn.execute(query.limit(limit).offset(offset))).all()
    return [User(**r._mapping) for r in rows]


async def set_roles(conn: AsyncConnection, user_id: uuid.UUID, roles: list[str]) -> User | None:
    row = (
        await conn.execute(
            sa.update(users).where(users.c.id == user_id).values(roles=roles).returning(*_USER)
        )
    ).first()
    return None if row is None else User(**row._mapping)


async def replace_password_hash(
    conn: AsyncConnection, user_id: uuid.UUID, old: str, new: str
) -> bool:
    """Set the new hash only over the old one: of two changes at once, one wins."""
    changed = (
        await conn.execute(
            sa.update(users)
            .where(users.c.id == user_id, users.c.password_hash == old)
            .values(password_hash=new)
            .returning(users.c.id)
        )
    ).first()
    return changed is not None


async def add_refresh_token(
    conn: AsyncConnection,
    token_hash: str,
    user_id: uuid.UUID,
    family_id: uuid.UUID,
    expires_at: datetime,
) -> None:
    await conn.execute(
        sa.insert(refresh_tokens).values(
            token_hash=token_hash, user_id=user_id, family_id=family_id, expires_at=expires_at
        )
    )


async def rotate_refresh_token(
    conn: AsyncConnection, token_hash: str, now: datetime
) -> TokenFamily | None:
    """Revoke a live token for its successor; its family, or None if it was not live."""
    row = (
        await conn.execute(
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
    return None if row is None else TokenFamily(**row._mapping)


async def refresh_token(conn: AsyncConnection, token_hash: str) -> TokenFamily | None:
    """A token ever issued, live or not."""
    row = (
        await conn.execute(
            sa.select(
                refresh_tokens.c.user_id, refresh_tokens.c.family_id, refresh_tokens.c.revoked_at
            ).where(refresh_tokens.c.token_hash == token_hash)
        )
    ).first()
    return None if row is None else TokenFamily(**row._mapping)


async def revoke_family(conn: AsyncConnection, family_id: uuid.UUID, now: datetime) -> None:
    await _revoke(conn, refresh_tokens.c.family_id == family_id, now)


async def revoke_family_of(conn: AsyncConnection, token_hash: str, now: datetime) -> None:
    """Revoke every token of the login the given token belongs to."""
    family = (
        sa.select(refresh_tokens.c.family_id)
        .where(refresh_tokens.c.token_hash == token_hash)
        .scalar_subquery()
    )
    await _revoke(conn, refresh_tokens.c.family_id == family, now)


async def revoke_user_tokens(conn: AsyncConnection, user_id: uuid.UUID, now: datetime) -> None:
    await _revoke(conn, refresh_tokens.c.user_id == user_id, now)


async def _revoke(conn: AsyncConnection, which: sa.ColumnElement[bool], now: datetime) -> None:
    await conn.execute(
        sa.update(refresh_tokens)
        .where(which, refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def add_email_token(
    conn: AsyncConnection,
    token_hash: str,
    user_id: uuid.UUID,
    purpose: str,
    email: str,
    expires_at: datetime,
) -> None:
    await conn.execute(
        sa.insert(email_tokens).values(
            token_hash=token_hash,
            user_id=user_id,
            purpose=purpose,
            email=email,
            created_at=utcnow(),
            expires_at=expires_at,
        )
    )


async def last_email_token_at(
    conn: AsyncConnection, user_id: uuid.UUID, purpose: str
) -> datetime | None:
    last: datetime | None = (
        await conn.execute(
            sa.select(sa.func.max(email_tokens.c.created_at)).where(
                email_tokens.c.user_id == user_id, email_tokens.c.purpose == purpose
            )
        )
    ).scalar()
    return last


async def use_email_token(
    conn: AsyncConnection, token_hash: str, purpose: str, now: datetime
) -> tuple[uuid.UUID, str] | None:
    """Use a live token once: its user and the address it was sent to, or None."""
    row = (
        await conn.execute(
            sa.update(email_tokens)
            .where(
                email_tokens.c.token_hash == token_hash,
                email_tokens.c.purpose == purpose,
                email_tokens.c.used_at.is_(None),
                email_tokens.c.expires_at > now,
            )
            .values(used_at=now)
            .returning(email_tokens.c.user_id, email_tokens.c.email)
        )
    ).first()
    return None if row is None else (row.user_id, row.email)


async def end_email_tokens(
    conn: AsyncConnection, user_id: uuid.UUID, purpose: str, now: datetime
) -> None:
    """Every live token of the purpose counts as used (one reset ends the others)."""
    await conn.execute(
        sa.update(email_tokens)
        .where(
            email_tokens.c.user_id == user_id,
            email_tokens.c.purpose == purpose,
            email_tokens.c.used_at.is_(None),
        )
        .values(used_at=now)
    )


async def mark_verified(
    conn: AsyncConnection, user_id: uuid.UUID, email: str, now: datetime
) -> bool:
    """The address is verified if it is still the user's."""
    row = (
        await conn.execute(
            sa.update(users)
            .where(users.c.id == user_id, users.c.email == email)
            .values(email_verified_at=sa.func.coalesce(users.c.email_verified_at, now))
            .returning(users.c.id)
        )
    ).first()
    return row is not None


async def set_password_hash(conn: AsyncConnection, user_id: uuid.UUID, new: str) -> None:
    await conn.execute(sa.update(users).where(users.c.id == user_id).values(password_hash=new))


async def change_profile(
    conn: AsyncConnection, user_id: uuid.UUID, values: dict[str, object]
) -> User | None:
    row = (
        await conn.execute(
            sa.update(users).where(users.c.id == user_id).values(**values).returning(*_USER)
        )
    ).first()
    return None if row is None else User(**row._mapping)
