"""What a confirmation mail carries besides its text: the tickets as one PDF (a page per
ticket, its QR code, seat, show, venue and time) and the show as an iCalendar event."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import segno
from fpdf import FPDF

# The PDF core font (Helvetica) has Latin-1 only and costs nothing; a text with other
# characters takes a Unicode font where the machine has one (Debian's fonts-dejavu-core),
# which costs ~40 ms a document to load and subset, else its other characters print as "?".
_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),
)


@dataclass(frozen=True)
class TicketPage:
    label: str  # the seat, or the standing area and number
    code: str  # what the QR code carries (the ticket's signed code)


@dataclass(frozen=True)
class ShowFacts:
    title: str
    starts_local: str  # the start in the venue's time zone, as a customer reads it
    venue: str
    booking_ref: str
    holder: str


def tickets_pdf(show: ShowFacts, tickets: Sequence[TicketPage]) -> bytes:
    pdf = FPDF(format=(148, 210))  # A5, in mm
    pdf.set_auto_page_break(False)
    words = [show.title, show.starts_local, show.venue, show.holder, *(t.label for t in tickets)]
    font = None
    if not all(_latin1(w) for w in words):
        font = next((f for f in _FONTS if f.exists()), None)
    family = "helvetica"
    if font is not None:
        pdf.add_font("body", fname=str(font))
        family = "body"

    def text(value: str) -> str:
        return value if font is not None else value.encode("latin-1", "replace").decode("latin-1")

    for n, ticket in enumerate(tickets, 1):
        pdf.add_page()
        pdf.set_font(family, size=18)
        pdf.multi_cell(0, 9, new_x="LMARGIN", new_y="NEXT", text=text(show.title))
        pdf.set_font(family, size=11)
        pdf.multi_cell(
            0, 6, new_x="LMARGIN", new_y="NEXT", text=text(f"{show.starts_local}\n{show.venue}")
        )
        pdf.ln(3)
        pdf.set_font(family, size=16)
        pdf.multi_cell(0, 8, new_x="LMARGIN", new_y="NEXT", text=text(ticket.label))
        qr = io.BytesIO()
        # A fixed mask: choosing the best of eight costs 5 ms a code, and any mask scans.
        segno.make(ticket.code, error="m", micro=False, mask=0).save(
            qr, kind="png", scale=4, border=2
        )
        qr.seek(0)
        pdf.image(qr, x=(pdf.w - 80) / 2, y=pdf.get_y() + 4, w=80, h=80)
        pdf.set_y(pdf.h - 30)
        pdf.set_font(family, size=9)
        pdf.multi_cell(
            0,
            5,
            new_x="LMARGIN",
            new_y="NEXT",
            text=text(
                f"Ticket {n} of {len(tickets)} · booking {show.booking_ref} · {show.holder}\n"
                "Show this code at the door (on paper or on your phone). Each code gets one "
                "person in once."
            ),
        )
    return bytes(pdf.output())


def _latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def _ics_text(value: str) -> str:
    """RFC 5545 TEXT: backslash, semicolon, comma and newline escaped."""
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 3.1)."""
    out: list[str] = []
    chunk = b""
    for ch in line:
        b = ch.encode()
        if len(chunk) + len(b) > (75 if not out else 74):
            out.append(chunk.decode())
            chunk = b""
        chunk += b
    out.append(chunk.decode())
    return "\r\n ".join(out)


def show_ics(
    uid: str,
    title: str,
    starts_at: datetime,
    minutes: int,
    location: str,
    description: str,
    now: datetime,
) -> bytes:
    """One VEVENT, its times in UTC, for the customer's calendar."""
    stamp = "%Y%m%dT%H%M%SZ"
    start = starts_at.astimezone(UTC)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//boxoffice//tickets//EN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{now.astimezone(UTC).strftime(stamp)}",
        f"DTSTART:{start.strftime(stamp)}",
        f"DTEND:{(start + timedelta(minutes=minutes)).strftime(stamp)}",
        f"SUMMARY:{_ics_text(title)}",
        f"LOCATION:{_ics_text(location)}",
        f"DESCRIPTION:{_ics_text(description)}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode()
