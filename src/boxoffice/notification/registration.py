"""The notification service as the registry knows it (boxoffice.services)."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from boxoffice.catalog.contract import CatalogClient
from boxoffice.kernel.mailsink import sink_dir
from boxoffice.kernel.registry import Built, Context, Job, ServiceSpec
from boxoffice.notification import api, handlers, store
from boxoffice.notification.compose import Composer
from boxoffice.notification.inbox import DevInbox
from boxoffice.notification.mail import SmtpMailer
from boxoffice.notification.sender import MailSender
from boxoffice.notification.service import NotificationService


def build(ctx: Context) -> Built:
    s = ctx.settings
    notification = NotificationService(ctx.store, ctx.redis)
    jobs: tuple[Job, ...] = ()
    if s.smtp_url:  # `boxoffice up` sets it (its sink) unless one is configured
        composer = Composer(
            ctx.store,
            cast(CatalogClient, ctx.peer("catalog")),
            s.mail_from,
            s.public_url or f"http://{s.host}:{s.port}",
        )
        sender = MailSender(
            ctx.store,
            SmtpMailer(s.smtp_url),
            composer,
            retry_seconds=s.mail_retry_seconds,
            max_attempts=s.mail_max_attempts,
        )
        jobs = (Job("mail", sender.send_due, every=s.mail_poll_seconds),)
    inbox = DevInbox(
        sink_dir(s.var_dir.resolve()) if s.dev_inbox else None,
        ctx.secret("inbox-secret", "").encode(),
    )
    return Built(
        notification,
        parts=(inbox,),
        handlers=handlers.event_handlers(notification),
        jobs=jobs,
    )


SPEC = ServiceSpec(
    name="notification",
    messaging=store.messaging,
    migrations=Path(__file__).resolve().parent / "migrations",
    router=api.router,
    build=build,
)
