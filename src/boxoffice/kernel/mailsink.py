"""The development mail sink: an SMTP server on loopback (aiosmtpd) that keeps every message
it is given in a Maildir under var/mail, so that `boxoffice up` without BOXOFFICE_SMTP_URL
sends real mail over SMTP that nobody receives but the development inbox (notification's
`/admin/dev-inbox`) shows."""

from __future__ import annotations

import logging
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox

from boxoffice.kernel.lifecycle import free_port

log = logging.getLogger("boxoffice.mailsink")


def sink_dir(var_dir: Path) -> Path:
    """The Maildir (made if missing: its tmp/, new/ and cur/ too)."""
    directory = var_dir / "mail"
    for sub in ("tmp", "new", "cur"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    return directory


class MailSink:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._controller: Controller | None = None

    def start(self) -> str:
        """Serve on a free loopback port (a thread of its own); the URL to send to."""
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd: a line a command
        port = free_port()
        self._controller = Controller(Mailbox(self.directory), hostname="127.0.0.1", port=port)
        self._controller.start()
        log.info("development mail sink on 127.0.0.1:%d, mail kept in %s", port, self.directory)
        return f"smtp://127.0.0.1:{port}"

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
