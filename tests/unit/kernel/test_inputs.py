"""The bounded input types refuse what PostgreSQL or Python cannot hold, before any use case."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.json_schema import SkipJsonSchema

from boxoffice.kernel.inputs import INT64_MAX, Id64, Instant, Int64, Limit, Offset, Patch


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (Int64, 2**63),
        (Int64, -(2**63) - 1),
        (Int64, "99999999999999999999"),
        (Id64, 0),
        (Id64, 2**63),
        (Offset, -1),
        (Offset, 99999999999999999999),
        (Limit, 0),
        (Limit, 201),
    ],
)
def test_integers_beyond_their_bounds_are_refused(kind: object, value: object) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(kind).validate_python(value)


def test_integers_within_64_bits_are_accepted() -> None:
    assert TypeAdapter(Int64).validate_python(str(INT64_MAX)) == INT64_MAX
    assert TypeAdapter(Id64).validate_python(1) == 1
    assert TypeAdapter(Offset).validate_python("1000000") == 1_000_000


@pytest.mark.parametrize(
    "text",
    [
        "9999-12-31T23:59:59-14:00",  # past year 9999 once in UTC: the conversion overflows
        "0001-01-01T00:00:00+14:00",  # before year 1 in UTC
        "9500-01-01T00:00:00Z",
        "1800-01-01T00:00:00Z",
        "2030-01-01T20:00:00",  # no offset: which instant is it?
    ],
)
def test_instants_not_representable_in_utc_or_out_of_range_are_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(Instant).validate_python(text)


def test_an_instant_keeps_its_offset() -> None:
    value = TypeAdapter(Instant).validate_python("2030-06-01T20:00:00+02:00")
    assert value.astimezone(UTC) == datetime(2030, 6, 1, 18, tzinfo=UTC)


class ShowChange(Patch):
    title: str | SkipJsonSchema[None] = None
    seats: int | SkipJsonSchema[None] = None


def test_a_patch_with_an_explicit_null_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError) as refused:
        ShowChange.model_validate({"title": "New", "seats": None})
    assert [e["loc"] for e in refused.value.errors()] == [("seats",)]


def test_a_patch_keeps_what_it_leaves_out() -> None:
    change = ShowChange.model_validate({"title": "New"})
    assert change.model_dump(exclude_unset=True) == {"title": "New"}


def test_an_empty_patch_is_refused() -> None:
    with pytest.raises(ValidationError):
        ShowChange.model_validate({})


def test_a_patch_schema_offers_no_null() -> None:
    class Holder(BaseModel):
        change: ShowChange

    schema = Holder.model_json_schema()["$defs"]["ShowChange"]
    assert schema["properties"]["seats"] == {"type": "integer", "title": "Seats"}
