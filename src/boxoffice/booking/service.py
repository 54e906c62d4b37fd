"""The booking service: hold → booking → payment → tickets, or compensation. Its parts are
the commands (commands.py), the saga (saga.py) and the reads (queries.py)."""

from __future__ import annotations

from boxoffice.booking.commands import BookingCommands
from boxoffice.booking.saga import BookingSaga


class BookingService(BookingCommands, BookingSaga):
    pass
