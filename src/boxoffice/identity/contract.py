"""What other services may know of identity: its events."""

from __future__ import annotations

from dataclasses import dataclass

from boxoffice.kernel.events import Event


@dataclass(frozen=True)
class UserRegistered(Event):
    type = "identity.user.registered"
    user_id: str
    email: str
    name: str
    # A single-use token that verifies the address (POST /auth/verify-email), for the welcome
    # mail; empty from producers before it.
    verify_token: str = ""


@dataclass(frozen=True)
class PasswordResetRequested(Event):
    """Someone asked to reset the password of this account: the mail carries the token."""

    type = "identity.password.reset_requested"
    user_id: str
    email: str
    name: str
    token: str
    expires_at: str


@dataclass(frozen=True)
class UserChanged(Event):
    """A user's profile changed (name, phone, texts wanted): who notification writes to."""

    type = "identity.user.changed"
    user_id: str
    email: str
    name: str
    phone: str = ""  # E.164, empty when none
    sms_opt_in: bool = False


@dataclass(frozen=True)
class EmailChangeRequested(Event):
    """A user asked to change their address to `new_email`: the mail to it carries the token
    that confirms it (the old address is told too)."""

    type = "identity.email.change_requested"
    user_id: str
    email: str  # the address now
    new_email: str
    name: str
    token: str
    expires_at: str
