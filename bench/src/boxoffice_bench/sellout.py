"""Scenario 2, the sell-out: more buyers than seats, each doing hold → book → pay (tok_success)
→ wait for CONFIRMED, through a fixed number of concurrent sessions, until every seat is sold.

Buyers pick seats from a shared view of what is still free (as a seat map shows it), so the
show can sell out; a share of them pick from a stale map instead and collide (409), as real
crowds do."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson

from boxoffice_bench.http import Connection, Endpoint, HttpError, auth, subscribe
from boxoffice_bench.stats import Latencies

RETRY, DONE, STOP = "retry", "done", "stop"  # what a buyer's try leaves to do


class SeatView:
    """Seats believed free, with O(1) random picks of up to k adjacent ones."""

    def __init__(self, rows: list[list[int]]) -> None:
        self.rows = rows
        self.where = {s: (r, i) for r, row in enumerate(rows) for i, s in enumerate(row)}
        self.free: list[int] = [s for row in rows for s in row]
        self.pos = {s: i for i, s in enumerate(self.free)}

    def take(self, seat: int) -> None:
        i = self.pos.pop(seat, None)
        if i is None:
            return
        last = self.free.pop()
        if last != seat:
            self.free[i] = last
            self.pos[last] = i

    def give(self, seat: int) -> None:
        if seat not in self.pos:
            self.pos[seat] = len(self.free)
            self.free.append(seat)

    def pick(self, k: int, rng: random.Random) -> list[int]:
        if not self.free:
            return []
        seat = self.free[rng.randrange(len(self.free))]
        r, i = self.where[seat]
        row = self.rows[r]
        seats = [seat]
        j = i + 1
        while len(seats) < k and j < len(row) and row[j] in self.pos:
            seats.append(row[j])
            j += 1
        j = i - 1
        while len(seats) < k and j >= 0 and row[j] in self.pos:
            seats.insert(0, row[j])
            j -= 1
        for s in seats:
            self.take(s)
        return seats


@dataclass
class SelloutResult:
    seats: int
    buyers_started: int = 0
    confirmed: int = 0
    seats_sold: int = 0
    sold_out: bool = False
    seconds: float = 0.0  # first hold sent → last seat confirmed (as the buyers saw it)
    hold: Latencies = field(default_factory=Latencies)
    book: Latencies = field(default_factory=Latencies)
    confirm_seen: Latencies = field(default_factory=Latencies)  # booking accepted → CONFIRMED seen
    hold_to_confirmed_seen: Latencies = field(default_factory=Latencies)
    refused: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    # booking id → wall-clock time its hold was sent, for server-stamped latencies
    hold_sent_at: dict[str, float] = field(default_factory=dict)
    started_wall: float = 0.0
    polls: int = 0
    # filled from the database afterwards
    server: dict[str, object] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.confirmed / self.seconds if self.seconds > 0 else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


async def sellout(
    endpoint: Endpoint,
    show_id: str,
    rows: list[list[int]],
    tokens: list[str],
    *,
    concurrency: int,
    buyers: int,
    stale_share: float = 0.1,
    poll_first: float = 0.0,  # as the web UI: the booking page loads at once,
    poll_every: float = 0.7,  # then refreshes every 700 ms while PENDING
    push: bool = True,  # as the web UI: follow the customer's live channel, poll every 5 s
    timeout: float = 180.0,
    seed: int | None = None,
    admitted: asyncio.Queue[bytes | None] | None = None,
    retries: int = 0,
) -> SelloutResult:
    """With `admitted` (the waiting room): each buyer is the next header block (access token
    and X-Admission-Pass) put there as customers are let in, None to stop; a buyer refused for
    taken seats tries again with other seats up to `retries` times, and one who finds no seat
    left is counted and let go (the session waits for the next)."""
    total = sum(len(r) for r in rows)
    result = SelloutResult(seats=total)
    view = SeatView(rows)
    rng = random.Random(seed)
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    pending = 0
    next_buyer = 0
    hold_path = f"/api/v1/shows/{show_id}/holds"
    headers = [auth(t) for t in tokens]
    # The customers' live channels (GET /api/v1/live): what each booking became, as pushed.
    settled: dict[str, tuple[str, float]] = {}
    waiting: dict[str, asyncio.Future[None]] = {}

    def on_booking(data: bytes, now: float) -> None:
        change = orjson.loads(data)
        if change.get("status") in (None, "PENDING"):
            return
        settled[change["booking_id"]] = (change["status"], now)
        waiter = waiting.pop(change["booking_id"], None)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    streams = (
        await asyncio.gather(
            *(subscribe(endpoint, "/api/v1/live", on_booking, auth(t)) for t in tokens)
        )
        if push
        else []
    )
    begin = time.monotonic()
    result.started_wall = time.time()
    deadline = begin + timeout

    def give_back(seats: list[int]) -> None:
        for s in seats:
            view.give(s)

    def give_back_later(seats: list[int], delay: float = 12.0) -> None:
        # after the hold has surely expired or been released
        loop.call_later(delay, give_back, seats)

    async def next_header() -> bytes | None:
        nonlocal next_buyer
        if admitted is None:
            if next_buyer >= buyers:
                return None
            next_buyer += 1
            return headers[(next_buyer - 1) % len(headers)]
        try:
            return await asyncio.wait_for(admitted.get(), max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            return None

    async def session() -> None:
        conn = Connection(endpoint, timeout=60)
        try:
            while not done.is_set() and time.monotonic() < deadline:
                hdr = await next_header()
                if hdr is None:
                    return
                for _ in range(1 + retries):
                    outcome = await attempt(conn, hdr)
                    if outcome == STOP:
                        return
                    if outcome != RETRY or done.is_set():
                        break
        finally:
            conn.close()

    async def attempt(conn: Connection, hdr: bytes) -> str:
        """One buyer's try: RETRY when refused for taken seats, STOP when no seat is left."""
        nonlocal pending
        k = rng.randint(1, 4)
        stale = rng.random() < stale_share
        if stale:
            row = rows[rng.randrange(len(rows))]
            start = rng.randrange(max(1, len(row) - k + 1))
            seats = row[start : start + k]
        else:
            seats = view.pick(k, rng)
            while not seats and pending and not done.is_set():
                await asyncio.sleep(0.05)  # someone's booking may still fail
                seats = view.pick(k, rng)
            if not seats:
                if admitted is None:
                    return STOP  # nothing left to try
                result.refused["no seat left"] += 1
                return DONE
        result.buyers_started += 1
        pending += 1
        try:
            return RETRY if await buy(conn, hdr, seats, stale) else DONE
        finally:
            pending -= 1

    async def buy(conn: Connection, hdr: bytes, seats: list[int], stale: bool) -> bool:
        sent = time.monotonic()
        wall = time.time()
        try:
            r = await conn.request("POST", hold_path, hdr, orjson.dumps({"seat_ids": seats}))
        except (HttpError, OSError, TimeoutError) as exc:
            result.errors[f"hold: {type(exc).__name__}"] += 1
            if not stale:
                give_back_later(seats)
            return False
        held = time.monotonic()
        if r.status == 409:
            result.refused["stale map" if stale else "fresh map"] += 1
            if not stale:
                taken = set(orjson.loads(r.body).get("seat_ids", []))
                for s in seats:
                    if s not in taken:
                        view.give(s)
            return True
        if r.status != 201:
            result.errors[f"hold: HTTP {r.status}"] += 1
            if not stale:
                give_back_later(seats)
            return False
        result.hold.add(held - sent)
        if stale:
            for s in seats:
                view.take(s)
        hold_id = orjson.loads(r.body)["hold_id"]
        body = orjson.dumps(
            {"hold_id": hold_id, "payment": {"method": "card", "token": "tok_success"}}
        )
        key = f"Idempotency-Key: {uuid.uuid4().hex}\r\n".encode()
        try:
            r = await conn.request("POST", "/api/v1/bookings", hdr + key, body)
        except (HttpError, OSError, TimeoutError) as exc:
            result.errors[f"book: {type(exc).__name__}"] += 1
            give_back_later(seats)
            return False
        booked = time.monotonic()
        if r.status != 202:
            result.errors[f"book: HTTP {r.status}"] += 1
            give_back_later(seats)
            return False
        result.book.add(booked - held)
        booking_id = orjson.loads(r.body)["booking_id"]
        result.hold_sent_at[booking_id] = wall
        if poll_first:
            await asyncio.sleep(poll_first)
        status = "PENDING"
        path = f"/api/v1/bookings/{booking_id}"
        while time.monotonic() < deadline:
            if push:
                if booking_id not in settled:
                    waiter = waiting.setdefault(booking_id, loop.create_future())
                    await asyncio.wait([waiter], timeout=5.0)  # else the fallback poll
                if booking_id in settled:
                    status, _ = settled.pop(booking_id)
                    break
            try:
                r = await conn.request("GET", path, hdr)
            except (HttpError, OSError, TimeoutError) as exc:
                result.errors[f"poll: {type(exc).__name__}"] += 1
                await asyncio.sleep(poll_every)
                continue
            result.polls += 1
            if r.status != 200:
                result.errors[f"poll: HTTP {r.status}"] += 1
                return False
            status = orjson.loads(r.body)["status"]
            if status != "PENDING":
                break
            if not push:
                await asyncio.sleep(poll_every)
        seen = time.monotonic()
        result.outcomes[status] += 1
        if status != "CONFIRMED":
            give_back_later(seats)
            return False
        result.confirmed += 1
        result.seats_sold += len(seats)
        result.confirm_seen.add(seen - booked)
        result.hold_to_confirmed_seen.add(seen - sent)
        if result.seats_sold >= total and not done.is_set():
            result.sold_out = True
            result.seconds = seen - begin
            done.set()
            if admitted is not None:
                for _ in range(concurrency):
                    admitted.put_nowait(None)
        return False

    try:
        await asyncio.gather(*(session() for _ in range(concurrency)))
    finally:
        for stream in streams:
            if stream.transport is not None:
                stream.transport.close()
    if not result.sold_out:
        result.seconds = time.monotonic() - begin
    return result


SERVER_TIMES = """
SELECT b.id::text AS id, b.created_at, s.at AS confirmed_at
FROM booking.bookings b
JOIN booking.saga_steps s ON s.booking_id = b.id AND s.step = 'confirmed'
WHERE b.show_id = $1 AND b.status = 'CONFIRMED'
"""


async def server_times(database_dsn: str, show_id: str, result: SelloutResult) -> None:
    """Hold → CONFIRMED and booking → CONFIRMED as the server stamped them (wall clock of the
    same machine), which polling can only bound from above."""
    import asyncpg  # type: ignore[import-untyped]

    conn = await asyncpg.connect(database_dsn)
    try:
        rows = await conn.fetch(SERVER_TIMES, uuid.UUID(show_id))
    finally:
        await conn.close()
    to_confirmed = Latencies()
    saga = Latencies()
    last = 0.0
    for r in rows:
        confirmed = r["confirmed_at"].timestamp()
        saga.add(confirmed - r["created_at"].timestamp())
        sent = result.hold_sent_at.get(r["id"])
        if sent is not None:
            to_confirmed.add(confirmed - sent)
        last = max(last, confirmed)
    result.server = {
        "confirmed": len(rows),
        "hold_to_confirmed": to_confirmed.summary(),
        "booking_to_confirmed": saga.summary(),
        "sellout_seconds": (last - result.started_wall) if rows else float("nan"),
    }


MAILS = """
SELECT count(*) FILTER (WHERE state = 'sent') AS sent, count(*) AS owed,
       max(sent_at) AS last_sent
FROM notification.deliveries
WHERE channel = 'email' AND kind = 'booking_confirmed' AND payload->>'show_id' = $1
"""

LAST_CONFIRMED = """
SELECT max(s.at) FROM booking.bookings b
JOIN booking.saga_steps s ON s.booking_id = b.id AND s.step = 'confirmed'
WHERE b.show_id = $1 AND b.status = 'CONFIRMED'
"""


async def confirmation_mails(
    database_dsn: str, show_id: str, confirmed: int, timeout: float = 300.0
) -> dict[str, Any]:
    """Wait until every confirmed booking's mail was sent (to the development sink the system
    started) or the timeout: how many were, and how long after the last sale the last went."""
    import asyncpg

    conn = await asyncpg.connect(database_dsn)
    try:
        deadline = time.monotonic() + timeout
        while True:
            row = await conn.fetchrow(MAILS, show_id)
            if row["sent"] >= confirmed or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        last_sale = await conn.fetchval(LAST_CONFIRMED, uuid.UUID(show_id))
    finally:
        await conn.close()
    after = (
        (row["last_sent"] - last_sale).total_seconds()
        if row["last_sent"] is not None and last_sale is not None
        else float("nan")
    )
    return {"sent": row["sent"], "owed": row["owed"], "after_last_sale": after}
