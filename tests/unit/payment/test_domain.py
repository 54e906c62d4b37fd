"""Payment rules: what may still be refunded, and which refunds are refused."""

from __future__ import annotations

import pytest

from boxoffice.kernel.errors import Conflict, InvalidRequest
from boxoffice.payment.domain import (
    IllegalTransition,
    InvalidRefund,
    PaymentStatus,
    RefundNotAllowed,
    can_move,
    charge_outcome,
    check_refund,
    move,
    refundable,
)


@pytest.mark.parametrize(
    ("status", "refunded", "left"),
    [
        (PaymentStatus.CAPTURED, 0, 5000),
        (PaymentStatus.CAPTURED, 1200, 3800),
        (PaymentStatus.REFUNDED, 5000, 0),
        (PaymentStatus.PROCESSING, 0, 0),
        (PaymentStatus.FAILED, 0, 0),
        (PaymentStatus.VOIDED, 0, 0),
    ],
)
def test_only_captured_money_is_refundable(status: PaymentStatus, refunded: int, left: int) -> None:
    assert refundable(status, 5000, refunded) == left


def test_a_full_refund_of_a_capture_is_allowed() -> None:
    check_refund(PaymentStatus.CAPTURED, 5000, 0, 5000)


def test_partial_refunds_are_allowed_up_to_what_is_left() -> None:
    check_refund(PaymentStatus.CAPTURED, 5000, 0, 1)
    check_refund(PaymentStatus.CAPTURED, 5000, 4000, 1000)


def test_refunding_more_than_is_left_is_invalid_and_says_how_much_is_left() -> None:
    with pytest.raises(InvalidRefund) as err:
        check_refund(PaymentStatus.CAPTURED, 5000, 4000, 1001)
    assert err.value.extra == {"refundable": 1000}
    assert "1000" in err.value.detail
    assert isinstance(err.value, InvalidRequest)


@pytest.mark.parametrize(
    ("status", "refunded"),
    [
        (PaymentStatus.REFUNDED, 5000),
        (PaymentStatus.PROCESSING, 0),
        (PaymentStatus.FAILED, 0),
        (PaymentStatus.VOIDED, 0),
    ],
)
def test_nothing_to_refund_is_a_conflict(status: PaymentStatus, refunded: int) -> None:
    with pytest.raises(RefundNotAllowed) as err:
        check_refund(status, 5000, refunded, 1)
    assert isinstance(err.value, Conflict)
    assert err.value.status == 409


def test_refunds_in_steps_never_exceed_the_charge() -> None:
    amount, refunded = 1000, 0
    for asked in (300, 300, 300, 300, 100, 100):
        try:
            check_refund(PaymentStatus.CAPTURED, amount, refunded, asked)
        except InvalidRefund:
            continue
        except RefundNotAllowed:
            break
        refunded += asked
    assert refunded == 1000
    assert refundable(PaymentStatus.CAPTURED, amount, refunded) == 0


P = PaymentStatus
ALLOWED = {
    (P.PROCESSING, P.CAPTURED),
    (P.PROCESSING, P.FAILED),
    (P.PROCESSING, P.VOIDED),
    (P.VOIDED, P.CAPTURED),
    (P.VOIDED, P.FAILED),
    (P.CAPTURED, P.REFUNDED),
}


@pytest.mark.parametrize(("before", "after"), sorted(ALLOWED))
def test_a_payment_may_make_its_moves(before: PaymentStatus, after: PaymentStatus) -> None:
    assert can_move(before, after)
    assert move(before, after) is after


@pytest.mark.parametrize(
    ("before", "after"), sorted((b, a) for b in P for a in P if (b, a) not in ALLOWED)
)
def test_every_other_payment_move_is_refused(before: PaymentStatus, after: PaymentStatus) -> None:
    assert not can_move(before, after)
    with pytest.raises(IllegalTransition):
        move(before, after)


@pytest.mark.parametrize("status", [P.PROCESSING, P.VOIDED])
def test_the_providers_answer_captures_or_fails_an_unanswered_payment(status: P) -> None:
    assert charge_outcome(status, approved=True) is P.CAPTURED
    assert charge_outcome(status, approved=False) is P.FAILED


@pytest.mark.parametrize("status", [P.CAPTURED, P.FAILED, P.REFUNDED])
def test_an_answered_payment_takes_no_second_answer(status: P) -> None:
    with pytest.raises(IllegalTransition):
        charge_outcome(status, approved=True)
