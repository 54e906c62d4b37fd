"""Booking rules: the saga's states and the moves allowed between them."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from enum import StrEnum

from boxoffice.kernel.errors import Conflict, NotFound


class Status(StrEnum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"
    FAILED = "FAILED"
    EXPIRED = "EXPIRED"


FINAL = frozenset({Status.CANCELLED, Status.FAILED, Status.EXPIRED})


class UnknownBooking(NotFound):
    title = "Unknown booking"


class NotCancellable(Conflict):
    title = "Booking cannot be cancelled"


class ShowCancelled(Conflict):
    title = "Show cancelled"


_BOOKINGS = uuid.UUID("6f1c2a52-0b8e-4a53-9d1e-3c2b7d0f4a11")


def booking_id_for(hold_id: str) -> uuid.UUID:
    """A hold backs at most one booking, so the booking's id follows from the hold's: a retried
    request (a lost answer, a replica that died mid-request) finds the same booking again."""
    return uuid.uuid5(_BOOKINGS, hold_id)


def can_cancel(status: Status, show_started: bool) -> None:
    if status in FINAL:
        raise NotCancellable(f"This booking is already {status.value.lower()}.")
    if show_started:
        raise NotCancellable("The show has started; bookings can no longer be cancelled.")


def ticket_code(secret: bytes, ticket_id: uuid.UUID, show_id: uuid.UUID, place: str) -> str:
    """A code a scanner can verify offline with the secret: ticket id plus a truncated HMAC."""
    mac = hmac.new(secret, f"{ticket_id}|{show_id}|{place}".encode(), hashlib.sha256)
    return f"BX1.{ticket_id.hex}.{mac.hexdigest()[:20]}"


def verify_ticket_code(secret: bytes, code: str, show_id: uuid.UUID, place: str) -> bool:
    try:
        _, ticket_hex, _ = code.split(".")
        expected = ticket_code(secret, uuid.UUID(ticket_hex), show_id, place)
    except ValueError:
        return False
    # Bytes: compare_digest raises TypeError on str with non-ASCII characters.
    return hmac.compare_digest(expected.encode(), code.encode())
