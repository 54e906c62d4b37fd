"""Catalog rules: sales windows, prices, show status moves, row labels and layout expansion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from boxoffice.catalog.domain import (
    InvalidLayout,
    InvalidShow,
    ShowStateConflict,
    check_prices,
    check_show_times,
    next_status,
    row_label,
)
from boxoffice.catalog.service import MAX_SEATS_PER_HALL, expand_layout

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


@pytest.mark.parametrize(
    ("current", "action", "expected"),
    [
        ("draft", "publish", "published"),
        ("draft", "cancel", "cancelled"),
        ("published", "cancel", "cancelled"),
    ],
)
def test_allowed_status_moves(current: str, action: str, expected: str) -> None:
    assert next_status(current, action) == expected


@pytest.mark.parametrize(
    ("current", "action", "message"),
    [
        ("published", "publish", "A published show cannot be published."),
        ("cancelled", "publish", "A cancelled show cannot be published."),
        ("cancelled", "cancel", "A cancelled show cannot be cancelled."),
    ],
)
def test_forbidden_status_moves_conflict(current: str, action: str, message: str) -> None:
    with pytest.raises(ShowStateConflict) as err:
        next_status(current, action)
    assert err.value.detail == message
    assert err.value.status == 409


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


def _section(name: str, rows: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    return {"name": name, "rows": [{"label": label, "seats": s} for label, s in rows.items()]}


def test_explicit_sections_expand_to_seats_with_default_positions() -> None:
    seats = expand_layout(
        [
            _section(
                "Balcony",
                {
                    "A": [
                        {"label": "1", "category": "premium"},
                        {"label": "2", "category": "premium", "x": 7.5, "y": 0.5, "blocked": True},
                    ],
                    "B": [{"label": "1", "category": "standard"}],
                },
            )
        ],
        None,
    )
    assert seats == [
        {"section": "Balcony", "row": "A", "label": "A1", "category": "premium", "x": 0.0,
         "y": 0.0, "blocked": False},
        {"section": "Balcony", "row": "A", "label": "A2", "category": "premium", "x": 7.5,
         "y": 0.5, "blocked": True},
        {"section": "Balcony", "row": "B", "label": "B1", "category": "standard", "x": 0.0,
         "y": 1.0, "blocked": False},
    ]  # fmt: skip


def test_a_grid_expands_rows_times_seats_with_row_categories() -> None:
    seats = expand_layout(
        [],
        {
            "rows": 3,
            "seats_per_row": 4,
            "category": "standard",
            "row_categories": {"A": "premium"},
        },
    )
    assert len(seats) == 12
    assert [s["label"] for s in seats[:5]] == ["A1", "A2", "A3", "A4", "B1"]
    assert {s["category"] for s in seats if s["row"] == "A"} == {"premium"}
    assert {s["category"] for s in seats if s["row"] != "A"} == {"standard"}
    assert {s["section"] for s in seats} == {"Stalls"}
    assert seats[-1] == {
        "section": "Stalls", "row": "C", "label": "C4", "category": "standard", "x": 3.0,
        "y": 2.0, "blocked": False,
    }  # fmt: skip


def test_sections_and_a_grid_combine() -> None:
    seats = expand_layout(
        [_section("Box", {"K": [{"label": "1", "category": "box"}]})],
        {"rows": 1, "seats_per_row": 2, "section": "Floor"},
    )
    assert [(s["section"], s["label"], s["category"]) for s in seats] == [
        ("Box", "K1", "box"),
        ("Floor", "A1", "standard"),
        ("Floor", "A2", "standard"),
    ]


def test_duplicate_seat_labels_in_a_section_are_rejected() -> None:
    with pytest.raises(InvalidLayout, match="unique"):
        expand_layout(
            [_section("Stalls", {"A": [{"label": "1", "category": "standard"}]})],
            {"rows": 1, "seats_per_row": 1},  # also makes Stalls A1
        )


def test_the_same_label_in_two_sections_is_fine() -> None:
    seats = expand_layout(
        [
            _section("Left", {"A": [{"label": "1", "category": "standard"}]}),
            _section("Right", {"A": [{"label": "1", "category": "standard"}]}),
        ],
        None,
    )
    assert len(seats) == 2


def test_a_hall_larger_than_the_limit_is_rejected() -> None:
    with pytest.raises(InvalidLayout, match=str(MAX_SEATS_PER_HALL)):
        expand_layout([], {"rows": 1001, "seats_per_row": 100})
