"""Sending SMS: the provider port, its Twilio adapter (the Programmable Messaging REST API:
`POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, form-encoded To, From, Body and
StatusCallback, HTTP Basic auth with the account SID and auth token; the delivery reports it
posts back signed with X-Twilio-Signature) and the development sink, which keeps each text in
the development inbox next to the mail."""

from __future__ import annotations

import base64
import hashlib
import hmac
import mailbox
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import httpx

from boxoffice.notification.mail import MailDeferred, MailRefused


@dataclass(frozen=True)
class Sms:
    to: str  # E.164
    body: str
    kind: str
    reference: str  # the delivery's id: the status callback names it


class SmsProvider(Protocol):
    async def send(self, texts: Sequence[Sms]) -> list[Exception | str | None]:
        """Per text: the provider's id for it (or None) once it took it, else why not
        (MailDeferred: try again later; MailRefused: never)."""
        ...


@dataclass(frozen=True)
class TwilioTarget:
    base_url: str
    account_sid: str
    auth_token: str
    sender: str  # From: a number or a messaging service's sender


def parse_sms_url(url: str) -> TwilioTarget:
    """twilio://ACCOUNT_SID:AUTH_TOKEN@api.twilio.com?from=%2B15005550006 (HTTPS), or
    twilio+http://… for a local test double."""
    parts = urlsplit(url)
    schemes = {"twilio": "https", "twilio+http": "http"}
    query = parse_qs(parts.query)
    if parts.scheme not in schemes or not parts.hostname or not parts.username:
        raise ValueError("not an SMS URL (twilio://SID:TOKEN@host?from=+1…)")
    if not parts.password or not query.get("from"):
        raise ValueError("the SMS URL needs the auth token and ?from=")
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    return TwilioTarget(
        base_url=f"{schemes[parts.scheme]}://{host}",
        account_sid=unquote(parts.username),
        auth_token=unquote(parts.password),
        sender=query["from"][0],
    )


def twilio_signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """What Twilio puts in X-Twilio-Signature: base64 of HMAC-SHA1 (keyed with the auth
    token) over the full URL followed by each POST parameter's name and value, sorted by
    name."""
    data = url + "".join(f"{k}{params[k]}" for k in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class TwilioSms:
    def __init__(self, url: str, status_callback: str, timeout: float = 10.0) -> None:
        self.target = parse_sms_url(url)
        self.status_callback = status_callback
        self.timeout = timeout

    async def send(self, texts: Sequence[Sms]) -> list[Exception | str | None]:
        t = self.target
        endpoint = f"{t.base_url}/2010-04-01/Accounts/{t.account_sid}/Messages.json"
        outcomes: list[Exception | str | None] = []
        async with httpx.AsyncClient(
            auth=(t.account_sid, t.auth_token), timeout=self.timeout
        ) as client:
            for text in texts:
                form = {"To": text.to, "From": t.sender, "Body": text.body}
                if self.status_callback:
                    form["StatusCallback"] = f"{self.status_callback}?ref={text.reference}"
                try:
                    answer = await client.post(endpoint, data=form)
                except httpx.HTTPError as err:
                    outcomes.append(MailDeferred(f"cannot reach the SMS provider: {err!r}"))
                    continue
                outcomes.append(_outcome(answer))
        return outcomes


def _outcome(answer: httpx.Response) -> Exception | str | None:
    if answer.status_code in (200, 201):
        try:
            return str(answer.json().get("sid") or "") or None
        except ValueError:
            return None
    try:
        problem = answer.json()
        text = f"{answer.status_code} {problem.get('code', '')} {problem.get('message', '')}"
    except ValueError:
        text = f"{answer.status_code} {answer.text[:200]}"
    if answer.status_code == 429 or answer.status_code >= 500:
        return MailDeferred(text.strip())
    return MailRefused(text.strip())  # 400: a number that is not one, 401/403: our account


class SinkSms:
    """Development: each text lands in the development inbox (var/mail) as a message of kind
    `sms`, to the number."""

    def __init__(self, directory: Path) -> None:
        self.box = mailbox.Maildir(directory, create=True)

    async def send(self, texts: Sequence[Sms]) -> list[Exception | str | None]:
        for text in texts:
            message = EmailMessage()
            message["From"] = "boxoffice SMS"
            message["To"] = text.to
            message["Subject"] = f"SMS to {text.to}"
            message["Date"] = format_datetime(datetime.now(UTC))
            message["X-Boxoffice-Kind"] = "sms"
            message["X-Boxoffice-Sms-Of"] = text.kind
            message.set_content(text.body)
            self.box.add(message)
        return [None] * len(texts)
