"""Catalog rules: sales windows, prices, show status moves, row labels and layout expansion."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from boxoffice.catalog.domain import (
    MAX_SEATS_PER_HALL,
    GridSpec,
    HallSeat,
    InvalidLayout,
    InvalidShow,
    RowSpec,
    SeatSpec,
    SectionSpec,
    ShowStateConflict,
    ShowStatus,
    check_prices,
    check_show_times,
    expand_layout,
    row_label,
)

NOW = datetime(2030, 5, 1, 20, 0, tzinfo=UTC)


def test_a_sales_window_that_ends_before_the_show_is_accepted() -> None:
    check_show_times(NOW, NOW - timedelta(days=30), NOW - timedelta(hours=1))
    check_show_times(NOW, NOW - timedelta(days=30), NOW)  # may sell until the curtain


def test_a_sales_window_that_ends_before_it_starts_is_rejected() -> None:
    with pytest.raises(InvalidShow, match="end after it starts"):
        check_show_times(NOW, NOW - timedelta(days=1), NOW - timedelta(days=2))
    with pytest.raises(InvalidShow, match="end after it starts"):
        check_show_times(NOW, NOW - timedelta(days=1), NOW - timedelta(days=1))


def test_sales_that_run_past_the_show_start_are_rejected() -> None:
    with pytest.raises(InvalidShow, match="before the show starts"):
        check_show_times(NOW, NOW - timedelta(days=1), NOW + timedelta(seconds=1))


def test_prices_for_every_category_are_accepted() -> None:
    check_prices({"standard", "premium"}, {"standard": 1500, "premium": 4000, "unused": 0})


def test_a_category_without_a_price_is_named() -> None:
    with pytest.raises(InvalidShow) as err:
        check_prices({"standard", "premium", "box"}, {"standard": 1500})
    assert err.value.detail == "No price for seat categories: box, premium."
    assert err.value.status == 422


def test_a_negative_price_is_rejected() -> None:
    with pytest.raises(InvalidShow, match="negative"):
        check_prices({"standard"}, {"standard": -1})


DRAFT, PUBLISHED, CANCELLED = ShowStatus.DRAFT, ShowStatus.PUBLISHED, ShowStatus.CANCELLED


def test_a_draft_is_published() -> None:
    assert DRAFT.publish() is PUBLISHED


@pytest.mark.parametrize("current", [DRAFT, PUBLISHED])
def test_a_draft_or_a_published_show_is_cancelled(current: ShowStatus) -> None:
    assert current.cancel() is CANCELLED


@pytest.mark.parametrize("current", [DRAFT, PUBLISHED])
def test_a_draft_or_a_published_show_may_change(current: ShowStatus) -> None:
    current.check_change()


@pytest.mark.parametrize(
    ("move", "message"),
    [
        (PUBLISHED.publish, "A published show cannot be published."),
        (CANCELLED.publish, "A cancelled show cannot be published."),
        (CANCELLED.cancel, "A cancelled show cannot be cancelled."),
        (CANCELLED.check_change, "A cancelled show cannot be changed."),
    ],
)
def test_forbidden_status_moves_conflict(move: Callable[[], object], message: str) -> None:
    with pytest.raises(ShowStateConflict) as err:
        move()
    assert err.value.detail == message
    assert err.value.status == 409


def test_statuses_are_stored_and_sent_by_their_lowercase_names() -> None:
    assert [str(s) for s in ShowStatus] == ["draft", "published", "cancelled"]
    assert ShowStatus("published") is PUBLISHED


@pytest.mark.parametrize(
    ("index", "label"),
    [(0, "A"), (1, "B"), (25, "Z"), (26, "AA"), (27, "AB"), (51, "AZ"), (52, "BA"), (701, "ZZ"),
     (702, "AAA")],
)  # fmt: skip
def test_row_labels_count_like_spreadsheet_columns(index: int, label: str) -> None:
    assert row_label(index) == label


def test_row_labels_are_unique_and_in_order_for_a_stadium() -> None:
    labels = [row_label(i) for i in range(2000)]
    assert len(set(labels)) == 2000
    assert labels == sorted(labels, key=lambda s: (len(s), s))


def _section(name: str, rows: dict[str, list[SeatSpec]]) -> SectionSpec:
    return SectionSpec(name, [RowSpec(label, seats) for label, seats in rows.items()])


def test_explicit_sections_expand_to_seats_with_default_positions() -> None:
    seats = expand_layout(
        [
            _section(
                "Balcony",
                {
                    "A": [
                        SeatSpec("1", "premium"),
                        SeatSpec("2", "premium", x=7.5, y=0.5, blocked=True),
                    ],
                    "B": [SeatSpec("1", "standard")],
                },
            )
        ],
        None,
    )
    assert seats == [
        HallSeat("Balcony", "A", "A1", "premium", 0.0, 0.0, False),
        HallSeat("Balcony", "A", "A2", "premium", 7.5, 0.5, True),
        HallSeat("Balcony", "B", "B1", "standard", 0.0, 1.0, False),
    ]


def test_a_grid_expands_rows_times_seats_with_row_categories() -> None:
    seats = expand_layout(
        [], GridSpec(rows=3, seats_per_row=4, category="standard", row_categories={"A": "premium"})
    )
    assert len(seats) == 12
    assert [s.label for s in seats[:5]] == ["A1", "A2", "A3", "A4", "B1"]
    assert {s.category for s in seats if s.row == "A"} == {"premium"}
    assert {s.category for s in seats if s.row != "A"} == {"standard"}
    assert {s.section for s in seats} == {"Stalls"}
    assert seats[-1] == HallSeat("Stalls", "C", "C4", "standard", 3.0, 2.0, False)


def test_sections_and_a_grid_combine() -> None:
    seats = expand_layout(
        [_section("Box", {"K": [SeatSpec("1", "box")]})],
        GridSpec(rows=1, seats_per_row=2, section="Floor"),
    )
    assert [(s.section, s.label, s.category) for s in seats] == [
        ("Box", "K1", "box"),
        ("Floor", "A1", "standard"),
        ("Floor", "A2", "standard"),
    ]


def test_duplicate_seat_labels_in_a_section_are_rejected() -> None:
    with pytest.raises(InvalidLayout, match="unique"):
        expand_layout(
            [_section("Stalls", {"A": [SeatSpec("1", "standard")]})],
            GridSpec(rows=1, seats_per_row=1),  # also makes Stalls A1
        )


def test_the_same_label_in_two_sections_is_fine() -> None:
    seats = expand_layout(
        [
            _section("Left", {"A": [SeatSpec("1", "standard")]}),
            _section("Right", {"A": [SeatSpec("1", "standard")]}),
        ],
        None,
    )
    assert len(seats) == 2


def test_a_hall_larger_than_the_limit_is_rejected() -> None:
    with pytest.raises(InvalidLayout, match=str(MAX_SEATS_PER_HALL)):
        expand_layout([], GridSpec(rows=1001, seats_per_row=100))
    assert len(expand_layout([], GridSpec(rows=1000, seats_per_row=100))) == MAX_SEATS_PER_HALL
