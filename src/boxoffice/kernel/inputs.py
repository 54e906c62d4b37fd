"""Bounded input types for every route: what PostgreSQL and Python can really store, refused
with a 422 at the edge instead of a 500 (or a half-done write) deep inside a use case."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

# PostgreSQL's bigint; asyncpg refuses anything wider with an OverflowError (a 500).
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]
# A database id (bigserial): positive and a bigint.
Id64 = Annotated[int, Field(ge=1, le=INT64_MAX)]

# Pages of a list. Deeper than a million rows is a query to narrow with filters, not to page.
MAX_OFFSET = 1_000_000
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET, description="Items to skip.")]
Limit = Annotated[int, Field(ge=1, le=200, description="Items per page, at most 200.")]
LongLimit = Annotated[int, Field(ge=1, le=500, description="Items per page, at most 500.")]

# Instants a show, a sales window or a filter may name. Python's datetime stops at year 9999
# and an offset can push a valid local time past it in UTC (9999-12-31T23:59:59-14:00), where
# the conversion overflows; the services also add durations to these instants. A few centuries
# either side of today is every date a booking system needs, with room for that arithmetic.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def _in_range(value: datetime) -> datetime:
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        raise ValueError("This instant is not representable in UTC.") from None
    if not EARLIEST <= utc < LATEST:
        raise ValueError(
            f"An instant must lie between {EARLIEST.isoformat()} and {LATEST.isoformat()}."
        )
    return value


Instant = Annotated[
    AwareDatetime,
    AfterValidator(_in_range),
    Field(
        description="An RFC 3339 date-time with its UTC offset, from 1900-01-01 to "
        "9000-01-01 (UTC)."
    ),
]


class Patch(BaseModel):
    """A partial update: a field left out keeps its value. `null` is no value to store (it
    would break every reader of the field later), so an explicit null is refused (422) with
    the field's name; declare fields as `X | SkipJsonSchema[None] = None` so that the OpenAPI
    document offers no null either."""

    model_config = ConfigDict(json_schema_extra=lambda schema: _no_null_defaults(schema))

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Runs only on values the client sent: defaults are not validated.
        if value is None:
            raise ValueError("null is not a value here: leave the field out to keep it.")
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> Patch:
        if not self.model_fields_set:
            raise ValueError("Nothing to change.")
        return self


def _no_null_defaults(schema: dict[str, Any]) -> None:
    # `default: null` would document null as a value again; a left-out field has no default.
    for prop in schema.get("properties", {}).values():
        if isinstance(prop, dict) and "default" in prop and prop["default"] is None:
            del prop["default"]
