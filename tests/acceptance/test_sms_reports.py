"""Texts through the Twilio adapter on a server of its own (all-in-one: the adapter and its
webhook are the same code in both shapes), sent to a local stand-in of Twilio's API: the
booking's text goes out as Twilio documents it, and the delivery report Twilio would post back
is taken only with a valid X-Twilio-Signature; `undelivered` makes the delivery failed with
Twilio's error code."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from urllib.parse import urlencode, urlsplit

import httpx
import pytest

from boxoffice.notification.sms import twilio_signature
from tests.acceptance.conftest import book, login, new_show, new_user, settled, wait_for
from tests.acceptance.crowd import drop_own_infra, make_own_infra
from tests.acceptance.test_waiting_room import problem
from tests.conftest import ADMIN, Infra, Server, start_server, stop_server
from tests.integration.notification.test_sms_provider import SID, TOKEN, FakeTwilio

pytestmark = pytest.mark.own_server


@pytest.fixture(scope="module")
def twilio() -> Iterator[int]:
    FakeTwilio.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeTwilio)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def texting(
    infra: Infra, twilio: int, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """On a database and stream of its own: the session's server would otherwise take its
    deliveries (the senders of one database share them) and send them to its own sink."""
    own = asyncio.run(make_own_infra(infra))
    server = start_server(
        own,
        tmp_path_factory.mktemp("sms"),
        sms_url=f"twilio+http://{SID}:{TOKEN}@127.0.0.1:{twilio}?from=%2B15005550006",
        admin_email=ADMIN[0],
        admin_password=ADMIN[1],
    )
    yield server
    stop_server(server)
    asyncio.run(drop_own_infra(own))


def test_a_text_goes_to_twilio_and_only_a_signed_report_changes_it(texting: Server) -> None:
    with httpx.Client(base_url=texting.api, timeout=30) as anon:
        admin = login(anon, *ADMIN)
        organizer, fan = new_user(anon, admin, "organizer"), new_user(anon, admin)
        assert fan.patch(
            "/users/me", json={"phone": "+4915123456789", "sms_opt_in": True}
        ).is_success
        prefs = fan.client.patch(
            "/users/me/notification-preferences",
            headers=fan.headers,
            json={"booking_confirmed": {"sms": True}},
        )
        assert prefs.status_code == 200, prefs.text
        show = new_show(organizer, rows=1, seats_per_row=2)
        _, booking_id = book(fan, show["id"], [show["seats"][0]["id"]])
        assert settled(fan, booking_id)["status"] == "CONFIRMED"

        sent = wait_for(
            lambda: [r for r in FakeTwilio.received if r["form"]["To"] == "+4915123456789"]
        )
        form = sent[0]["form"]
        assert form["From"] == "+15005550006" and f"#/bookings/{booking_id}" in form["Body"]
        callback = form["StatusCallback"]
        assert callback.startswith(f"{texting.base_url}/api/v1/sms/status?ref=")
        sms = wait_for(
            lambda: [
                d
                for d in admin.get("/admin/deliveries", params={"limit": 200}).json()
                if d["channel"] == "sms" and d["user_id"] == fan.id and d["state"] == "sent"
            ]
        )[0]

        report = {
            "MessageSid": "SM" + "1".zfill(32),
            "MessageStatus": "undelivered",
            "ErrorCode": "30003",
        }
        body = urlencode(report)
        url = texting.base_url + urlsplit(callback).path + "?" + urlsplit(callback).query
        form_type = {"content-type": "application/x-www-form-urlencoded"}

        def post(signature: str, content: str = body) -> httpx.Response:
            return httpx.post(
                url, content=content, headers={**form_type, "X-Twilio-Signature": signature}
            )

        good = twilio_signature(TOKEN, callback, report)
        assert problem(post(twilio_signature("not-the-token", callback, report)), 403)
        assert problem(post(good, urlencode({**report, "ErrorCode": "0"})), 403)  # altered
        other = {**report, "MessageSid": "SM" + "9".zfill(32)}
        assert problem(post(twilio_signature(TOKEN, callback, other), urlencode(other)), 404)
        assert post(good).status_code == 204
        failed = [
            d
            for d in admin.get("/admin/deliveries", params={"state": "failed"}).json()
            if d["id"] == sms["id"]
        ]
        assert failed and "30003" in failed[0]["last_error"]
