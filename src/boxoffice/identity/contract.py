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
