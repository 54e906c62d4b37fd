"""The event envelope every integration event travels in, and the base for event payloads."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

import orjson

from boxoffice.kernel.telemetry import inject_trace


@dataclass(frozen=True)
class Event:
    """An integration event; subclasses are frozen dataclasses named in the past tense."""

    type: ClassVar[str]
    version: ClassVar[int] = 1

    def payload(self) -> dict[str, Any]:
        return orjson.loads(orjson.dumps(dataclasses.asdict(self)))  # type: ignore[no-any-return]


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
