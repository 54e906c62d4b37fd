"""Inventory rules: hold requests, hold ids that carry their show, and the GA csv format."""

from __future__ import annotations

import uuid

import pytest

from boxoffice.inventory.domain import (
    HoldRequest,
    UnknownHold,
    ga_csv,
    make_hold_request,
    new_hold_id,
    parse_ga_csv,
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


def test_ga_csv_round_trips() -> None:
    pairs = [(1, 2), (30, 4), (2**40, 100)]
    text = ga_csv(pairs)
    assert text == f"1:2,30:4,{2**40}:100"
    assert parse_ga_csv(text) == pairs


def test_empty_ga_csv_is_no_areas() -> None:
    assert ga_csv(()) == ""
    assert parse_ga_csv("") == []


def test_ga_csv_of_a_hold_request_is_what_the_hold_store_reads_back() -> None:
    request = make_hold_request([], [(5, 1), (2, 2)])
    assert parse_ga_csv(ga_csv(request.ga)) == list(request.ga)
