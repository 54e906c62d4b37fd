"""Notification publishes no events yet; other services need nothing from it."""
