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

# The booking state machine. A PENDING booking waits for its payment and ends CONFIRMED (paid,
# seats sold, tickets issued), FAILED (declined, timed out, a seat lost, ended by an operator),
# EXPIRED (its seats were released before the payment came) or CANCELLED (by its customer, its
# show's cancellation, or a refund of everything); a CONFIRMED one can still be CANCELLED.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.PENDING: frozenset({Status.CONFIRMED, Status.FAILED, Status.EXPIRED, Status.CANCELLED}),
    Status.CONFIRMED: frozenset({Status.CANCELLED}),
    Status.CANCELLED: frozenset(),
    Status.FAILED: frozenset(),
    Status.EXPIRED: frozenset(),
}

# The bookings a show's cancellation or a full refund cancels.
CANCELLABLE = frozenset(s for s, allowed in TRANSITIONS.items() if Status.CANCELLED in allowed)


class UnknownBooking(NotFound):
    title = "Unknown booking"


class NotCancellable(Conflict):
    title = "Booking cannot be cancelled"


class ShowCancelled(Conflict):
    title = "Show cancelled"


class IllegalTransition(Exception):
    """A move the booking state machine forbids: a bug in the caller, which checks the
    state first (not a problem shown to clients)."""


def can_move(status: Status, to: Status) -> bool:
    return to in TRANSITIONS[status]


def move(status: Status, to: Status) -> Status:
    """The booking's next status, `to`, or IllegalTransition when the machine forbids it."""
    if not can_move(status, to):
        raise IllegalTransition(f"A {status.value} booking cannot become {to.value}.")
    return to


def awaits_payment(status: Status) -> bool:
    """The saga still waits for the payment's outcome (it has not given up or been ended)."""
    return status == Status.PENDING


def cancelled_by_refund(status: Status, total: int, refunded: int) -> bool:
    """A refund of everything the booking cost cancels it (tickets void, seats back on sale),
    whoever made it; a partial refund only records the amount."""
    return refunded == total and status in CANCELLABLE


_BOOKINGS = uuid.UUID("6f1c2a52-0b8e-4a53-9d1e-3c2b7d0f4a11")


def booking_id_for(hold_id: str) -> uuid.UUID:
    """A hold backs at most one booking, so the booking's id follows from the hold's: a retried
    request (a lost answer, a replica that died mid-request) finds the same booking again."""
    return uuid.uuid5(_BOOKINGS, hold_id)


def can_cancel(status: Status, show_started: bool) -> None:
    if not can_move(status, Status.CANCELLED):
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
