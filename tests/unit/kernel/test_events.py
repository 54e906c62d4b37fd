"""The event envelope: what goes on the bus comes back unchanged."""

from __future__ import annotations

import dataclasses
import importlib
import typing
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pytest

from boxoffice.booking.contract import BookingCreated
from boxoffice.kernel.events import Envelope, Event, InconsistentEvent
from boxoffice.services import NAMES


@dataclass(frozen=True)
class SeatsCounted(Event):
    type = "test.seats.counted"
    version = 3
    show_id: uuid.UUID
    seats: tuple[int, ...]
    at: datetime


def test_an_envelope_survives_json() -> None:
    envelope = Envelope(
        type="booking.booking.created",
        payload={"booking_id": "b1", "amount": 1200, "nested": {"seats": [1, 2]}, "none": None},
        producer="booking",
        correlation_id="corr-1",
        version=2,
    )
    back = Envelope.from_json(envelope.to_json())
    assert back == envelope
    assert back.occurred_at.tzinfo is not None


def test_an_envelope_survives_a_dict_round_trip_with_another_timezone() -> None:
    at = datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    envelope = Envelope(type="x.y.z", payload={}, producer="p", occurred_at=at)
    back = Envelope.from_dict(envelope.to_dict())
    assert back == envelope
    assert back.occurred_at == at


def test_envelope_ids_are_unique() -> None:
    assert len({Envelope(type="t", payload={}, producer="p").id for _ in range(100)}) == 100


def test_an_event_travels_with_its_type_version_and_json_payload() -> None:
    show = uuid.uuid4()
    at = datetime(2030, 1, 1, tzinfo=UTC)
    envelope = Envelope.of(
        SeatsCounted(show_id=show, seats=(1, 2), at=at), producer="inventory", correlation_id="c"
    )
    assert envelope.type == "test.seats.counted"
    assert envelope.version == 3
    assert envelope.producer == "inventory"
    assert envelope.correlation_id == "c"
    assert envelope.payload == {"show_id": str(show), "seats": [1, 2], "at": at.isoformat()}
    assert Envelope.from_json(envelope.to_json()) == envelope


def test_a_contract_event_keeps_every_field() -> None:
    event = BookingCreated(
        booking_id="b",
        user_id="u",
        show_id="s",
        hold_id="h",
        amount=4500,
        currency="EUR",
        payment_method="card",
        payment_token="tok_success",
    )
    envelope = Envelope.from_json(Envelope.of(event, producer="booking").to_json())
    assert envelope.type == "booking.booking.created"
    assert BookingCreated(**envelope.payload) == event


def test_a_minimal_dict_gets_defaults() -> None:
    event_id = uuid.uuid4()
    envelope = Envelope.from_dict(
        {
            "id": str(event_id),
            "type": "t",
            "occurred_at": "2030-01-01T00:00:00+00:00",
            "payload": {},
        }
    )
    assert envelope.id == event_id
    assert envelope.version == 1
    assert envelope.producer == ""
    assert envelope.correlation_id == ""


def _envelope(event_type: str, payload: dict[str, object], version: int = 3) -> Envelope:
    return Envelope(type=event_type, payload=payload, producer="test", version=version)


GOOD = {"show_id": str(uuid.UUID(int=7)), "seats": [1, 2], "at": "2026-12-02T10:00:00+00:00"}


def test_an_event_decodes_into_its_contract_class() -> None:
    event = SeatsCounted.decode(_envelope("test.seats.counted", {**GOOD, "newer_field": 1}))
    assert event == SeatsCounted(
        show_id=uuid.UUID(int=7), seats=(1, 2), at=datetime(2026, 12, 2, 10, tzinfo=UTC)
    )


@pytest.mark.parametrize(
    ("event_type", "payload", "version", "says"),
    [
        ("test.seats.other", GOOD, 3, "is not a test.seats.counted"),
        ("test.seats.counted", GOOD, 2, "version 2"),
        ("test.seats.counted", {k: v for k, v in GOOD.items() if k != "at"}, 3, "without at"),
        ("test.seats.counted", {**GOOD, "show_id": "not-a-uuid"}, 3, "show_id"),
        ("test.seats.counted", {**GOOD, "seats": "1,2"}, 3, "seats"),
        ("test.seats.counted", {**GOOD, "at": 17}, 3, "at"),
    ],
)
def test_an_envelope_that_is_not_the_contract_is_inconsistent(
    event_type: str, payload: dict[str, object], version: int, says: str
) -> None:
    with pytest.raises(InconsistentEvent, match=says):
        SeatsCounted.decode(_envelope(event_type, payload, version))


@dataclass(frozen=True)
class Paid(Event):
    type = "test.thing.paid"
    amount: int
    note: str | None = None


@pytest.mark.parametrize("amount", [True, "12", 1.5, None])
def test_an_amount_must_be_an_integer_and_not_a_boolean(amount: object) -> None:
    with pytest.raises(InconsistentEvent, match="amount"):
        Paid.decode(_envelope("test.thing.paid", {"amount": amount}, version=1))


def test_optional_fields_take_null_or_their_default() -> None:
    assert Paid.decode(_envelope("test.thing.paid", {"amount": 5}, 1)) == Paid(5)
    assert Paid.decode(_envelope("test.thing.paid", {"amount": 5, "note": None}, 1)) == Paid(5)
    with pytest.raises(InconsistentEvent, match="note"):
        Paid.decode(_envelope("test.thing.paid", {"amount": 5, "note": 3}, 1))


EXAMPLES: dict[object, object] = {str: "x", int: 7, float: 1.5, bool: True, list: [], dict: {}}


def _example(hint: object) -> object:
    args = typing.get_args(hint)
    if args and type(None) in args:  # an optional field: its other type
        return _example(next(a for a in args if a is not type(None)))
    return EXAMPLES[typing.get_origin(hint) or hint]


def _contract_events() -> list[type[Event]]:
    for name in NAMES:
        importlib.import_module(f"boxoffice.{name}.contract")
    found: list[type[Event]] = []
    todo = list(Event.__subclasses__())
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if cls.__module__.startswith("boxoffice."):
            found.append(cls)
    return found


def test_the_services_have_contract_events() -> None:
    assert len(_contract_events()) >= 10


@pytest.mark.parametrize("cls", _contract_events(), ids=lambda c: c.type)
def test_every_contract_event_decodes_what_it_encodes(cls: type[Event]) -> None:
    hints = typing.get_type_hints(cls)
    event = cls(**{f.name: _example(hints[f.name]) for f in dataclasses.fields(cls)})
    assert cls.decode(Envelope.from_json(Envelope.of(event, producer="test").to_json())) == event
