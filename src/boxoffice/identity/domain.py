"""Identity rules: who a user is and which roles they hold."""

from __future__ import annotations

from boxoffice.kernel.errors import Conflict, InvalidRequest, NotFound, Unauthorized

ROLES = ("customer", "organizer", "staff", "admin")


class EmailTaken(Conflict):
    title = "Email already registered"


class InvalidCredentials(Unauthorized):
    title = "Invalid credentials"


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
