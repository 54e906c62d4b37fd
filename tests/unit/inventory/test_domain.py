"""Inventory rules: hold requests, hold ids that carry their show, and the GA csv format."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from boxoffice.inventory.domain import (
    HoldRequest,
    HoldState,
    SeatState,
    UnknownHold,
    hold_state,
    make_hold_request,
    new_hold_id,
    sells,
    show_of_hold,
)
from boxoffice.kernel.errors import InvalidRequest


def test_a_hold_request_keeps_the_seats_in_the_order_asked() -> None:
    request = make_hold_request([30, 10, 20], [])
    assert request == HoldRequest(seat_ids=(30, 10, 20), ga=())
    assert request.count == 3


def test_ga_quantities_for_the_same_area_are_added_and_sorted_by_area() -> None:
    request = make_hold_request([], [(7, 2), (3, 1), (7, 3)])
    assert request.ga == ((3, 1), (7, 5))
    assert request.count == 6


def test_seats_and_ga_places_count_together() -> None:
    assert make_hold_request([1, 2], [(9, 4)]).count == 6


def test_a_seat_asked_for_twice_is_rejected() -> None:
    with pytest.raises(InvalidRequest, match="once"):
        make_hold_request([5, 6, 5], [])


def test_an_empty_request_is_rejected() -> None:
    with pytest.raises(InvalidRequest, match="at least one"):
        make_hold_request([], [])


def test_a_hold_id_names_its_show() -> None:
    show = uuid.uuid4()
    hold_id = new_hold_id(show)
    assert hold_id.startswith(show.hex + ".")
    assert show_of_hold(hold_id) == show


def test_hold_ids_of_one_show_differ() -> None:
    show = uuid.uuid4()
    assert len({new_hold_id(show) for _ in range(1000)}) == 1000


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "nonsense",
        f"{uuid.uuid4().hex}",
        f"{uuid.uuid4().hex}.",
        f"{uuid.uuid4().hex}.0123456789abcdeg",  # not hex
        f"{uuid.uuid4().hex}.0123456789abcdef0",  # too long
        f"{uuid.uuid4().hex.upper()}.0123456789abcdef",
        f"{uuid.uuid4()}.0123456789abcdef",  # dashed uuid
        f"{uuid.uuid4().hex}.0123456789abcdef\n",
    ],
)
def test_a_malformed_hold_id_is_an_unknown_hold(bad: str) -> None:
    with pytest.raises(UnknownHold):
        show_of_hold(bad)


def test_only_a_published_show_sells() -> None:
    assert sells("published")
    assert not any(sells(s) for s in ("draft", "cancelled", "Published", ""))


def test_a_held_hold_whose_time_is_up_has_expired() -> None:
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    second = timedelta(seconds=1)
    assert hold_state(HoldState.HELD, now + second, now) is HoldState.HELD
    assert hold_state(HoldState.HELD, now, now) is HoldState.EXPIRED
    assert hold_state(HoldState.HELD, now - second, now) is HoldState.EXPIRED
    assert hold_state(HoldState.SOLD, now - second, now) is HoldState.SOLD, "sold never expires"


def test_seat_states_are_named_as_the_seat_map_shows_them() -> None:
    assert [s.value for s in SeatState] == ["available", "held", "sold", "blocked"]
