"""A delivery as the mail it sends: the recipient, the text and HTML parts from the kind's
templates (Jinja2, HTML autoescaped), the show's details from the catalog (times in the
venue's time zone), and for a confirmed booking the tickets' PDF and the show's calendar
file."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from boxoffice.catalog.contract import CatalogClient, ShowDetails
from boxoffice.kernel.errors import NotFound
from boxoffice.kernel.messaging import ServiceStore
from boxoffice.notification import store
from boxoffice.notification.documents import ShowFacts, TicketPage, show_ics, tickets_pdf
from boxoffice.notification.domain import price
from boxoffice.notification.mail import MailDeferred, MailRefused
from boxoffice.notification.sms import Sms
from boxoffice.notification.store import Delivery

DETAILS_SECONDS = 60.0  # how long a show's details are reused (a sell-out mails thousands)

SUBJECTS = {
    "welcome": "Welcome to boxoffice",
    "password_reset": "Reset your boxoffice password",
    "email_change": "Confirm your new address for boxoffice",
    "booking_confirmed": "Your tickets: {title}",
    "booking_failed": "Booking not completed: {title}",
    "booking_cancelled": "Booking cancelled: {title}",
    "payment_refunded": "Refund issued: {title}",
    "waitlist_offer": "Places held for you: {title}",
    "show_changed": "New time: {title}",
}

_HEADLINES = {
    "booking_failed": "Your booking could not be completed.",
    "booking_cancelled": "Your booking was cancelled.",
}


def local_time(at: datetime, zone: str) -> str:
    """A time as the venue's clock shows it, with the zone named:
    Sat 5 Dec 2026, 19:30 (Europe/Berlin)."""
    local = at.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} ({zone})"


class Composer:
    def __init__(
        self, store: ServiceStore, catalog: CatalogClient, mail_from: str, public_url: str
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.mail_from = mail_from
        self.public_url = public_url.rstrip("/")
        self.env = Environment(
            loader=PackageLoader("boxoffice.notification", "templates"),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._details: dict[uuid.UUID, tuple[float, ShowDetails]] = {}

    async def show(self, show_id: uuid.UUID) -> ShowDetails | None:
        """The show's details (cached a minute); None if the catalog has no such show."""
        cached = self._details.get(show_id)
        if cached is not None and time.monotonic() - cached[0] < DETAILS_SECONDS:
            return cached[1]
        try:
            details = await self.catalog.show_details(show_id)
        except NotFound:
            return None
        except Exception as err:  # the catalog is down or slow: the mail waits
            raise MailDeferred(f"the show's details are not available: {err}") from err
        if len(self._details) > 1000:
            self._details.clear()
        self._details[show_id] = (time.monotonic(), details)
        return details

    async def build(self, d: Delivery) -> EmailMessage:
        address, name = d.address, str(d.payload.get("name") or "")
        if address is None:
            async with self.store.engine.connect() as conn:
                known = await store.recipient(conn, d.user_id)
            if known is None:
                raise MailDeferred("no address known for this user yet")
            address, name = known.email, name or known.name
        context, attachments = await self._context(d, name)
        context["name"] = name or "there"
        subject = SUBJECTS[d.kind].format(title=context.get("title", ""))
        context["subject"] = subject
        template = "booking_ended" if d.kind in _HEADLINES else d.kind
        message = EmailMessage()
        message["From"] = self.mail_from
        message["To"] = formataddr((name, address)) if name else address
        message["Subject"] = subject
        message["Date"] = format_datetime(datetime.now(UTC))
        # The same for every attempt of this delivery: a receiver can tell a resend.
        domain = parseaddr(self.mail_from)[1].partition("@")[2] or "boxoffice.localhost"
        message["Message-ID"] = f"<{d.id}@{domain}>"
        message["X-Boxoffice-Kind"] = d.kind
        message.set_content(self.env.get_template(f"{template}.txt").render(context))
        message.add_alternative(
            self.env.get_template(f"{template}.html").render(context), subtype="html"
        )
        for filename, maintype, subtype, data in attachments:
            message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
        return message

    async def _context(
        self, d: Delivery, name: str
    ) -> tuple[dict[str, Any], list[tuple[str, str, str, bytes]]]:
        p, url = d.payload, self.public_url
        if d.kind == "welcome":
            token = p.get("verify_token") or ""
            return {"verify_url": f"{url}/#/verify-email?token={token}" if token else ""}, []
        if d.kind == "email_change":
            link = f"{url}/#/confirm-email?token={p['token']}"
            return {"confirm_url": link, "old": p["email"], "new": p["new_email"]}, []
        if d.kind == "password_reset":
            return {"reset_url": f"{url}/#/reset-password?token={p['token']}", "minutes": 30}, []
        if d.kind == "show_changed":  # the show moved: what was kept of it is old
            self._details.pop(uuid.UUID(p["show_id"]), None)
        # a refund's event names the booking only
        show = await self.show(uuid.UUID(p["show_id"])) if p.get("show_id") else None
        title = show.title if show is not None else str(p.get("show_title") or "your booking")
        when = local_time(show.starts_at, show.time_zone) if show is not None else ""
        context: dict[str, Any] = {"title": title, "show": show, "when": when}
        booking = p.get("booking_id")
        if booking:
            context["booking_url"] = f"{url}/#/bookings/{booking}"
            context["booking_ref"] = str(booking)[:8]
        if d.kind == "booking_confirmed":
            return self._confirmed(p, show, context, name)
        if show is None and d.kind != "payment_refunded":
            raise MailDeferred("the show of this mail is not in the catalog")
        if d.kind in _HEADLINES:
            context.update(headline=_HEADLINES[d.kind], reason=p.get("reason") or "")
            return context, []
        if d.kind == "payment_refunded":
            context.update(amount=price(p["amount"], p["currency"]), reason=p.get("reason") or "")
            return context, []
        if d.kind == "show_changed":
            zone = show.time_zone if show is not None else "UTC"
            context["when"] = local_time(datetime.fromisoformat(p["starts_at"]), zone)
            context["before"] = local_time(datetime.fromisoformat(p["previous_starts_at"]), zone)
            return context, []
        if d.kind == "waitlist_offer":
            zone = show.time_zone if show is not None else "UTC"
            context.update(
                places=list(p["places"]),
                until=local_time(datetime.fromisoformat(p["expires_at"]), zone),
                checkout_url=f"{url}/#/checkout/{p['hold_id']}",
            )
            return context, []
        raise ValueError(f"no mail for the kind {d.kind!r}")

    def _confirmed(
        self,
        p: dict[str, Any],
        show: ShowDetails | None,
        context: dict[str, Any],
        holder: str,
    ) -> tuple[dict[str, Any], list[tuple[str, str, str, bytes]]]:
        labels = list(p.get("ticket_labels") or [])
        codes = list(p.get("ticket_codes") or [])
        if show is None:
            raise MailDeferred("the show of this booking is not in the catalog")
        context.update(
            places=labels or [f"{p['tickets']} ticket(s)"],
            amount=price(p["amount"], p["currency"]),
        )
        venue = ", ".join(x for x in (show.venue_name, show.city) if x)
        attachments = [
            (
                "show.ics",
                "text",
                "calendar",
                show_ics(
                    uid=f"{p['booking_id']}@boxoffice",
                    title=show.title,
                    starts_at=show.starts_at,
                    minutes=show.duration_minutes,
                    location=venue,
                    description=f"{len(labels)} ticket(s): {', '.join(labels)}. "
                    f"{context['booking_url']}",
                    now=datetime.now(UTC),
                ),
            )
        ]
        if codes:
            facts = ShowFacts(
                title=show.title,
                starts_local=context["when"],
                venue=venue,
                booking_ref=context["booking_ref"],
                holder=holder,
            )
            pages = [TicketPage(label, code) for label, code in zip(labels, codes, strict=True)]
            attachments.append(("tickets.pdf", "application", "pdf", tickets_pdf(facts, pages)))
        return context, attachments


class SmsComposer:
    """A delivery as a text: short, with a link; to the customer's number if they still want
    texts (a number removed or texts turned off since: refused, not sent)."""

    def __init__(self, store: ServiceStore, composer: Composer) -> None:
        self.store = store
        self.composer = composer  # for the show's details and the links

    async def build(self, d: Delivery) -> Sms:
        async with self.store.engine.connect() as conn:
            who = await store.recipient(conn, d.user_id)
        if who is None or not who.phone or not who.sms_opt_in:
            raise MailRefused("no phone number, or texts turned off, for this customer")
        p, url = d.payload, self.composer.public_url
        show = await self.composer.show(uuid.UUID(p["show_id"]))
        title = show.title if show is not None else str(p.get("show_title") or "your show")
        zone = show.time_zone if show is not None else "UTC"
        if d.kind == "booking_confirmed":
            when = local_time(show.starts_at, zone) if show is not None else ""
            body = (
                f"boxoffice: booked! {p['tickets']} ticket(s) for {title}, {when}. "
                f"Tickets: {url}/#/bookings/{p['booking_id']}"
            )
        elif d.kind == "show_changed":
            when = local_time(datetime.fromisoformat(p["starts_at"]), zone)
            body = f"boxoffice: {title} moves to {when}. {url}/#/bookings/{p['booking_id']}"
        elif d.kind == "waitlist_offer":
            until = local_time(datetime.fromisoformat(p["expires_at"]), zone)
            body = (
                f"boxoffice: places for {title} are held for you until {until}. "
                f"Book: {url}/#/checkout/{p['hold_id']}"
            )
        else:
            raise ValueError(f"no SMS for the kind {d.kind!r}")
        return Sms(to=who.phone, body=body, kind=d.kind, reference=str(d.id))
