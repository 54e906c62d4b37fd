"""Identity use cases: register, log in, rotate refresh tokens, change and reset passwords,
verify email addresses, manage roles."""

from __future__ import annotations

import logging
import math
import uuid
from dataclasses import dataclass
from datetime import timedelta

from boxoffice.identity import store as queries
from boxoffice.identity.contract import (
    EmailChangeRequested,
    PasswordResetRequested,
    UserChanged,
    UserRegistered,
)
from boxoffice.identity.domain import (
    EmailTaken,
    InvalidCredentials,
    InvalidToken,
    NoPhoneNumber,
    PasswordChanged,
    RefreshTokenReused,
    TooManyAttempts,
    UnknownUser,
    WrongPassword,
    check_roles,
    normalise_email,
)
from boxoffice.identity.store import Account, User
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

# How long a mailed token is good for, and the least time between two reset mails to one
# account (more requests in between send nothing and answer the same).
RESET_TTL = timedelta(minutes=30)
VERIFY_TTL = timedelta(days=7)
RESET_MAIL_INTERVAL = timedelta(seconds=60)
CHANGE_TTL = timedelta(hours=24)
RESET, VERIFY, CHANGE = "reset", "verify", "change"

# Verified against when the email is unknown, so both answers take as long.
_DUMMY_HASH = hash_password("not-a-real-password")


@dataclass(frozen=True)
class AuthLimits:
    """What the auth endpoints allow (settings auth_*; docs/operations.md)."""

    per_client: Limit  # requests per client address
    failures_per_account: Limit  # wrong passwords and taken-email sign-ups per email
    refreshes_per_account: Limit  # refreshes per user


@dataclass(frozen=True)
class Tokens:
    """What a login or a refresh hands out: a short-lived access token (a JWT) and the refresh
    token that gets the next pair."""

    access_token: str
    refresh_token: str
    expires_in: int  # seconds the access token is valid
    token_type: str = "bearer"


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

    async def register(self, email: str, password: str, name: str) -> User:
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
    ) -> User:
        roles = check_roles(roles or ["customer"])
        email = normalise_email(email)
        password_hash = await self.hashing.hash(password)
        async with self.store.uow() as uow:
            user = await queries.add_user(
                uow.conn, email=email, name=name.strip(), password_hash=password_hash, roles=roles
            )
            if user is None:
                raise EmailTaken(f"{email} is already registered; log in instead.")
            token, token_hash = new_refresh_token()
            await queries.add_email_token(
                uow.conn, token_hash, user.id, VERIFY, email, utcnow() + VERIFY_TTL
            )
            uow.emit(
                UserRegistered(
                    user_id=str(user.id), email=email, name=user.name, verify_token=token
                )
            )
        return user

    async def change_profile(self, user_id: uuid.UUID, values: dict[str, object]) -> User:
        """Name, phone number (E.164) and whether texts are wanted; told to notification."""
        if values.get("phone") is None and "phone" in values:
            values = {**values, "sms_opt_in": False}  # no number, no texts
        async with self.store.uow() as uow:
            user = await queries.change_profile(uow.conn, user_id, values) if values else None
            if user is None:
                user = await queries.user(uow.conn, user_id)
                if user is None:
                    raise UnknownUser(f"No user {user_id}.")
                return user
            if user.sms_opt_in and not user.phone:
                raise NoPhoneNumber("Give a phone number to get texts.")
            uow.emit(
                UserChanged(
                    user_id=str(user.id),
                    email=user.email,
                    name=user.name,
                    phone=user.phone or "",
                    sms_opt_in=user.sms_opt_in,
                )
            )
        return user

    async def request_email_change(self, user_id: uuid.UUID, password: str, new: str) -> None:
        """Mail a confirmation to the new address (needs the password); the address changes
        when its link is used, within 24 hours."""
        new = normalise_email(new)
        async with self.store.engine.connect() as conn:
            account = await queries.account(conn, user_id=user_id)
        if account is None:
            raise UnknownUser(f"No user {user_id}.")
        if not await self._password_matches(account.email, account.password_hash, password):
            raise WrongPassword("The password is wrong.")
        async with self.store.uow() as uow:
            if new == account.email or await queries.account(uow.conn, email=new) is not None:
                raise EmailTaken(f"{new} is already registered.")
            user = await queries.user(uow.conn, user_id)
            assert user is not None
            token, token_hash = new_refresh_token()
            expires = utcnow() + CHANGE_TTL
            await queries.add_email_token(uow.conn, token_hash, user_id, CHANGE, new, expires)
            uow.emit(
                EmailChangeRequested(
                    user_id=str(user_id),
                    email=account.email,
                    new_email=new,
                    name=user.name,
                    token=token,
                    expires_at=expires.isoformat(),
                )
            )

    async def confirm_email_change(self, token: str) -> User:
        """The new address is confirmed by its link: it is the account's (and verified); every
        session ends (the old address logged in)."""
        now = utcnow()
        async with self.store.uow() as uow:
            used = await queries.use_email_token(uow.conn, hash_token(token), CHANGE, now)
            if used is None:
                raise InvalidToken("This confirmation link is invalid, used or expired.")
            user_id, new = used
            if await queries.account(uow.conn, email=new) is not None:
                raise EmailTaken(f"{new} was registered meanwhile.")
            user = await queries.change_profile(
                uow.conn, user_id, {"email": new, "email_verified_at": now}
            )
            assert user is not None
            await queries.revoke_user_tokens(uow.conn, user_id, now)
            uow.emit(
                UserChanged(
                    user_id=str(user.id),
                    email=user.email,
                    name=user.name,
                    phone=user.phone or "",
                    sms_opt_in=user.sms_opt_in,
                )
            )
        return user

    async def verify_email(self, token: str) -> None:
        """The address a verification token was sent to is the user's: mark it verified."""
        now = utcnow()
        async with self.store.uow() as uow:
            used = await queries.use_email_token(uow.conn, hash_token(token), VERIFY, now)
            if used is None or not await queries.mark_verified(uow.conn, *used, now):
                raise InvalidToken("This verification link is invalid, used or expired.")

    async def request_password_reset(self, email: str) -> None:
        """Mail a reset token if the account exists; the caller learns nothing either way
        (the answer is the same, and as fast: the mail goes out from notification)."""
        email = normalise_email(email)
        async with self.store.uow() as uow:
            account = await queries.account(uow.conn, email=email)
            if account is None:
                return
            last = await queries.last_email_token_at(uow.conn, account.id, RESET)
            now = utcnow()
            if last is not None and now - last < RESET_MAIL_INTERVAL:
                return  # one mail a minute at most: a script cannot flood a mailbox
            user = await queries.user(uow.conn, account.id)
            assert user is not None
            token, token_hash = new_refresh_token()
            expires = now + RESET_TTL
            await queries.add_email_token(uow.conn, token_hash, account.id, RESET, email, expires)
            uow.emit(
                PasswordResetRequested(
                    user_id=str(account.id),
                    email=email,
                    name=user.name,
                    token=token,
                    expires_at=expires.isoformat(),
                )
            )

    async def reset_password(self, token: str, new: str) -> None:
        """Set a new password with a mailed token (once, within 30 minutes) and end every
        session of the account; the other reset tokens of the account end too."""
        new_hash = await self.hashing.hash(new)
        now = utcnow()
        async with self.store.uow() as uow:
            used = await queries.use_email_token(uow.conn, hash_token(token), RESET, now)
            if used is None:
                raise InvalidToken(
                    "This reset link is invalid, used or expired; ask for a new one."
                )
            user_id, _ = used
            await queries.set_password_hash(uow.conn, user_id, new_hash)
            await queries.end_email_tokens(uow.conn, user_id, RESET, now)
            await queries.revoke_user_tokens(uow.conn, user_id, now)
        log.info("password of user %s reset by a mailed token", user_id)

    async def login(self, email: str, password: str) -> Tokens:
        email = normalise_email(email)
        # No connection is held while the password is checked: hashes queue (PasswordHashing),
        # and a queue of logins must not take the pool from everyone else.
        async with self.store.engine.connect() as conn:
            account = await queries.account(conn, email=email)
        stored = account.password_hash if account is not None else _DUMMY_HASH
        matches = await self._password_matches(email, stored, password)
        if account is None or not matches:
            raise InvalidCredentials("The email or password is wrong.")
        async with self.store.uow() as uow:
            return await self._tokens(uow, account, family_id=new_id())

    async def refresh(self, refresh_token: str) -> Tokens:
        """Rotate: the presented token is revoked and a new pair of the same family is issued.
        A token that was already rotated or revoked revokes its whole family."""
        token_hash, now = hash_token(refresh_token), utcnow()
        async with self.store.uow() as uow:
            rotated = await queries.rotate_refresh_token(uow.conn, token_hash, now)
            if rotated is not None:
                # Past the limit the rotation rolls back: the presented token stays valid.
                await self._enforce(
                    self.limits.refreshes_per_account,
                    str(rotated.user_id),
                    "Too many refreshes for this account",
                )
                account = await queries.account(uow.conn, user_id=rotated.user_id)
                assert account is not None  # a token's user is never deleted
                return await self._tokens(uow, account, rotated.family_id)
            seen = await queries.refresh_token(uow.conn, token_hash)
            reused = seen if seen is not None and seen.revoked_at is not None else None
            if reused is not None:
                await queries.revoke_family(uow.conn, reused.family_id, now)
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
        async with self.store.uow() as uow:
            await queries.revoke_family_of(uow.conn, hash_token(refresh_token), utcnow())

    async def change_password(self, user_id: uuid.UUID, current: str, new: str) -> None:
        """Set a new password and end every session of the user (all refresh tokens)."""
        async with self.store.engine.connect() as conn:
            account = await queries.account(conn, user_id=user_id)
        if account is None:
            raise UnknownUser(f"No user {user_id}.")
        if not await self._password_matches(account.email, account.password_hash, current):
            raise WrongPassword("The current password is wrong.")
        new_hash = await self.hashing.hash(new)
        async with self.store.uow() as uow:
            # Only over the hash just checked: two changes at once cannot both win.
            if not await queries.replace_password_hash(
                uow.conn, user_id, account.password_hash, new_hash
            ):
                raise PasswordChanged("The password was changed meanwhile; log in again.")
            await queries.revoke_user_tokens(uow.conn, user_id, utcnow())

    async def _tokens(self, uow: UnitOfWork, account: Account, family_id: uuid.UUID) -> Tokens:
        token, token_hash = new_refresh_token()
        expires_at = utcnow() + timedelta(seconds=self.refresh_ttl)
        await queries.add_refresh_token(uow.conn, token_hash, account.id, family_id, expires_at)
        return Tokens(
            access_token=self.issuer.issue(account.id, list(account.roles), account.email),
            refresh_token=token,
            expires_in=self.issuer.ttl,
        )

    async def get(self, user_id: uuid.UUID) -> User:
        async with self.store.engine.connect() as conn:
            user = await queries.user(conn, user_id)
        if user is None:
            raise UnknownUser(f"No user {user_id}.")
        return user

    async def search(
        self, *, email: str | None, role: str | None, limit: int, offset: int
    ) -> list[User]:
        async with self.store.engine.connect() as conn:
            return await queries.search_users(
                conn,
                email=normalise_email(email) if email else None,
                role=role,
                limit=limit,
                offset=offset,
            )

    async def set_roles(self, user_id: uuid.UUID, roles: list[str]) -> User:
        roles = check_roles(roles)
        async with self.store.uow() as uow:
            user = await queries.set_roles(uow.conn, user_id, roles)
            if user is None:
                raise UnknownUser(f"No user {user_id}.")
            # New roles take effect at the next login: revoke refresh tokens issued before.
            await queries.revoke_user_tokens(uow.conn, user_id, utcnow())
        return user

    async def ensure_user(self, email: str, password: str, name: str, roles: list[str]) -> bool:
        """Create the user unless the email exists (seed data, create-admin); True if created."""
        try:
            await self.create_user(email, password, name, roles)
        except EmailTaken:
            return False
        return True
