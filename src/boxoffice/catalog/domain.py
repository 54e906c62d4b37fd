"""Catalog rules: seat layouts, shows, prices and sales windows."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from boxoffice.kernel.errors import Conflict, Forbidden, InvalidRequest, NotFound

SHOW_STATUSES = ("draft", "published", "cancelled")


class UnknownVenue(NotFound):
    title = "Unknown venue"


class UnknownHall(NotFound):
    title = "Unknown hall"


class UnknownEvent(NotFound):
    title = "Unknown event"


class UnknownShow(NotFound):
    title = "Unknown show"


class NotYours(Forbidden):
    title = "Not yours"


class InvalidLayout(InvalidRequest):
    title = "Invalid seat layout"


class InvalidVenue(InvalidRequest):
    title = "Invalid venue"


class InvalidShow(InvalidRequest):
    title = "Invalid show"


class ShowStateConflict(Conflict):
    title = "Show state conflict"


def check_show_times(starts_at: datetime, sales_start: datetime, sales_end: datetime) -> None:
    if sales_end <= sales_start:
        raise InvalidShow("The sales window must end after it starts.")
    if sales_end > starts_at:
        raise InvalidShow("Sales must end before the show starts.")


def check_time_zone(name: str) -> str:
    """An IANA time zone name (Europe/Berlin), as venues give their show times."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidVenue(f"{name!r} is not a time zone name such as Europe/Berlin.") from exc
    return name


def check_prices(categories: set[str], prices: dict[str, int]) -> None:
    missing = sorted(categories - set(prices))
    if missing:
        raise InvalidShow(f"No price for seat categories: {', '.join(missing)}.")
    if any(p < 0 for p in prices.values()):
        raise InvalidShow("Prices cannot be negative.")


def next_status(current: str, action: str) -> str:
    """publish: draft → published; cancel: draft|published → cancelled."""
    if action == "publish" and current == "draft":
        return "published"
    if action == "cancel" and current in ("draft", "published"):
        return "cancelled"
    verb = "published" if action == "publish" else "cancelled"
    raise ShowStateConflict(f"A {current} show cannot be {verb}.")


def row_label(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: row names as venues print them."""
    label = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        label = chr(65 + rem) + label
    return label
