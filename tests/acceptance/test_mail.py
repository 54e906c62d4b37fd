"""Mail through a running server (both shapes), read back from its development inbox (the
SMTP sink `boxoffice up` starts when no SMTP server is set): the welcome mail's link verifies
the address once; a password reset answers 202 for any email, mails a link that works once
and ends every session; a confirmed booking's mail carries the tickets as a PDF whose QR
codes are the tickets' codes, and the show as a calendar file in the venue's time; a
declined payment is told too; only admins read the inbox."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pypdf
import zxingcpp
from PIL import Image

from tests.acceptance.conftest import User, book, login, settled, wait_for
from tests.acceptance.test_waiting_room import problem


def mail_to(admin: User, email: str, kind: str, timeout: float = 45) -> dict[str, Any]:
    """The newest mail of this kind to this address (waits for it), with its parts."""

    def check() -> dict[str, Any] | None:
        box = admin.get("/admin/dev-inbox", params={"to": email}).json()
        found = [m for m in box if m["kind"] == kind]
        return found[0] if found else None

    summary = wait_for(check, timeout=timeout)
    full = admin.get(f"/admin/dev-inbox/{summary['id']}")
    assert full.status_code == 200, full.text
    return dict(full.json())


def token_in(text: str, route: str) -> str:
    found = re.search(rf"#/{route}\?token=([\w-]+)", text)
    assert found, text
    return found[1]


def test_a_new_account_is_welcomed_and_its_address_verified_once(
    anon: httpx.Client, admin: User
) -> None:
    email = f"welcome-{uuid.uuid4().hex[:8]}@boxoffice.example"
    r = anon.post(
        "/auth/register", json={"email": email, "password": "a-good-password", "name": "Wendy"}
    )
    assert r.status_code == 201, r.text
    assert r.json()["email_verified_at"] is None
    mail = mail_to(admin, email, "welcome")
    assert mail["subject"] == "Welcome to boxoffice" and "Wendy" in mail["to"]
    assert "Hello Wendy" in mail["text"] and mail["html"] and "Hello Wendy" in mail["html"]
    token = token_in(mail["text"], "verify-email")
    assert anon.post("/auth/verify-email", json={"token": token}).status_code == 204
    me = login(anon, email, "a-good-password").get("/users/me").json()
    assert me["email_verified_at"] is not None
    again = problem(anon.post("/auth/verify-email", json={"token": token}), 400)
    assert again["type"].endswith(":invalid-token")
    for bad in ({}, {"token": ""}, {"token": "x" * 201}, ["token"]):
        assert problem(anon.post("/auth/verify-email", json=bad), 422), bad


def test_a_password_reset_mails_a_link_that_works_once_and_ends_every_session(
    anon: httpx.Client, admin: User, make_user: Callable[..., User]
) -> None:
    user = make_user()
    refresh = anon.post(
        "/auth/login", json={"email": user.email, "password": "a-good-password"}
    ).json()["refresh_token"]
    # the same answer for an email with no account: nobody learns which ones exist
    nobody = anon.post("/auth/password-reset", json={"email": f"no-{uuid.uuid4().hex}@x.example"})
    asked = anon.post("/auth/password-reset", json={"email": user.email})
    assert nobody.status_code == asked.status_code == 202
    assert nobody.content == asked.content == b""
    for bad in ({}, {"email": "not-an-email"}, {"email": 3}):
        assert problem(anon.post("/auth/password-reset", json=bad), 422), bad

    mail = mail_to(admin, user.email, "password_reset")
    assert "30 minutes" in mail["text"]
    token = token_in(mail["text"], "reset-password")
    short = anon.post("/auth/password-reset/confirm", json={"token": token, "password": "short"})
    assert problem(short, 422)  # and the token is still good:
    done = anon.post(
        "/auth/password-reset/confirm", json={"token": token, "password": "a-new-password-1"}
    )
    assert done.status_code == 204, done.text
    again = anon.post(
        "/auth/password-reset/confirm", json={"token": token, "password": "a-new-password-2"}
    )
    assert problem(again, 400)["type"].endswith(":invalid-token")
    assert problem(anon.post("/auth/refresh", json={"refresh_token": refresh}), 401)
    old = anon.post("/auth/login", json={"email": user.email, "password": "a-good-password"})
    assert old.status_code == 401
    assert login(anon, user.email, "a-new-password-1")


def qr_codes(pdf: bytes) -> list[str]:
    codes = []
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        for image in page.images:
            picture = Image.open(io.BytesIO(image.data))
            big = picture.resize((picture.width * 4, picture.height * 4), Image.NEAREST)
            codes += [found.text for found in zxingcpp.read_barcodes(big)]
    return codes


def test_a_confirmed_booking_mails_the_tickets_and_the_show_and_a_declined_one_says_so(
    make_show: Callable[..., dict[str, Any]], make_user: Callable[..., User], admin: User
) -> None:
    show = make_show(rows=1, seats_per_row=4, time_zone="America/New_York")
    buyer = make_user()
    seats = [s["id"] for s in show["seats"][:3]]
    _, booking_id = book(buyer, show["id"], seats)
    booking = settled(buyer, booking_id)
    assert booking["status"] == "CONFIRMED", booking

    mail = mail_to(admin, buyer.email, "booking_confirmed")
    assert mail["subject"] == "Your tickets: Test Event"
    for ticket in booking["tickets"]:
        assert ticket["label"] in mail["text"]
    starts = datetime.fromisoformat(show["show"]["starts_at"])
    assert "(America/New_York)" in mail["text"] and "Test Venue, Testville" in mail["text"]
    assert booking_id in mail["text"]
    names = {a["filename"]: a for a in mail["attachments"]}
    assert set(names) == {"tickets.pdf", "show.ics"}
    assert names["tickets.pdf"]["content_type"] == "application/pdf"

    def attachment(name: str) -> bytes:
        r = admin.get(f"/admin/dev-inbox/{mail['id']}/attachments/{names[name]['index']}")
        assert r.status_code == 200, r.text
        return r.content

    pdf = attachment("tickets.pdf")
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) == 3  # a page per ticket
    assert sorted(qr_codes(pdf)) == sorted(t["code"] for t in booking["tickets"])
    ics = attachment("show.ics").decode()
    assert "BEGIN:VEVENT" in ics and "SUMMARY:Test Event" in ics
    assert f"DTSTART:{_utc(starts)}" in ics

    # a declined payment: the mail says the booking did not go through
    _, declined = book(buyer, show["id"], [show["seats"][3]["id"]], token="tok_decline")
    assert settled(buyer, declined)["status"] == "FAILED"
    failed = mail_to(admin, buyer.email, "booking_failed")
    assert failed["subject"] == "Booking not completed: Test Event"
    assert "could not be completed" in failed["text"]

    # the deliveries, for admins
    sent = admin.get("/admin/deliveries", params={"state": "sent", "limit": 200}).json()
    assert any(d["kind"] == "booking_confirmed" and d["user_id"] == buyer.id for d in sent)


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def test_only_admins_read_the_mail(
    anon: httpx.Client, admin: User, make_user: Callable[..., User]
) -> None:
    customer, organizer = make_user(), make_user("organizer")
    for path in ("/admin/dev-inbox", "/admin/deliveries"):
        assert problem(anon.get(path), 401)
        assert problem(customer.get(path), 403)
        assert problem(organizer.get(path), 403)
    assert problem(customer.post(f"/admin/deliveries/{uuid.uuid4()}/retry"), 403)
    assert problem(admin.post(f"/admin/deliveries/{uuid.uuid4()}/retry"), 404)
    assert problem(admin.get("/admin/dev-inbox/no-such-mail"), 404)
    assert problem(admin.get("/admin/dev-inbox/..%2F..%2Fetc%2Fpasswd"), 404)
    assert problem(admin.get("/admin/deliveries", params={"state": "lost"}), 422)
    box = admin.get("/admin/dev-inbox", params={"limit": 1}).json()
    assert len(box) == 1
    assert problem(admin.get(f"/admin/dev-inbox/{box[0]['id']}/attachments/99"), 404)
    assert problem(admin.get(f"/admin/dev-inbox/{box[0]['id']}/attachments/-1"), 422)
    # a mail's HTML as a page of its own, for the inbox's frame: a signed link, a strict policy
    mail = admin.get(f"/admin/dev-inbox/{box[0]['id']}").json()
    page = anon.get(mail["html_url"].removeprefix("/api/v1"))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy and "script" not in policy
    forged = mail["html_url"].removeprefix("/api/v1").replace("signature=", "signature=0")
    assert problem(anon.get(forged[: forged.index("signature=") + 74]), 404)


def test_ticket_holders_hear_when_their_show_moves_and_no_one_else_does(
    make_show: Callable[..., dict[str, Any]],
    make_user: Callable[..., User],
    organizer: User,
    admin: User,
) -> None:
    show = make_show(rows=1, seats_per_row=4, time_zone="Europe/Berlin")
    holder, gone, _never = make_user(), make_user(), make_user()
    _, kept = book(holder, show["id"], [show["seats"][0]["id"]])
    _, cancelled = book(gone, show["id"], [show["seats"][1]["id"]])
    assert settled(holder, kept)["status"] == "CONFIRMED"
    assert settled(gone, cancelled)["status"] == "CONFIRMED"
    assert gone.post(f"/bookings/{cancelled}/cancel", json={}).status_code == 200
    assert "cancelled" in mail_to(admin, gone.email, "booking_cancelled")["text"]
    refund = mail_to(admin, gone.email, "payment_refunded")
    assert refund["subject"] == "Refund issued: your booking" and "50.00 EUR" in refund["text"]
    assert cancelled in refund["text"]

    # a price change is nobody's news; a new time is every holder's
    prices = {"premium": 5500, "standard": 3000, "standing": 2000}
    assert organizer.patch(f"/shows/{show['id']}", json={"prices": prices}).status_code == 200
    old = datetime.fromisoformat(show["show"]["starts_at"])
    new = old.replace(microsecond=0) + timedelta(days=1, hours=2)
    moved = organizer.patch(f"/shows/{show['id']}", json={"starts_at": new.isoformat()})
    assert moved.status_code == 200, moved.text

    mail = mail_to(admin, holder.email, "show_changed")
    assert mail["subject"] == "New time: Test Event"
    local = new.astimezone(ZoneInfo("Europe/Berlin"))
    assert f"{local:%H:%M} (Europe/Berlin)" in mail["text"] and kept in mail["text"]
    notes = wait_for(
        lambda: [n for n in holder.get("/notifications").json() if n["kind"] == "show_changed"]
    )
    assert len(notes) == 1 and notes[0]["booking_id"] == kept
    for user in (gone, _never):
        kinds = [m["kind"] for m in admin.get("/admin/dev-inbox", params={"to": user.email}).json()]
        assert "show_changed" not in kinds
        assert not [n for n in user.get("/notifications").json() if n["kind"] == "show_changed"]


def test_a_customer_chooses_what_they_hear_of_but_not_to_lose_their_tickets(
    make_show: Callable[..., dict[str, Any]],
    make_user: Callable[..., User],
    organizer: User,
    admin: User,
) -> None:
    fan = make_user()
    prefs = {p["kind"]: p for p in fan.get("/users/me/notification-preferences").json()}
    assert prefs["booking_confirmed"] == {
        "kind": "booking_confirmed",
        "label": prefs["booking_confirmed"]["label"],
        "transactional": True,
        "sms_available": True,
        "email": True,
        "sms": False,
        "in_app": True,
    }
    path = "/users/me/notification-preferences"
    locked = fan.client.patch(
        path, headers=fan.headers, json={"booking_confirmed": {"email": False}}
    )
    assert problem(locked, 422)["type"].endswith(":locked-preference")
    for bad in (
        {"no_such_kind": {"email": False}},
        {"payment_refunded": {"sms": True}},  # never sent by SMS
        {"show_changed": {"pigeon": True}},
        {"show_changed": {"email": "nope"}},
        [],
    ):
        assert problem(fan.client.patch(path, headers=fan.headers, json=bad), 422), bad
    assert fan.get(path).json() == list(prefs.values())  # nothing changed
    changed = fan.client.patch(path, headers=fan.headers, json={"show_changed": {"email": False}})
    assert changed.status_code == 200, changed.text
    assert {p["kind"]: p for p in changed.json()}["show_changed"]["email"] is False
    assert problem(httpx.patch(str(fan.client.base_url).rstrip("/") + path, json={}), 401)

    show = make_show(rows=1, seats_per_row=2)
    _, booking = book(fan, show["id"], [show["seats"][0]["id"]])
    assert settled(fan, booking)["status"] == "CONFIRMED"
    mail_to(admin, fan.email, "booking_confirmed")  # transactional: sent whatever
    new = datetime.fromisoformat(show["show"]["starts_at"]) + timedelta(hours=3)
    assert organizer.patch(f"/shows/{show['id']}", json={"starts_at": new.isoformat()}).is_success
    wait_for(lambda: [n for n in fan.get("/notifications").json() if n["kind"] == "show_changed"])
    kinds = [m["kind"] for m in admin.get("/admin/dev-inbox", params={"to": fan.email}).json()]
    assert "show_changed" not in kinds  # in-app only, as chosen


def test_a_customer_with_a_phone_who_wants_texts_gets_one_for_their_tickets(
    make_show: Callable[..., dict[str, Any]],
    make_user: Callable[..., User],
    admin: User,
    anon: httpx.Client,
) -> None:
    fan = make_user()
    for bad in (
        {"phone": "0151 2345678"},  # not E.164
        {"phone": "+0151234567"},
        {"phone": "+1" + "2" * 15},
        {"sms_opt_in": "yes"},
        {"email": "other@x.example"},  # not changed here
    ):
        assert problem(fan.patch("/users/me", json=bad), 422), bad
    no_phone = problem(fan.patch("/users/me", json={"sms_opt_in": True}), 422)
    assert no_phone["type"].endswith(":no-phone-number")
    me = fan.patch("/users/me", json={"phone": "+4915123456789", "sms_opt_in": True})
    assert me.status_code == 200, me.text
    assert (me.json()["phone"], me.json()["sms_opt_in"]) == ("+4915123456789", True)
    assert problem(anon.patch("/users/me", json={"name": "X"}), 401)
    path = "/users/me/notification-preferences"
    on = fan.client.patch(path, headers=fan.headers, json={"booking_confirmed": {"sms": True}})
    assert on.status_code == 200, on.text

    show = make_show(rows=1, seats_per_row=2)
    _, booking_id = book(fan, show["id"], [show["seats"][0]["id"]])
    assert settled(fan, booking_id)["status"] == "CONFIRMED"
    text = mail_to(admin, "+4915123456789", "sms")
    assert text["to"] == "+4915123456789"
    assert text["text"].startswith("boxoffice: booked! 1 ticket(s) for Test Event")
    assert f"#/bookings/{booking_id}" in text["text"]
    assert len(text["text"].strip()) <= 320  # two SMS segments at most

    # the number removed: texts stop with it
    gone = fan.patch("/users/me", json={"phone": None})
    assert gone.status_code == 200 and gone.json()["sms_opt_in"] is False
    # a delivery report not signed by a provider is refused
    report = anon.post(
        f"/sms/status?ref={uuid.uuid4()}",
        content="MessageSid=SM1&MessageStatus=delivered",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert problem(report, 403)


def test_an_address_changes_only_when_the_new_one_confirms_it(
    anon: httpx.Client, admin: User, make_user: Callable[..., User]
) -> None:
    user, other = make_user(), make_user()
    new = f"moved-{uuid.uuid4().hex[:8]}@boxoffice.example"
    wrong = user.post("/users/me/email", json={"email": new, "password": "not-it"})
    assert problem(wrong, 422)["type"].endswith(":wrong-password")
    taken = user.post("/users/me/email", json={"email": other.email, "password": "a-good-password"})
    assert problem(taken, 409)["type"].endswith(":email-taken")
    assert problem(user.post("/users/me/email", json={"email": "nope"}), 422)
    asked = user.post("/users/me/email", json={"email": new, "password": "a-good-password"})
    assert asked.status_code == 202, asked.text
    assert user.get("/users/me").json()["email"] == user.email  # not before it is confirmed

    mail = mail_to(admin, new, "email_change")
    assert user.email in mail["text"] and new in mail["text"]
    token = token_in(mail["text"], "confirm-email")
    done = anon.post("/auth/email-change/confirm", json={"token": token})
    assert done.status_code == 200, done.text
    assert done.json()["email"] == new and done.json()["email_verified_at"]
    again = anon.post("/auth/email-change/confirm", json={"token": token})
    assert problem(again, 400)["type"].endswith(":invalid-token")
    assert (
        anon.post(
            "/auth/login", json={"email": user.email, "password": "a-good-password"}
        ).status_code
        == 401
    )
    moved = login(anon, new, "a-good-password")
    # notification writes to the new address from now on
    assert anon.post("/auth/password-reset", json={"email": new}).status_code == 202
    assert mail_to(admin, new, "password_reset")["to"].endswith(f"<{new}>")
    assert moved.get("/users/me").json()["id"] == user.id
