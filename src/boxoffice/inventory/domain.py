"""Inventory rules: seat and hold states, what a hold request may ask for, which shows sell."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from boxoffice.kernel.errors import Conflict, InvalidRequest, NotFound

HOLD_ID = re.compile(r"^([0-9a-f]{32})\.([0-9a-f]{16})$")


PUBLISHED = "published"  # the one show status that sells anything


class SeatState(StrEnum):
    """A seat as the seat map shows it."""

    AVAILABLE = "available"
    HELD = "held"
    SOLD = "sold"
    BLOCKED = "blocked"


class HoldState(StrEnum):
    HELD = "held"
    SOLD = "sold"
    EXPIRED = "expired"  # held, and its time is up (seen before the sweep removed it)


class SaleStatus(StrEnum):
    """A booking's row in inventory.sales: whichever of a sale and a release comes second sees
    the first."""

    SOLD = "sold"
    RELEASED = "released"


def sells(status: str) -> bool:
    """Whether a show of this status takes holds, bookings and sales."""
    return status == PUBLISHED


def hold_state(stored: HoldState, expires_at: datetime, now: datetime) -> HoldState:
    """A hold as its customer sees it: a held hold whose time is up has expired."""
    if stored is HoldState.HELD and expires_at <= now:
        return HoldState.EXPIRED
    return stored


class UnknownShow(NotFound):
    title = "Unknown show"


class UnknownHold(NotFound):
    title = "Unknown hold"


class NotOnSale(Conflict):
    title = "Not on sale"


class SeatsTaken(Conflict):
    title = "Seats taken"


class SoldOut(Conflict):
    title = "Not enough places left"


class HoldInUse(Conflict):
    title = "Hold in use"


class HoldExpired(Conflict):
    title = "Hold expired"


class TooManyHolds(Conflict):
    title = "Too many holds"


class TicketLimitReached(Conflict):
    """The waiting room's limit of tickets per customer (held, pending, bought together)."""

    title = "Ticket limit reached"


class TooManySeats(InvalidRequest):
    title = "Too many seats"


class UnknownSeats(InvalidRequest):
    title = "Unknown seats"


@dataclass(frozen=True)
class HoldRequest:
    seat_ids: tuple[int, ...]
    ga: tuple[tuple[int, int], ...]  # (area_id, quantity)

    @property
    def count(self) -> int:
        return len(self.seat_ids) + sum(q for _, q in self.ga)


def make_hold_request(seat_ids: list[int], ga: list[tuple[int, int]]) -> HoldRequest:
    if len(set(seat_ids)) != len(seat_ids):
        raise InvalidRequest("Each seat may be asked for once.")
    areas: dict[int, int] = {}
    for area, qty in ga:
        areas[area] = areas.get(area, 0) + qty
    request = HoldRequest(tuple(seat_ids), tuple(sorted(areas.items())))
    if request.count == 0:
        raise InvalidRequest("Ask for at least one seat or general-admission place.")
    return request


def new_hold_id(show_id: uuid.UUID) -> str:
    """Hold ids carry their show, so a hold is found in its show's keys with no lookup."""
    return f"{show_id.hex}.{uuid.uuid4().hex[:16]}"


def show_of_hold(hold_id: str) -> uuid.UUID:
    match = HOLD_ID.fullmatch(hold_id)  # fullmatch: '$' alone lets a trailing newline in
    if match is None:
        raise UnknownHold(f"No hold {hold_id}.")
    return uuid.UUID(match.group(1))
