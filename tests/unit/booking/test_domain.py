"""Booking rules: who may cancel, and ticket codes a scanner verifies offline."""

from __future__ import annotations

import uuid

import pytest

from boxoffice.booking.domain import (
    CANCELLABLE,
    FINAL,
    IllegalTransition,
    NotCancellable,
    Status,
    awaits_payment,
    can_cancel,
    can_move,
    cancelled_by_refund,
    move,
    ticket_code,
    verify_ticket_code,
)

SECRET = b"ticket-secret-for-tests"


@pytest.mark.parametrize("status", [Status.PENDING, Status.CONFIRMED])
def test_a_live_booking_can_be_cancelled_before_the_show(status: Status) -> None:
    can_cancel(status, show_started=False)


@pytest.mark.parametrize("status", sorted(FINAL))
def test_a_finished_booking_cannot_be_cancelled(status: Status) -> None:
    with pytest.raises(NotCancellable) as err:
        can_cancel(status, show_started=False)
    assert err.value.detail == f"This booking is already {status.value.lower()}."
    assert err.value.status == 409


def test_nothing_can_be_cancelled_once_the_show_started() -> None:
    with pytest.raises(NotCancellable, match="has started"):
        can_cancel(Status.CONFIRMED, show_started=True)


def test_final_states_are_the_unhappy_endings() -> None:
    assert {Status.CANCELLED, Status.FAILED, Status.EXPIRED} == FINAL
    assert Status.CONFIRMED not in FINAL


def _ticket() -> tuple[uuid.UUID, uuid.UUID, str, str]:
    ticket, show = uuid.uuid4(), uuid.uuid4()
    place = "seat:42"
    return ticket, show, place, ticket_code(SECRET, ticket, show, place)


def test_a_ticket_code_has_a_version_the_ticket_id_and_a_mac() -> None:
    ticket, _, _, code = _ticket()
    version, ticket_hex, mac = code.split(".")
    assert version == "BX1"
    assert ticket_hex == ticket.hex
    assert len(mac) == 20
    int(mac, 16)


def test_a_ticket_code_is_deterministic() -> None:
    ticket, show, place, code = _ticket()
    assert ticket_code(SECRET, ticket, show, place) == code


def test_a_genuine_code_verifies() -> None:
    _, show, place, code = _ticket()
    assert verify_ticket_code(SECRET, code, show, place)


def test_a_code_for_another_show_or_seat_or_secret_does_not_verify() -> None:
    _, show, place, code = _ticket()
    assert not verify_ticket_code(SECRET, code, uuid.uuid4(), place)
    assert not verify_ticket_code(SECRET, code, show, "seat:43")
    assert not verify_ticket_code(b"another-secret", code, show, place)


def test_a_code_with_a_swapped_ticket_id_does_not_verify() -> None:
    _, show, place, code = _ticket()
    version, _, mac = code.split(".")
    assert not verify_ticket_code(SECRET, f"{version}.{uuid.uuid4().hex}.{mac}", show, place)


def test_every_single_character_change_of_a_code_is_caught() -> None:
    _, show, place, code = _ticket()
    for i, char in enumerate(code):
        for other in {"0", "f", "X", ".", "é"} - {char}:
            tampered = code[:i] + other + code[i + 1 :]
            assert not verify_ticket_code(SECRET, tampered, show, place), tampered


@pytest.mark.parametrize(
    "garbage",
    ["", "BX1", "BX1..", "BX1.nothex.0123", "a.b.c.d", "BX1.ünïcode.mac", "💥", "\x00.\x00.\x00"],
)
def test_garbage_is_rejected_without_raising(garbage: str) -> None:
    _, show, place, _ = _ticket()
    assert verify_ticket_code(SECRET, garbage, show, place) is False


def test_a_truncated_or_extended_code_does_not_verify() -> None:
    _, show, place, code = _ticket()
    assert not verify_ticket_code(SECRET, code[:-1], show, place)
    assert not verify_ticket_code(SECRET, code + "0", show, place)
    assert not verify_ticket_code(SECRET, " " + code, show, place)


ALLOWED = {
    (Status.PENDING, Status.CONFIRMED),
    (Status.PENDING, Status.FAILED),
    (Status.PENDING, Status.EXPIRED),
    (Status.PENDING, Status.CANCELLED),
    (Status.CONFIRMED, Status.CANCELLED),
}


@pytest.mark.parametrize(("before", "after"), sorted(ALLOWED))
def test_the_saga_may_make_its_moves(before: Status, after: Status) -> None:
    assert can_move(before, after)
    assert move(before, after) is after


@pytest.mark.parametrize(
    ("before", "after"),
    sorted((b, a) for b in Status for a in Status if (b, a) not in ALLOWED),
)
def test_every_other_move_is_refused(before: Status, after: Status) -> None:
    assert not can_move(before, after)
    with pytest.raises(IllegalTransition, match=f"{before.value} booking cannot"):
        move(before, after)


def test_only_pending_and_confirmed_bookings_are_cancellable() -> None:
    assert {Status.PENDING, Status.CONFIRMED} == CANCELLABLE


def test_only_a_pending_booking_awaits_its_payment() -> None:
    assert [s for s in Status if awaits_payment(s)] == [Status.PENDING]


@pytest.mark.parametrize("status", [Status.PENDING, Status.CONFIRMED])
def test_a_full_refund_cancels_a_live_booking_and_a_partial_one_does_not(status: Status) -> None:
    assert cancelled_by_refund(status, total=4200, refunded=4200)
    assert not cancelled_by_refund(status, total=4200, refunded=4199)


@pytest.mark.parametrize("status", sorted(FINAL))
def test_a_full_refund_of_an_ended_booking_cancels_nothing(status: Status) -> None:
    assert not cancelled_by_refund(status, total=4200, refunded=4200)
