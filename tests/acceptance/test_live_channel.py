"""A customer's live channel (GET /api/v1/live): their booking's status is pushed to them as it
changes, and so are their notifications (with the unread count), to nobody else, and only with
a token."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.acceptance.conftest import User, book, settled, wait_for
from tests.conftest import Server


class Listener:
    """Reads one customer's live channel on an event loop in a thread, keeping the `booking`
    events; close() cancels the read."""

    def __init__(self, server: Server, user: User) -> None:
        self.events: list[dict[str, Any]] = []
        self.notifications: list[tuple[float, dict[str, Any]]] = []  # (when it came, what)
        self.connected = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._task: asyncio.Task[None] | None = None
        self._thread = threading.Thread(target=self._run, args=(server, user), daemon=True)
        self._thread.start()
        assert self.connected.wait(20), "the live channel did not connect"

    def _run(self, server: Server, user: User) -> None:
        self._task = self._loop.create_task(self._read(server, user))
        with contextlib.suppress(asyncio.CancelledError):
            self._loop.run_until_complete(self._task)
        self._loop.close()

    async def _read(self, server: Server, user: User) -> None:
        async with (
            httpx.AsyncClient(timeout=httpx.Timeout(5, read=60)) as client,
            client.stream("GET", f"{server.api}/live", headers=user.headers) as response,
        ):
            assert response.status_code == 200, await response.aread()
            assert response.headers["content-type"].startswith("text/event-stream")
            event = ""
            async for line in response.aiter_lines():
                self.connected.set()
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event == "booking":
                    self.events.append(json.loads(line[5:]))
                elif line.startswith("data:") and event == "notification":
                    self.notifications.append((time.time(), json.loads(line[5:])))

    def close(self) -> None:
        if self._task is not None:
            self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(timeout=10)
        assert not self._thread.is_alive()


@pytest.fixture
def listen(server: Server) -> Iterator[Callable[[User], Listener]]:
    opened: list[Listener] = []

    def open_for(user: User) -> Listener:
        opened.append(Listener(server, user))
        return opened[-1]

    yield open_for
    for listener in opened:
        listener.close()


def test_a_customer_is_told_when_their_booking_is_confirmed_and_no_one_else_is(
    make_show: Callable[..., dict[str, Any]],
    make_user: Callable[..., User],
    listen: Callable[[User], Listener],
) -> None:
    show = make_show()
    buyer, other = make_user("customer"), make_user("customer")
    mine, theirs = listen(buyer), listen(other)
    seat = next(s["id"] for s in show["seats"] if s["state"] == "available")
    _, booking_id = book(buyer, show["id"], [seat])
    assert settled(buyer, booking_id)["status"] == "CONFIRMED"
    pushed = wait_for(
        lambda: [e for e in mine.events if e["booking_id"] == booking_id] or None, timeout=10
    )
    assert pushed == [{"booking_id": booking_id, "status": "CONFIRMED", "reason": None}]
    assert not [e for e in theirs.events if e["booking_id"] == booking_id]


def test_the_live_channel_needs_a_token(anon: httpx.Client) -> None:
    r = anon.get("/live")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")


def test_a_customers_notifications_are_pushed_with_the_unread_count_to_them_alone(
    make_show: Callable[..., dict[str, Any]],
    make_user: Callable[..., User],
    listen: Callable[[User], Listener],
) -> None:
    show = make_show()
    buyer, other = make_user("customer"), make_user("customer")
    mine, theirs = listen(buyer), listen(other)
    seats = [s["id"] for s in show["seats"] if s["state"] == "available"][:2]
    _, confirmed = book(buyer, show["id"], [seats[0]])
    _, declined = book(buyer, show["id"], [seats[1]], token="tok_decline")
    assert settled(buyer, confirmed)["status"] == "CONFIRMED"
    assert settled(buyer, declined)["status"] == "FAILED"
    pushed = wait_for(lambda: mine.notifications if len(mine.notifications) >= 2 else None)
    kinds = {note["kind"]: (at, note) for at, note in pushed}
    assert set(kinds) == {"booking_confirmed", "booking_failed"}
    at, note = kinds["booking_confirmed"]
    assert note["booking_id"] == confirmed and note["user_id"] == buyer.id
    assert note["title"].startswith("Booked:")
    # pushed as it is written: well within a second of the row's commit
    assert at - datetime.fromisoformat(note["created_at"]).timestamp() < 1.0
    assert max(n["unread"] for _, n in pushed) == 2
    assert buyer.get("/notifications/unread").json() == {"unread": 2}
    assert not theirs.notifications

    # mark one read: mine only, and only once
    assert other.post(f"/notifications/{note['id']}/read").json() == {"marked": 0}
    assert buyer.post(f"/notifications/{note['id']}/read").json() == {"marked": 1}
    assert buyer.post(f"/notifications/{note['id']}/read").json() == {"marked": 0}
    assert buyer.get("/notifications/unread").json() == {"unread": 1}
    assert buyer.post("/notifications/not-an-id/read").status_code == 422
