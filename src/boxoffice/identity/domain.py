"""Identity rules: who a user is and which roles they hold."""

from __future__ import annotations

from boxoffice.kernel.errors import (
    Conflict,
    InvalidRequest,
    NotFound,
    TooManyRequests,
    Unauthorized,
)
from boxoffice.kernel.roles import ROLES


class EmailTaken(Conflict):
    title = "Email already registered"


class InvalidCredentials(Unauthorized):
    title = "Invalid credentials"


class RefreshTokenReused(Unauthorized):
    """A rotated or revoked refresh token came back: whoever holds the other copy (the thief or
    the owner) must not keep the session, so every token of its login was revoked."""

    title = "Refresh token reused"


class WrongPassword(InvalidRequest):
    """The current password given to change it is wrong. 422, not 401: the caller's access
    token is fine, and a 401 tells clients (the web UI) to refresh their session."""

    title = "Wrong password"


class InvalidToken(InvalidRequest):
    """A mailed token (password reset, email verification) that is unknown, used or expired."""

    status = 400
    title = "Invalid or expired token"


class NoPhoneNumber(InvalidRequest):
    """Texts wanted, but no phone number to send them to."""


class PasswordChanged(Conflict):
    title = "Password changed meanwhile"


class TooManyAttempts(TooManyRequests):
    title = "Too many attempts"


class UnknownUser(NotFound):
    title = "Unknown user"


class UnknownRole(InvalidRequest):
    title = "Unknown role"


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_roles(roles: list[str]) -> list[str]:
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise UnknownRole(f"Unknown roles: {', '.join(unknown)}. Known: {', '.join(ROLES)}.")
    if not roles:
        raise UnknownRole("A user needs at least one role.")
    return sorted(set(roles))
