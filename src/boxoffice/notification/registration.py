"""The notification service as the registry knows it (boxoffice.services)."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from boxoffice.catalog.contract import CatalogClient
from boxoffice.kernel.mailsink import sink_dir
from boxoffice.kernel.registry import Built, Context, Job, ServiceSpec
from boxoffice.notification import api, handlers, store
from boxoffice.notification.compose import Composer, SmsComposer
from boxoffice.notification.inbox import DevInbox
from boxoffice.notification.mail import SmtpMailer
from boxoffice.notification.sender import Channel, EmailChannel, Sender, SmsChannel
from boxoffice.notification.service import NotificationService, SmsWebhook
from boxoffice.notification.sms import SinkSms, SmsProvider, TwilioSms, parse_sms_url


def build(ctx: Context) -> Built:
    s = ctx.settings
    public = s.public_url or f"http://{s.host}:{s.port}"
    mail_dir = sink_dir(s.var_dir.resolve()) if s.dev_inbox else None
    sms: SmsProvider | None = None
    sms_token = ""
    if s.sms_url:
        sms = TwilioSms(s.sms_url, f"{public}/api/v1/sms/status")
        sms_token = parse_sms_url(s.sms_url).auth_token
    elif mail_dir is not None:
        sms = SinkSms(mail_dir)
    notification = NotificationService(ctx.store, ctx.redis, sms=sms is not None)
    jobs: list[Job] = []
    composer = Composer(ctx.store, cast(CatalogClient, ctx.peer("catalog")), s.mail_from, public)

    def sender(channel: Channel) -> Sender:
        return Sender(
            ctx.store,
            channel,
            retry_seconds=s.mail_retry_seconds,
            max_attempts=s.mail_max_attempts,
        )

    if s.smtp_url:  # `boxoffice up` sets it (its sink) unless one is configured
        mail = sender(EmailChannel(composer, SmtpMailer(s.smtp_url)))
        jobs.append(Job("mail", mail.send_due, every=s.mail_poll_seconds))
    if sms is not None:
        texts = sender(SmsChannel(SmsComposer(ctx.store, composer), sms))
        jobs.append(Job("sms", texts.send_due, every=s.mail_poll_seconds))
    inbox = DevInbox(mail_dir, ctx.secret("inbox-secret", "").encode())
    return Built(
        notification,
        parts=(inbox, SmsWebhook(sms_token, public)),
        handlers=handlers.event_handlers(notification),
        jobs=tuple(jobs),
    )


SPEC = ServiceSpec(
    name="notification",
    messaging=store.messaging,
    migrations=Path(__file__).resolve().parent / "migrations",
    router=api.router,
    build=build,
)
