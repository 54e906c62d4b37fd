"""The waiting room's queue on the real Redis: a random order for everyone who joined before
on-sale, first come first served after, admission at the set rate and never twice, one place
per account, a restart that changes nothing."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from boxoffice.inventory.onsale import Queue, Room, Signer
from boxoffice.inventory.ports import RoomCounters
from tests.conftest import Infra

pytestmark = pytest.mark.integration

ON_SALE = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)
NONE = RoomCounters(0, 0, 0)  # nothing sold, held or refused


@pytest.fixture
async def redis(infra: Infra) -> AsyncIterator[Redis]:
    client = Redis.from_url(infra.redis_url, decode_responses=True)
    yield client
    await client.aclose()


def new_room(rate: int = 60, ttl: int = 600, auto: bool = False) -> Room:
    return Room(
        show_id=uuid.uuid4(),
        opens_at=ON_SALE - timedelta(hours=1),
        on_sale_at=ON_SALE,
        admission_rate=rate,
        pass_ttl_seconds=ttl,
        max_tickets_per_customer=None,
        updated_at=ON_SALE,
        auto_rate=auto,
    )


async def test_early_joiners_are_drawn_at_random_and_later_ones_are_served_in_order(
    redis: Redis,
) -> None:
    queue = Queue(redis, Signer(b"k" * 32), 0)
    room = new_room(rate=6000)  # 100 a second
    await queue.configure(room)
    try:
        early = [uuid.uuid4() for _ in range(40)]
        late = [uuid.uuid4() for _ in range(40)]
        entries: dict[uuid.UUID, str] = {}
        for i, user in enumerate(early):
            entries[user], new = await queue.join(room, user, ON_SALE - timedelta(minutes=40 - i))
            assert new
        before = await queue.status(room, entries[early[0]], early[0], ON_SALE)
        assert before["state"] == "waiting" and before["position"] is None  # drawn at on-sale
        assert (
            await queue.admit(room.show_id, ON_SALE, NONE) == 1
        )  # admission begins: the first is let in
        for i, user in enumerate(late):
            entries[user], _ = await queue.join(room, user, ON_SALE + timedelta(seconds=i / 100))

        # Every early joiner stands ahead of every late one; among them the order is a draw
        # (40 in join order by chance: 1 in 40!), among the late ones it is arrival order.
        positions = {
            u: (await queue.status(room, e, u, ON_SALE))["position"] for u, e in entries.items()
        }
        assert sorted(positions[u] for u in early) == list(range(40))  # 0: let in
        assert [positions[u] for u in late] == list(range(40, 80))
        assert [positions[u] for u in early] != list(range(40))

        # a repeated join keeps the place
        again, new = await queue.join(room, early[3], ON_SALE + timedelta(seconds=5))
        assert again == entries[early[3]] and not new

        # 0.3 s at 100 a second: the next 30
        assert await queue.admit(room.show_id, ON_SALE + timedelta(milliseconds=300), NONE) == 30
        states = {
            u: (await queue.status(room, e, u, ON_SALE + timedelta(seconds=1)))
            for u, e in entries.items()
        }
        admitted = {u for u, s in states.items() if s["state"] == "admitted"}
        assert admitted == {u for u, p in positions.items() if p <= 30}
        assert all(states[u]["admission_pass"] for u in admitted)
        waiting = states[late[0]]
        assert waiting["state"] == "waiting" and waiting["ahead"] == 9 and waiting["position"] == 10
        assert waiting["eta_seconds"] == 1  # 10 places at 100 a second
    finally:
        await queue.remove(room.show_id)


async def test_admission_follows_the_rate_and_replicas_admitting_at_once_never_admit_twice(
    redis: Redis,
) -> None:
    signer = Signer(b"k" * 32)
    replicas = [Queue(redis, signer, 0) for _ in range(4)]
    room = new_room(rate=600)  # 10 a second
    await replicas[0].configure(room)
    try:
        users = [uuid.uuid4() for _ in range(200)]
        for user in users:
            await replicas[0].join(room, user, ON_SALE + timedelta(seconds=-1))
        total = 0
        for second in range(1, 6):  # every replica runs the job each second, at once
            now = ON_SALE + timedelta(seconds=second)
            total += sum(
                await asyncio.gather(*(q.admit(room.show_id, now, NONE) for q in replicas))
            )
        assert total == 51  # 5 s × 10 a second, plus the first credit
        n = int(await redis.get(f"bx:wr:{{{room.show_id.hex}}}:admitted") or 0)
        assert n == 51 and await redis.hlen(f"bx:wr:{{{room.show_id.hex}}}:at") == 51
        # an idle room banks at most two seconds of admissions
        assert await replicas[1].admit(room.show_id, ON_SALE + timedelta(seconds=60), NONE) == 20
    finally:
        await replicas[0].remove(room.show_id)


async def test_a_pass_expires_and_status_is_only_for_its_owner(redis: Redis) -> None:
    queue = Queue(redis, Signer(b"k" * 32), 0)
    room = new_room(rate=60, ttl=120)
    await queue.configure(room)
    try:
        user, stranger = uuid.uuid4(), uuid.uuid4()
        entry, _ = await queue.join(room, user, ON_SALE)
        await queue.admit(room.show_id, ON_SALE, NONE)
        await queue.admit(room.show_id, ON_SALE + timedelta(seconds=1), NONE)
        admitted = await queue.status(room, entry, user, ON_SALE + timedelta(seconds=2))
        assert admitted["state"] == "admitted"
        checked = queue.signer.check_pass(
            admitted["admission_pass"], room.show_id, user, (ON_SALE.timestamp() + 60)
        )
        assert checked.entry == entry
        late = await queue.status(room, entry, user, ON_SALE + timedelta(seconds=125))
        assert late["state"] == "expired" and late["admission_pass"] is None
        with pytest.raises(Exception, match="No such place"):
            await queue.status(room, entry, stranger, ON_SALE)

        # a new process (the same Redis) sees the same queue
        fresh = Queue(redis, Signer(b"k" * 32), 0)
        assert (await fresh.status(room, entry, user, ON_SALE))["state"] == "admitted"
    finally:
        await queue.remove(room.show_id)


async def test_a_sold_out_room_lets_no_one_in_and_says_so_until_places_come_back(
    redis: Redis,
) -> None:
    queue = Queue(redis, Signer(b"k" * 32), 0)
    room = new_room(rate=6000)
    await queue.configure(room)
    try:
        user = uuid.uuid4()
        entry, _ = await queue.join(room, user, ON_SALE + timedelta(seconds=1))
        await queue.set_sold_out(room.show_id, True)
        assert await queue.admit(room.show_id, ON_SALE + timedelta(seconds=2), NONE) == 0
        told = await queue.status(room, entry, user, ON_SALE + timedelta(seconds=2))
        assert told["state"] == "sold_out" and told["admission_pass"] is None
        await queue.set_sold_out(room.show_id, False)
        assert await queue.admit(room.show_id, ON_SALE + timedelta(seconds=3), NONE) == 1
        let_in = await queue.status(room, entry, user, ON_SALE + timedelta(seconds=3))
        assert let_in["state"] == "admitted"
    finally:
        await queue.remove(room.show_id)
    await queue.set_sold_out(room.show_id, True)  # a removed room stays removed
    assert not await redis.exists(f"bx:wr:{{{room.show_id.hex}}}:cfg")


async def test_an_automatic_rate_follows_the_confirmations_with_headroom(redis: Redis) -> None:
    queue = Queue(redis, Signer(b"k" * 32), 0)
    auto, fixed = new_room(rate=60, auto=True), new_room(rate=60)
    for room in (auto, fixed):
        await queue.configure(room)
    try:
        for room in (auto, fixed):
            for _ in range(100):
                await queue.join(room, uuid.uuid4(), ON_SALE - timedelta(seconds=1))
        for second in range(31):  # the pipeline confirms 50 bookings a second
            now = ON_SALE + timedelta(seconds=second)
            counters = RoomCounters(sold=50 * second, granted=50 * second, refused=0)
            for room in (auto, fixed):
                await queue.admit(room.show_id, now, counters)
            if second == 0:
                # before any confirmation the automatic rate starts where the room says
                assert (await queue.figures(auto.show_id))["admitting_per_minute"] == 60
        figures = await queue.figures(auto.show_id)
        # 3,000 a minute measured (smoothed over 5 s: 99.8 % there after 30 s), 25 % above it
        assert 2990 <= figures["confirmed_per_minute"] <= 3000
        assert 3740 <= figures["admitting_per_minute"] <= 3750
        assert (await queue.figures(fixed.show_id))["admitting_per_minute"] == 60

        # counts from a replica that read them earlier change nothing
        before = await queue.figures(auto.show_id)
        await queue.admit(auto.show_id, ON_SALE + timedelta(seconds=32), NONE)
        after = await queue.figures(auto.show_id)
        assert after["confirmed_per_minute"] == before["confirmed_per_minute"]
    finally:
        for room in (auto, fixed):
            await queue.remove(room.show_id)


async def test_admission_slows_as_holds_are_refused_for_want_of_places(redis: Redis) -> None:
    queue = Queue(redis, Signer(b"k" * 32), 0)
    room = new_room(rate=6000)
    await queue.configure(room)
    try:
        for _ in range(3000):
            await queue.join(room, uuid.uuid4(), ON_SALE - timedelta(seconds=1))
        for second in range(31):  # 9 holds in 10 find their seats taken
            counters = RoomCounters(sold=0, granted=10 * second, refused=90 * second)
            await queue.admit(room.show_id, ON_SALE + timedelta(seconds=second), counters)
        figures = await queue.figures(room.show_id)
        assert 0.89 <= figures["refused_share"] <= 0.9
        assert 600 <= figures["admitting_per_minute"] <= 700  # a tenth (and a bit) of 6,000
        user = uuid.uuid4()
        entry, _ = await queue.join(room, user, ON_SALE + timedelta(seconds=31))
        waiting = await queue.status(room, entry, user, ON_SALE + timedelta(seconds=31))
        # the estimate comes from the rate admission runs at now, not the organizer's
        expected = (waiting["ahead"] + 1) * 60 / figures["admitting_per_minute"]
        assert waiting["ahead"] > 100 and abs(waiting["eta_seconds"] - expected) <= 1
    finally:
        await queue.remove(room.show_id)
