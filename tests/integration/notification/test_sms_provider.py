"""The SMS adapter against a local stand-in for Twilio's REST API (no real provider can be had
here; the stand-in answers as Twilio documents: 201 with the message's sid, 400 with an error
code for a number that is not one, 5xx or 429 when busy). Checked: the request is the one the
documentation describes (POST /2010-04-01/Accounts/{sid}/Messages.json, HTTP Basic auth with
the account SID and auth token, form-encoded To, From, Body, StatusCallback), and each answer
becomes sent, refused for good or tried again later."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs

import pytest

from boxoffice.notification.mail import MailDeferred, MailRefused
from boxoffice.notification.sms import Sms, TwilioSms

pytestmark = pytest.mark.integration

SID, TOKEN = "AC0123456789abcdef0123456789abcdef", "auth-token-1"


class FakeTwilio(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        self.received.append(
            {
                "path": self.path,
                "auth": self.headers.get("Authorization"),
                "type": self.headers.get("Content-Type"),
                "form": form,
            }
        )
        to = form.get("To", "")
        if to == "+15005550001":  # Twilio's magic test number for "invalid"
            self._answer(400, {"code": 21211, "message": f"The 'To' number {to} is not valid."})
        elif to == "+15005550009":
            self._answer(503, {"code": 20503, "message": "Service unavailable"})
        else:
            self._answer(201, {"sid": f"SM{len(self.received):032d}", "status": "queued"})

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def twilio() -> Iterator[str]:
    FakeTwilio.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeTwilio)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"twilio+http://{SID}:{TOKEN}@127.0.0.1:{server.server_port}?from=%2B15005550006"
    server.shutdown()
    server.server_close()


async def test_texts_go_as_twilio_documents_and_each_answer_has_its_outcome(twilio: str) -> None:
    provider = TwilioSms(twilio, "https://tickets.example/api/v1/sms/status")
    texts = [
        Sms("+4915123456789", "boxoffice: booked!", "booking_confirmed", "d-1"),
        Sms("+15005550001", "to no one", "booking_confirmed", "d-2"),
        Sms("+15005550009", "later", "show_changed", "d-3"),
    ]
    sent, refused, later = await provider.send(texts)
    assert sent == "SM" + "1".zfill(32)
    assert isinstance(refused, MailRefused) and "21211" in str(refused)
    assert isinstance(later, MailDeferred) and "503" in str(later)

    first = FakeTwilio.received[0]
    assert first["path"] == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert first["auth"] == "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    assert first["type"] == "application/x-www-form-urlencoded"
    assert first["form"] == {
        "To": "+4915123456789",
        "From": "+15005550006",
        "Body": "boxoffice: booked!",
        "StatusCallback": "https://tickets.example/api/v1/sms/status?ref=d-1",
    }


async def test_a_provider_that_cannot_be_reached_is_tried_again_later() -> None:
    provider = TwilioSms("twilio+http://AC1:t@127.0.0.1:9?from=%2B1555", "", timeout=2)
    (outcome,) = await provider.send([Sms("+4915123456789", "x", "show_changed", "d")])
    assert isinstance(outcome, MailDeferred)
