"""Notification rules: what a customer is told when their booking moves."""

from __future__ import annotations

from typing import Any


def message_for(event_type: str, payload: dict[str, Any]) -> tuple[str, str, str] | None:
    """(kind, title, body) of the in-app notification for a booking event, or None."""
    amount = payload.get("amount")
    price = f"{amount / 100:.2f} {payload.get('currency', '')}" if amount is not None else ""
    match event_type:
        case "booking.booking.confirmed":
            return (
                "booking_confirmed",
                f"Booked: {payload['show_title']}",
                f"{payload['tickets']} ticket(s) for {price}. Your tickets are ready.",
            )
        case "booking.booking.failed":
            return ("booking_failed", "Booking not completed", payload["reason"])
        case "booking.booking.cancelled":
            return ("booking_cancelled", "Booking cancelled", payload["reason"])
        case "payment.payment.refunded":
            return (
                "payment_refunded",
                "Refund issued",
                f"{price} is on its way back to your card. {payload['reason']}",
            )
    return None
