"""The event envelope every integration event travels in, and the base for event payloads."""

from __future__ import annotations

import dataclasses
import types
import typing
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Self

import orjson

from boxoffice.kernel.telemetry import inject_trace


class InconsistentEvent(Exception):
    """An event contradicts what the consumer knows (an amount that is not the booking's, a
    booking that does not exist, a payload that is not the event's contract): it is parked as a
    dead letter at once, never retried, and changes nothing. Events are checked, not trusted."""


# What a payload field may hold, by the type its contract declares (JSON has no other types).
_JSON_TYPES: dict[object, tuple[type, ...]] = {
    str: (str,),
    int: (int,),
    float: (int, float),
    bool: (bool,),
    list: (list,),
    dict: (dict,),
}


def _field(hint: object, value: object) -> object:
    """A payload value as the contract's type, or ValueError when JSON cannot have meant it."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        for option in typing.get_args(hint):
            try:
                return _field(option, value)
            except ValueError:
                continue
        raise ValueError(hint)
    if hint is type(None):
        if value is None:
            return None
        raise ValueError(hint)
    if hint is uuid.UUID and isinstance(value, str):
        return uuid.UUID(value)
    if hint is datetime and isinstance(value, str):
        return datetime.fromisoformat(value)
    origin = typing.get_origin(hint) or hint
    if origin is tuple and isinstance(value, list):
        return tuple(value)
    kinds = _JSON_TYPES.get(origin)
    # True is an int to Python, not to a contract
    if kinds is None or (isinstance(value, bool) and bool not in kinds):
        raise ValueError(hint)
    if not isinstance(value, kinds):
        raise ValueError(hint)
    return value


@dataclass(frozen=True)
class Event:
    """An integration event; subclasses are frozen dataclasses named in the past tense.

    A contract evolves additively: a new field gets a default, so that a consumer decodes events
    of older producers; a change that old consumers cannot read is a new `version`."""

    type: ClassVar[str]
    version: ClassVar[int] = 1

    def payload(self) -> dict[str, Any]:
        return orjson.loads(orjson.dumps(dataclasses.asdict(self)))  # type: ignore[no-any-return]

    @classmethod
    def decode(cls, envelope: Envelope) -> Self:
        """The event an envelope carries, checked against this contract: its type and version,
        every field without a default present, every field of its declared type (ids,
        instants and tuples from their JSON forms). Fields
        the contract does not know (a newer producer's) are ignored."""
        if envelope.type != cls.type:
            raise InconsistentEvent(f"{envelope.type} is not a {cls.type}")
        if envelope.version != cls.version:
            raise InconsistentEvent(
                f"{cls.type} version {envelope.version}; this consumer reads version {cls.version}"
            )
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name not in envelope.payload:
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                    raise InconsistentEvent(f"{cls.type} without {f.name}")
                continue
            value = envelope.payload[f.name]
            try:
                values[f.name] = _field(hints[f.name], value)
            except ValueError:
                raise InconsistentEvent(
                    f"{cls.type}.{f.name} is not a {hints[f.name]}: {value!r:.80}"
                ) from None
        return cls(**values)


@dataclass(frozen=True)
class Envelope:
    type: str
    payload: dict[str, Any]
    producer: str
    correlation_id: str = ""
    version: int = 1
    trace: dict[str, str] = field(default_factory=dict)  # W3C trace context (traceparent)
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @classmethod
    def of(cls, event: Event, *, producer: str, correlation_id: str = "") -> Envelope:
        return cls(
            type=event.type,
            version=event.version,
            payload=event.payload(),
            producer=producer,
            correlation_id=correlation_id,
            trace=inject_trace(),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "type": self.type,
            "version": self.version,
            "occurred_at": self.occurred_at.isoformat(),
            "producer": self.producer,
            "correlation_id": self.correlation_id,
            "payload": self.payload,
            "trace": self.trace,
        }

    def to_json(self) -> bytes:
        return orjson.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Envelope:
        return cls(
            id=uuid.UUID(str(data["id"])),
            type=str(data["type"]),
            version=int(data.get("version", 1)),
            occurred_at=datetime.fromisoformat(str(data["occurred_at"])),
            producer=str(data.get("producer", "")),
            correlation_id=str(data.get("correlation_id", "")),
            payload=dict(data["payload"]),
            trace=dict(data.get("trace") or {}),
        )

    @classmethod
    def from_json(cls, raw: bytes) -> Envelope:
        return cls.from_dict(orjson.loads(raw))
