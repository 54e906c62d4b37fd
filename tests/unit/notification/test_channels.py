"""The pure parts of the channels: SMTP and SMS URLs, Twilio's request signature (the example
of Twilio's documentation), what a customer hears of by their preferences, the calendar
file's escaping and folding."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from boxoffice.notification.documents import show_ics
from boxoffice.notification.domain import (
    LockedPreference,
    UnknownKind,
    changed_preferences,
    wanted,
)
from boxoffice.notification.mail import parse_smtp_url
from boxoffice.notification.sms import parse_sms_url, twilio_signature


def test_smtp_urls_say_host_port_credentials_and_tls() -> None:
    plain = parse_smtp_url("smtp://mail.example:2525")
    assert (plain.host, plain.port, plain.use_tls, plain.start_tls) == (
        "mail.example",
        2525,
        False,
        None,
    )
    assert plain.username is None
    tls = parse_smtp_url("smtps://u%40x:p%3Aw@mail.example")
    assert (tls.port, tls.use_tls, tls.username, tls.password) == (465, True, "u@x", "p:w")
    assert parse_smtp_url("smtp+starttls://mail.example").start_tls is True
    assert parse_smtp_url("smtp+starttls://mail.example").port == 587
    for bad in ("http://mail.example", "smtp://", "mail.example:25"):
        with pytest.raises(ValueError):
            parse_smtp_url(bad)


def test_sms_urls_name_the_account_token_and_sender() -> None:
    t = parse_sms_url("twilio://AC123:secret@api.twilio.com?from=%2B15005550006")
    assert (t.base_url, t.account_sid, t.auth_token, t.sender) == (
        "https://api.twilio.com",
        "AC123",
        "secret",
        "+15005550006",
    )
    assert (
        parse_sms_url("twilio+http://AC1:t@127.0.0.1:9999?from=x").base_url
        == "http://127.0.0.1:9999"
    )
    for bad in ("twilio://api.twilio.com?from=x", "twilio://AC1:t@host", "sms://AC1:t@h?from=x"):
        with pytest.raises(ValueError):
            parse_sms_url(bad)


def test_the_request_signature_is_twilios() -> None:
    # the worked example of Twilio's "Webhooks security" documentation
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+12349013030",
        "Digits": "1234",
        "From": "+12349013030",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature("12345", url, params) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    assert twilio_signature("12346", url, params) != "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_preferences_keep_transactional_mail_on_and_sms_off_unless_chosen() -> None:
    assert wanted({}, "booking_confirmed", "email") and wanted({}, "show_changed", "in_app")
    assert not wanted({}, "booking_confirmed", "sms")  # texts only when asked for
    assert not wanted({}, "payment_refunded", "sms")  # never a text
    prefs = changed_preferences({}, {"show_changed": {"email": False, "sms": True}})
    assert not wanted(prefs, "show_changed", "email") and wanted(prefs, "show_changed", "sms")
    assert wanted({"booking_confirmed": {"email": False}}, "booking_confirmed", "email")
    with pytest.raises(LockedPreference):
        changed_preferences({}, {"payment_refunded": {"email": False}})
    with pytest.raises(UnknownKind):
        changed_preferences({}, {"no_such": {"email": True}})
    with pytest.raises(UnknownKind):
        changed_preferences({}, {"booking_failed": {"sms": True}})
    assert changed_preferences({}, {"payment_refunded": {"email": True}}) == {
        "payment_refunded": {"email": True}
    }


def test_the_calendar_file_escapes_text_and_folds_long_lines() -> None:
    ics = show_ics(
        uid="b1@boxoffice",
        title="Hamlet; or, the prince\\ of " + "Denmark " * 12,
        starts_at=datetime(2026, 12, 5, 19, 30, tzinfo=UTC),
        minutes=150,
        location="Old Vic, London",
        description="two lines\nhere",
        now=datetime(2026, 12, 1, tzinfo=UTC),
    ).decode()
    lines = ics.split("\r\n")
    assert all(len(line.encode()) <= 75 for line in lines)
    unfolded = ics.replace("\r\n ", "")
    assert "SUMMARY:Hamlet\\; or\\, the prince\\\\ of Denmark" in unfolded
    assert "LOCATION:Old Vic\\, London" in unfolded and "DESCRIPTION:two lines\\nhere" in unfolded
    assert "DTSTART:20261205T193000Z" in unfolded and "DTEND:20261205T220000Z" in unfolded
