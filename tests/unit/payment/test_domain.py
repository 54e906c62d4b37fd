"""Payment rules: what may still be refunded, and which refunds are refused."""

from __future__ import annotations

import pytest

from boxoffice.kernel.errors import Conflict, InvalidRequest
from boxoffice.payment.domain import (
    InvalidRefund,
    PaymentStatus,
    RefundNotAllowed,
    check_refund,
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
