"""What the catalog routes hand the use cases: a hall's drawing and a show patch as the
domain's types, with the defaults the API documents."""

from __future__ import annotations

from boxoffice.catalog.api import HallIn, ShowPatch
from boxoffice.catalog.domain import (
    AreaSpec,
    GridSpec,
    RowSpec,
    SeatSpec,
    SectionSpec,
    ShowChanges,
)


def test_a_hall_drawing_becomes_seat_row_section_grid_and_area_specs() -> None:
    hall = HallIn.model_validate(
        {
            "name": "Main",
            "sections": [
                {
                    "name": "Box",
                    "rows": [{"label": "K", "seats": [{"label": "1", "category": "box", "x": 2}]}],
                }
            ],
            "grid": {"rows": 2, "seats_per_row": 3, "row_categories": {"A": "premium"}},
            "ga_areas": [{"name": "Floor", "category": "standing", "capacity": 50}],
        }
    )
    assert hall.section_specs() == [
        SectionSpec("Box", [RowSpec("K", [SeatSpec("1", "box", x=2.0)])])
    ]
    assert hall.grid_spec() == GridSpec(
        rows=2, seats_per_row=3, section="Stalls", category="standard",
        row_categories={"A": "premium"},
    )  # fmt: skip
    assert hall.area_specs() == [AreaSpec("Floor", "standing", 50)]


def test_a_hall_without_a_grid_has_no_grid_spec() -> None:
    hall = HallIn.model_validate({"name": "Main", "ga_areas": []})
    assert (hall.section_specs(), hall.grid_spec(), hall.area_specs()) == ([], None, [])


def test_a_patch_changes_only_what_it_names() -> None:
    patch = ShowPatch.model_validate({"max_per_booking": 4, "prices": {}})
    assert ShowChanges(**patch.model_dump(exclude_unset=True)) == ShowChanges(
        max_per_booking=4, prices={}
    )
