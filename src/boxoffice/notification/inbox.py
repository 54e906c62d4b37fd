"""The development inbox: the mail the development sink (kernel/mailsink.py) kept in
var/mail, read back for admins. Only where `boxoffice up` runs that sink (setting
dev_inbox): with a real SMTP server there is nothing here to read."""

from __future__ import annotations

import hashlib
import hmac
import mailbox
import re
import time
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from boxoffice.kernel.errors import NotFound

_KEY = re.compile(r"^[A-Za-z0-9._-]{1,200}$")
_WHEN = re.compile(r"^(\d+)(?:\.M(\d+))?")


class NoDevInbox(NotFound):
    """No development inbox: this installation sends mail to a real SMTP server."""


class UnknownMail(NotFound):
    pass


@dataclass(frozen=True)
class Attachment:
    index: int
    filename: str
    content_type: str
    size: int


# How long the link to a mail's HTML works (the admin's browser frames it at once).
HTML_LINK_SECONDS = 300


class DevInbox:
    def __init__(self, directory: Path | None, secret: bytes) -> None:
        self.directory = directory
        self.secret = secret

    def _signature(self, key: str, expires: int) -> str:
        return hmac.new(self.secret, f"{key}:{expires}".encode(), hashlib.sha256).hexdigest()

    def html_link(self, key: str) -> str:
        """A link to the mail's HTML that works for a few minutes without a token: a frame
        cannot send one, and the HTML needs a document (and a Content-Security-Policy) of
        its own, its inline styles being refused under the web UI's."""
        expires = int(time.time()) + HTML_LINK_SECONDS
        sig = self._signature(key, expires)
        return f"/api/v1/admin/dev-inbox/{key}/html?expires={expires}&signature={sig}"

    def html(self, key: str, expires: int, signature: str) -> str:
        good = hmac.compare_digest(self._signature(key, expires).encode(), signature.encode())
        if not good or expires < time.time():
            raise UnknownMail("No such mail (or the link expired).")
        body = self._message(self._box(), key).get_body(("html",))
        if body is None:
            raise UnknownMail("This mail has no HTML part.")
        return str(body.get_content())

    def _box(self) -> mailbox.Maildir:
        if self.directory is None:
            raise NoDevInbox("There is no development inbox: mail goes to the SMTP server set.")
        return mailbox.Maildir(self.directory, create=False)

    def _message(self, box: mailbox.Maildir, key: str) -> EmailMessage:
        if not _KEY.match(key):
            raise UnknownMail("No such mail.")
        try:
            data = box.get_bytes(key)
        except KeyError:
            raise UnknownMail("No such mail.") from None
        return BytesParser(policy=policy.default).parsebytes(data)

    def recent(self, limit: int, offset: int, to: str | None = None) -> list[dict[str, Any]]:
        """The newest mail first (a Maildir key starts with its delivery time)."""
        box = self._box()
        keys = sorted(box.keys(), key=_delivered, reverse=True)
        out = []
        for key in keys:
            message = self._message(box, key)
            if to is not None and to.lower() not in str(message["To"] or "").lower():
                continue
            out.append(_summary(key, message))
            if len(out) >= offset + limit:
                break
        return out[offset:]

    def read(self, key: str) -> dict[str, Any]:
        message = self._message(self._box(), key)
        text = message.get_body(("plain",))
        html = message.get_body(("html",))
        return {
            **_summary(key, message),
            "text": text.get_content() if text is not None else "",
            "html": html.get_content() if html is not None else None,
            "html_url": self.html_link(key) if html is not None else None,
        }

    def attachment(self, key: str, index: int) -> tuple[str, str, bytes]:
        """An attachment's file name, content type and bytes."""
        parts = list(self._message(self._box(), key).iter_attachments())
        if not 0 <= index < len(parts):
            raise UnknownMail("No such attachment.")
        part = parts[index]
        data = part.get_payload(decode=True)
        assert isinstance(data, bytes)
        return part.get_filename() or f"attachment-{index}", part.get_content_type(), data


def _delivered(key: str) -> tuple[int, int]:
    """When the sink took it: a Maildir key is <seconds>.M<microseconds>P<pid>….<host>."""
    found = _WHEN.match(key)
    return (int(found[1]), int(found[2] or 0)) if found else (0, 0)


def _summary(key: str, message: EmailMessage) -> dict[str, Any]:
    attachments = []
    for n, part in enumerate(message.iter_attachments()):
        data = part.get_payload(decode=True)
        attachments.append(
            Attachment(
                n,
                part.get_filename() or f"attachment-{n}",
                part.get_content_type(),
                len(data) if isinstance(data, bytes) else 0,
            )
        )
    return {
        "id": key,
        "from": str(message["From"] or ""),
        "to": str(message["To"] or message["X-RcptTo"] or ""),
        "subject": str(message["Subject"] or ""),
        "date": str(message["Date"] or ""),
        "kind": str(message["X-Boxoffice-Kind"] or ""),
        "message_id": str(message["Message-ID"] or ""),
        "attachments": attachments,
    }
