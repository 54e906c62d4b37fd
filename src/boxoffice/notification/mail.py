"""Sending mail: the port the notification service sends through, and its SMTP adapter
(aiosmtplib), configured by one URL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib


class MailDeferred(Exception):
    """Not sent this time (server down or slow, a 4xx answer): try again later."""


class MailRefused(Exception):
    """The server refused the message for good (a 5xx answer: a bad address, a bounce)."""


class Mailer(Protocol):
    async def send(self, messages: Sequence[EmailMessage]) -> list[Exception | None]:
        """Send each message; per message None when the server took it, else why not
        (MailDeferred or MailRefused)."""
        ...


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool  # smtps://: TLS from the first byte
    start_tls: bool | None  # True: STARTTLS required; None: when the server offers it


def parse_smtp_url(url: str) -> SmtpTarget:
    """smtp://[user:pass@]host[:port] (25; STARTTLS when offered), smtp+starttls:// (587,
    STARTTLS required) or smtps:// (465, TLS)."""
    parts = urlsplit(url)
    defaults = {
        "smtp": (25, False, None),
        "smtp+starttls": (587, False, True),
        "smtps": (465, True, False),
    }
    if parts.scheme not in defaults or not parts.hostname:
        raise ValueError(f"not an SMTP URL (smtp://, smtp+starttls://, smtps://): {url!r}")
    port, use_tls, start_tls = defaults[parts.scheme]
    return SmtpTarget(
        host=parts.hostname,
        port=parts.port or port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        use_tls=use_tls,
        start_tls=start_tls,
    )


class SmtpMailer:
    """One connection per batch of messages; each message's outcome on its own."""

    def __init__(self, url: str, timeout: float = 20.0) -> None:
        self.target = parse_smtp_url(url)
        self.timeout = timeout

    async def send(self, messages: Sequence[EmailMessage]) -> list[Exception | None]:
        t = self.target
        client = aiosmtplib.SMTP(
            hostname=t.host,
            port=t.port,
            username=t.username,
            password=t.password,
            use_tls=t.use_tls,
            start_tls=t.start_tls,
            timeout=self.timeout,
        )
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError) as err:
            return [MailDeferred(f"cannot reach {t.host}:{t.port}: {err}")] * len(messages)
        outcomes: list[Exception | None] = []
        try:
            for message in messages:
                if not client.is_connected:
                    outcomes.append(MailDeferred("the server closed the connection"))
                    continue
                outcomes.append(await _send_one(client, message))
        finally:
            if client.is_connected:
                try:
                    await client.quit()
                except (aiosmtplib.SMTPException, OSError):
                    client.close()
        return outcomes


async def _send_one(client: aiosmtplib.SMTP, message: EmailMessage) -> Exception | None:
    try:
        await client.send_message(message)
    except aiosmtplib.SMTPRecipientsRefused as err:
        codes = [e.code for e in err.recipients]
        text = "; ".join(f"{e.recipient}: {e.code} {e.message}" for e in err.recipients)
        return MailRefused(text) if all(c >= 500 for c in codes) else MailDeferred(text)
    except aiosmtplib.SMTPResponseException as err:
        text = f"{err.code} {err.message}"
        return MailRefused(text) if err.code >= 500 else MailDeferred(text)
    except (aiosmtplib.SMTPException, OSError) as err:
        return MailDeferred(str(err) or type(err).__name__)
    return None
