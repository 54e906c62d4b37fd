"""Tokens and passwords: EdDSA-signed access JWTs that every service verifies locally."""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from boxoffice.kernel.errors import Unauthorized, Unavailable
from boxoffice.kernel.roles import Role

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


T = TypeVar("T")


def default_hash_concurrency() -> int:
    """Every core but one, so the event loop always has a core to answer other requests on."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, (cores or 1) - 1)


class PasswordHashing:
    """argon2 off the event loop, on at most `concurrency` threads at once.

    argon2 is slow on purpose (~0.2 s of more than one core per hash here). Run on every thread
    of the default pool, a burst of logins takes every core and an unrelated read waits behind
    it; so hashes queue for a few slots, and when `queue` callers already wait, the next is
    refused at once (503 with Retry-After) rather than waiting behind a queue that only grows.
    """

    def __init__(self, concurrency: int, queue: int, hasher: PasswordHasher | None = None) -> None:
        self.concurrency = max(1, concurrency)
        self.queue = max(0, queue)
        self._hasher = hasher or _hasher
        self._slots = asyncio.Semaphore(self.concurrency)
        self._pending = 0  # running or waiting

    async def hash(self, password: str) -> str:
        return await self._run(self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        return await self._run(self._verify_now, password_hash, password)

    def _verify_now(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    async def _run(self, work: Callable[..., T], *args: str) -> T:
        if self._pending >= self.concurrency + self.queue:
            raise Unavailable(
                "Too many sign-ins at once on this server; try again in a moment.",
                retry_after=1,
            )
        self._pending += 1
        try:
            await self._slots.acquire()
        except BaseException:  # cancelled while waiting
            self._pending -= 1
            raise
        running = asyncio.get_running_loop().run_in_executor(None, work, *args)
        # A thread cannot be stopped: if the caller is cancelled, the hash runs on, and keeps
        # its slot until it ends, or the bound would not hold.
        running.add_done_callback(self._finished)
        return await asyncio.shield(running)

    def _finished(self, running: asyncio.Future[Any]) -> None:
        self._slots.release()
        self._pending -= 1
        if not running.cancelled():
            running.exception()  # retrieved: a cancelled caller's failure is not news


def new_refresh_token() -> tuple[str, str]:
    """A refresh token and the hash we store (the token itself is never stored)."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID
    roles: frozenset[str]
    email: str = ""

    def has(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


def ensure_keypair(private_file: Path, public_file: Path) -> None:
    """Create an Ed25519 key pair on first start of an installation."""
    if private_file.exists() and public_file.exists():
        return
    private_file.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    private_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    private_file.chmod(0o600)
    public_file.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


class TokenVerifier:
    """Verifies access tokens with the public key only; what every service holds."""

    def __init__(self, public_key_pem: bytes, issuer: str) -> None:
        self._key = serialization.load_pem_public_key(public_key_pem)
        self._issuer = issuer
        # A verified token is cached until it expires: the hold path sees the same token often.
        self._cached = lru_cache(maxsize=65536)(self._decode)

    def _decode(self, token: str) -> tuple[Principal, float]:
        try:
            claims = jwt.decode(
                token,
                self._key,  # type: ignore[arg-type]
                algorithms=["EdDSA"],
                issuer=self._issuer,
                options={"require": ["exp", "sub", "iss"]},
            )
            principal = Principal(
                user_id=uuid.UUID(claims["sub"]),
                roles=frozenset(claims.get("roles", [])),
                email=str(claims.get("email", "")),
            )
        except (jwt.PyJWTError, ValueError, KeyError) as exc:
            raise Unauthorized("The access token is invalid or has expired.") from exc
        return principal, float(claims["exp"])

    def verify(self, token: str) -> Principal:
        principal, expires = self._cached(token)
        if expires <= time.time():
            raise Unauthorized("The access token is invalid or has expired.")
        return principal


class TokenIssuer(TokenVerifier):
    """Signs access tokens; only the identity service holds the private key."""

    def __init__(
        self, private_key_pem: bytes, public_key_pem: bytes, issuer: str, ttl: int
    ) -> None:
        super().__init__(public_key_pem, issuer)
        self._private = serialization.load_pem_private_key(private_key_pem, password=None)
        self.ttl = ttl

    def issue(self, user_id: uuid.UUID, roles: list[str], email: str) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": str(user_id),
            "roles": sorted(roles),
            "email": email,
            "iss": self._issuer,
            "iat": now,
            "exp": now + self.ttl,
            "jti": secrets.token_hex(8),
        }
        return jwt.encode(claims, self._private, algorithm="EdDSA")  # type: ignore[arg-type]
