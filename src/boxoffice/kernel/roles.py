"""The roles a user may hold: identity grants them, every service checks them (Principal.has).
Standard library only, so that domain modules may import it."""

from __future__ import annotations

from typing import Literal, get_args

Role = Literal["customer", "organizer", "staff", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)
