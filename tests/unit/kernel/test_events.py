"""The event envelope: what goes on the bus comes back unchanged."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from boxoffice.booking.contract import BookingCreated
from boxoffice.kernel.events import Envelope, Event


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
