"""Payment rules: a payment's states, and how much may still be refunded."""

from __future__ import annotations

from enum import StrEnum

from boxoffice.kernel.errors import Conflict, InvalidRequest, NotFound


class PaymentStatus(StrEnum):
    PROCESSING = "processing"  # asked the provider, no answer yet
    CAPTURED = "captured"
    FAILED = "failed"
    REFUNDED = "refunded"  # fully refunded
    VOIDED = "voided"  # the booking gave up before the provider answered


# The payment state machine. A payment starts PROCESSING (the provider is asked), or VOIDED
# when its booking ended before booking.created arrived; the provider's answer captures or
# fails it, also after a void (a captured voided payment is refunded at once); a capture
# becomes REFUNDED once refunds gave back all of it.
TRANSITIONS: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    PaymentStatus.PROCESSING: frozenset(
        {PaymentStatus.CAPTURED, PaymentStatus.FAILED, PaymentStatus.VOIDED}
    ),
    PaymentStatus.VOIDED: frozenset({PaymentStatus.CAPTURED, PaymentStatus.FAILED}),
    PaymentStatus.CAPTURED: frozenset({PaymentStatus.REFUNDED}),
    PaymentStatus.FAILED: frozenset(),
    PaymentStatus.REFUNDED: frozenset(),
}


class IllegalTransition(Exception):
    """A move the payment state machine forbids: a bug in the caller, which checks the
    state first (not a problem shown to clients)."""


def can_move(status: PaymentStatus, to: PaymentStatus) -> bool:
    return to in TRANSITIONS[status]


def move(status: PaymentStatus, to: PaymentStatus) -> PaymentStatus:
    """The payment's next status, `to`, or IllegalTransition when the machine forbids it."""
    if not can_move(status, to):
        raise IllegalTransition(f"A {status.value} payment cannot become {to.value}.")
    return to


def charge_outcome(status: PaymentStatus, approved: bool) -> PaymentStatus:
    """The status the provider's answer to a charge gives a payment."""
    return move(status, PaymentStatus.CAPTURED if approved else PaymentStatus.FAILED)


class UnknownPayment(NotFound):
    title = "Unknown payment"


class RefundNotAllowed(Conflict):
    title = "Refund not allowed"


class InvalidRefund(InvalidRequest):
    title = "Invalid refund"


def refundable(status: PaymentStatus, amount: int, refunded: int) -> int:
    if status not in (PaymentStatus.CAPTURED, PaymentStatus.REFUNDED):
        return 0
    return amount - refunded


def check_refund(status: PaymentStatus, amount: int, refunded: int, asked: int) -> None:
    left = refundable(status, amount, refunded)
    if left == 0:
        raise RefundNotAllowed("Nothing is left to refund on this payment.")
    if asked > left:
        raise InvalidRefund(f"At most {left} can still be refunded.", refundable=left)
