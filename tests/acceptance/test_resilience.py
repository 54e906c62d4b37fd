"""Failure against a running system: a server killed mid-payment, a show's Redis keys lost, and
every event delivered a second time. The invariants hold through each, and nothing waits forever."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import nats
import pytest
from nats.js.errors import NotFoundError
from redis.asyncio import Redis

from tests.acceptance.crowd import (
    Customer,
    create_show,
    create_users,
    crowd_client,
    fresh_infra,
    login_admin,
    poll,
    seat_states,
    settle,
)
from tests.conftest import ADMIN, Infra, Server, start_server, stop_server
from tests.invariants import asyncpg_dsn, wait_for_invariants

KEEPS_NO_MONEY = {"failed", "voided", "refunded"}


async def hold_and_book(
    client: httpx.AsyncClient, me: Customer, show_id: str, seats: list[int], token: str
) -> tuple[str, str]:
    """Hold seats and book them; returns (hold_id, booking_id)."""
    hold = await client.post(
        f"/shows/{show_id}/holds", headers=me.headers, json={"seat_ids": seats}
    )
    assert hold.status_code == 201, hold.text
    booking = await client.post(
        "/bookings",
        headers={**me.headers, "Idempotency-Key": uuid.uuid4().hex},
        json={"hold_id": hold.json()["hold_id"], "payment": {"token": token}},
    )
    assert booking.status_code == 202, booking.text
    return hold.json()["hold_id"], booking.json()["booking_id"]


async def fetch(database_url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


async def payment_states(database_url: str, booking_ids: list[str]) -> dict[str, str]:
    rows = await fetch(
        database_url,
        "SELECT booking_id::text AS booking, status FROM payment.payments "
        "WHERE booking_id = ANY($1::uuid[])",
        booking_ids,
    )
    return {r["booking"]: r["status"] for r in rows}


def assert_no_tracebacks(server: Server) -> None:
    tracebacks = [line for line in server.log.read_text().splitlines() if "Traceback" in line]
    assert not tracebacks, f"the server logged errors; see {server.log}"


# -- a killed process ------------------------------------------------------------------------

RESTART_SETTINGS = {
    "payment_slow_seconds": "5",
    "payment_timeout_seconds": "45",
    "saga_sweep_seconds": "0.5",
    "hold_sweep_seconds": "0.5",
    "consumer_ack_wait_seconds": "5",
    "admin_email": ADMIN[0],
    "admin_password": ADMIN[1],
}


@pytest.mark.own_server
async def test_a_server_killed_mid_payment_resumes_every_saga_on_restart(
    infra: Infra, tmp_path: Path
) -> None:
    async with fresh_infra(infra) as own:
        first = await asyncio.to_thread(start_server, own, tmp_path / "first", **RESTART_SETTINGS)
        try:
            async with crowd_client(first.api) as client:
                admin = await login_admin(client)
                (organizer,) = await create_users(client, admin, 1, roles=("organizer",))
                customers, show = await asyncio.gather(
                    create_users(client, admin, 8), create_show(client, organizer, 2, 10)
                )
                pairs = [[s["id"] for s in show["seats"][i : i + 2]] for i in range(0, 16, 2)]
                in_flight = [
                    booking
                    for _, booking in await asyncio.gather(
                        *(
                            hold_and_book(client, me, show["id"], seats, "tok_slow")
                            for me, seats in zip(customers[:6], pairs[:6], strict=True)
                        )
                    )
                ]

                async def charging() -> bool:
                    states = await payment_states(own.database_url, in_flight)
                    return len(states) == 6 and set(states.values()) == {"processing"}

                # The provider sleeps on six charges: kill the server in the middle of them,
                # right after two more bookings that may not have reached the payment step yet.
                await poll(charging, 15, 0.05, "six charges in flight")
                late = [
                    booking
                    for _, booking in await asyncio.gather(
                        *(
                            hold_and_book(client, me, show["id"], seats, token)
                            for me, seats, token in zip(
                                customers[6:], pairs[6:], ["tok_slow", "tok_success"], strict=True
                            )
                        )
                    )
                ]
        finally:
            first.process.kill()
            first.process.wait()
        pending = await fetch(
            own.database_url,
            "SELECT id::text FROM booking.bookings WHERE status = 'PENDING'",
        )
        assert {r["id"] for r in pending} >= set(in_flight), "the kill came too late"
        assert set((await payment_states(own.database_url, in_flight)).values()) == {"processing"}

        # Same database, stream and keys (var dir): the tokens issued by the first server work.
        second = await asyncio.to_thread(
            start_server,
            own,
            tmp_path / "second",
            var_dir=str(tmp_path / "first" / "var"),
            **RESTART_SETTINGS,
        )
        try:
            async with crowd_client(second.api) as client:
                bookings = list(zip(customers, in_flight + late, strict=True))
                settled = await asyncio.gather(
                    *(settle(client, me, b, timeout=40) for me, b in bookings)
                )
                payments = [
                    (await client.get(f"/bookings/{b}/payment", headers=me.headers)).json()
                    for me, b in bookings
                ]
                map_after = await seat_states(client, show["id"])
        finally:
            await asyncio.to_thread(stop_server, second)

        for i, (booking, paid) in enumerate(zip(settled, payments, strict=True)):
            if i < 6:  # a charge in flight when the process died is asked again; the saga ends
                assert booking["status"] == "CONFIRMED", booking
            assert booking["status"] in {"CONFIRMED", "FAILED"}, booking
            if booking["status"] == "CONFIRMED":
                assert paid["status"] == "captured" and paid["amount"] == booking["total"], paid
                assert [t["status"] for t in booking["tickets"]] == ["valid", "valid"]
            else:
                assert paid.get("status") in KEEPS_NO_MONEY | {None}, paid
        sold = {
            line["seat_id"]
            for booking in settled
            if booking["status"] == "CONFIRMED"
            for line in booking["lines"]
        }
        assert {s for s, state in map_after.items() if state == "sold"} == sold
        problems = await wait_for_invariants(own.database_url, show["id"], redis_url=own.redis_url)
        assert problems == []
        assert_no_tracebacks(second)


# -- lost Redis data -------------------------------------------------------------------------


async def forget_show(redis_url: str, show_id: str) -> int:
    """Delete every Redis key of one show, as if Redis had lost its data (never FLUSHALL: the
    Redis database is shared with other test sessions)."""
    redis = Redis.from_url(redis_url, decode_responses=True)
    try:
        keys = [k async for k in redis.scan_iter(match=f"{{s:{uuid.UUID(show_id).hex}}}:*")]
        if keys:
            await redis.delete(*keys)
        return len(keys)
    finally:
        await redis.aclose()


async def test_a_show_whose_redis_keys_are_lost_is_rebuilt_from_postgres_and_sells_nothing_twice(
    server: Server, infra: Infra
) -> None:
    async with crowd_client(server.api) as client:
        admin = await login_admin(client)
        (organizer,) = await create_users(client, admin, 1, roles=("organizer",))
        (ann, bob, cat, dan), show = await asyncio.gather(
            create_users(client, admin, 4), create_show(client, organizer, 3, 10)
        )
        show_id, seats = show["id"], [s["id"] for s in show["seats"]]

        _, ann_booking = await hold_and_book(client, ann, show_id, seats[0:2], "tok_success")
        _, bob_booking = await hold_and_book(client, bob, show_id, seats[2:4], "tok_success")
        assert (await settle(client, ann, ann_booking))["status"] == "CONFIRMED"
        assert (await settle(client, bob, bob_booking))["status"] == "CONFIRMED"
        plain = await client.post(
            f"/shows/{show_id}/holds", headers=cat.headers, json={"seat_ids": seats[4:6]}
        )
        assert plain.status_code == 201, plain.text
        # Dan pays slowly (1 s), and Redis loses the show while his payment is under way.
        _, dan_booking = await hold_and_book(client, dan, show_id, seats[6:8], "tok_slow")
        assert await forget_show(infra.redis_url, show_id) > 0
        dan_now = await fetch(
            infra.database_url,
            "SELECT status FROM booking.bookings WHERE id = $1",
            uuid.UUID(dan_booking),
        )
        assert dan_now[0]["status"] == "PENDING", "the loss came too late"

        # The seat map is rebuilt from PostgreSQL: what was sold is still sold, under a version
        # no client has seen before (so no cache or ETag serves the map from before the loss).
        r = await client.get(f"/shows/{show_id}/seats", headers={"If-None-Match": show["etag"]})
        assert r.status_code == 200 and r.headers["ETag"] != show["etag"], r.headers
        states = {s["id"]: s["state"] for s in r.json()["seats"]}
        assert [states[s] for s in seats[0:4]] == ["sold"] * 4
        assert all(states[s] == "available" for s in seats[4:])  # holds live only in Redis
        again = await client.post(
            f"/shows/{show_id}/holds", headers=cat.headers, json={"seat_ids": seats[1:3]}
        )
        assert again.status_code == 409, again.text
        assert sorted(again.json()["seat_ids"]) == sorted(seats[1:3])
        lost_hold = await client.get(f"/holds/{plain.json()['hold_id']}", headers=cat.headers)
        assert lost_hold.status_code == 404

        # Cat takes the seats Dan's lost hold had; exactly one of them ends up with them.
        _, cat_booking = await hold_and_book(client, cat, show_id, seats[6:8], "tok_success")
        cat_final = await settle(client, cat, cat_booking)
        dan_final = await settle(client, dan, dan_booking)
        dan_paid = await poll(
            lambda: _final_payment(client, dan, dan_booking), 15, what="Dan's money settled"
        )
        states = await seat_states(client, show_id)

    assert cat_final["status"] == "CONFIRMED", cat_final
    assert dan_final["status"] in {"EXPIRED", "FAILED"}, dan_final
    assert dan_final["tickets"] == []
    assert dan_paid["status"] in KEEPS_NO_MONEY, dan_paid
    if dan_paid["status"] == "refunded":
        assert dan_paid["refunded"] == dan_paid["amount"] == dan_final["total"]
    assert [states[s] for s in seats[0:8]] == ["sold"] * 4 + ["available"] * 2 + ["sold"] * 2
    assert await wait_for_invariants(infra.database_url, show_id, redis_url=infra.redis_url) == []


async def _final_payment(
    client: httpx.AsyncClient, me: Customer, booking_id: str
) -> dict[str, Any] | None:
    r = await client.get(f"/bookings/{booking_id}/payment", headers=me.headers)
    if r.status_code == 404:
        return None  # no payment yet
    paid: dict[str, Any] = r.json()
    return paid if paid["status"] in KEEPS_NO_MONEY else None


# -- repeated messages ------------------------------------------------------------------------

SNAPSHOT = {
    "bookings": "SELECT id::text, status, reason, payment_id::text FROM booking.bookings",
    "tickets": "SELECT id::text, status FROM booking.tickets",
    "saga_steps": "SELECT count(*) FROM booking.saga_steps",
    "payments": "SELECT id::text, status, amount, refunded, provider_ref FROM payment.payments",
    "refunds": "SELECT id::text, amount FROM payment.refunds",
    "notifications": "SELECT id::text, kind, booking_id::text FROM notification.notifications",
    "sold_seats": "SELECT show_id::text, seat_id, booking_id::text FROM inventory.sold_seats",
    "ga": "SELECT show_id::text, area_id, sold FROM inventory.ga_areas",
    "inventory_shows": "SELECT show_id::text, status, updated_at FROM inventory.shows",
    **{
        f"{schema}_{table}": f"SELECT count(*) FROM {schema}.{table}"
        for schema in ("inventory", "booking", "payment", "notification")
        for table in ("outbox", "inbox", "dead_letters")
    },
}


async def snapshot(database_url: str) -> dict[str, list[tuple[Any, ...]]]:
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            return {
                name: sorted(tuple(r) for r in await conn.fetch(query))
                for name, query in SNAPSHOT.items()
            }
    finally:
        await conn.close()


async def quiet(database_url: str) -> bool:
    """No saga waiting, no charge the provider is still to answer, no outbox row unpublished.
    The never-answering card, and charges a stopped server left behind (only a restart resumes
    them), change nothing while this test runs, so they do not count."""
    rows = await fetch(
        database_url,
        """
        SELECT (SELECT count(*) FROM booking.bookings WHERE status = 'PENDING')
             + (SELECT count(*) FROM payment.payments WHERE provider_ref IS NULL
                AND status IN ('processing', 'voided') AND token NOT IN ('', 'tok_timeout')
                AND created_at > now() - interval '30 seconds')
             + (SELECT count(*) FROM booking.outbox WHERE published_at IS NULL)
             + (SELECT count(*) FROM payment.outbox WHERE published_at IS NULL)
             + (SELECT count(*) FROM inventory.outbox WHERE published_at IS NULL)
             + (SELECT count(*) FROM catalog.outbox WHERE published_at IS NULL)
             + (SELECT count(*) FROM identity.outbox WHERE published_at IS NULL) AS busy
        """,
    )
    return bool(rows[0]["busy"] == 0)


async def consumers_drained(js: Any, stream: str) -> bool:
    infos = await js.consumers_info(stream)
    return bool(infos) and all(c.num_pending == 0 and c.num_ack_pending == 0 for c in infos)


async def deliveries(js: Any, stream: str) -> tuple[int, set[str]]:
    """Messages delivered to the stream's consumers so far, and the subjects they follow."""
    infos = await js.consumers_info(stream)
    return sum(c.delivered.consumer_seq for c in infos), {c.config.filter_subject for c in infos}


async def test_every_event_delivered_again_changes_nothing(server: Server, infra: Infra) -> None:
    async with crowd_client(server.api) as client:
        admin = await login_admin(client)
        (organizer,) = await create_users(client, admin, 1, roles=("organizer",))
        (ann, bob, cat), show = await asyncio.gather(
            create_users(client, admin, 3), create_show(client, organizer, 2, 10, ga_capacity=20)
        )
        show_id, seats = show["id"], [s["id"] for s in show["seats"]]
        area = show["areas"][0]["id"]
        # Every saga branch puts its events on the stream: confirmed, declined, cancelled.
        _, confirmed = await hold_and_book(client, ann, show_id, seats[0:2], "tok_success")
        _, declined = await hold_and_book(client, bob, show_id, seats[2:4], "tok_decline")
        hold = await client.post(
            f"/shows/{show_id}/holds",
            headers=cat.headers,
            json={"seat_ids": seats[4:5], "ga": [{"area_id": area, "quantity": 3}]},
        )
        assert hold.status_code == 201, hold.text
        booked = await client.post(
            "/bookings",
            headers=cat.headers,
            json={"hold_id": hold.json()["hold_id"], "payment": {"token": "tok_success"}},
        )
        assert booked.status_code == 202, booked.text
        cancelled = booked.json()["booking_id"]
        assert (await settle(client, ann, confirmed))["status"] == "CONFIRMED"
        assert (await settle(client, bob, declined))["status"] == "FAILED"
        assert (await settle(client, cat, cancelled))["status"] == "CONFIRMED"
        r = await client.post(f"/bookings/{cancelled}/cancel", headers=cat.headers)
        assert r.status_code == 200 and r.json()["status"] == "CANCELLED", r.text
        await poll(
            lambda: _final_payment(client, cat, cancelled), 15, what="the refund of the cancel"
        )

    nc = await nats.connect(infra.nats_url)
    try:
        js = nc.jetstream()
        await poll(lambda: quiet(infra.database_url), 40, what="no saga in progress")
        await poll(lambda: consumers_drained(js, infra.stream), 30, what="consumers drained")
        before = await snapshot(infra.database_url)
        delivered, followed = await deliveries(js, infra.stream)
        info = await js.stream_info(infra.stream)
        copies = 0  # of events some consumer follows
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            try:
                msg = await js.get_msg(infra.stream, seq)
            except NotFoundError:
                continue
            assert msg.subject is not None and msg.data is not None
            # A new message id, so JetStream's duplicate window lets every copy through.
            await js.publish(msg.subject, msg.data, headers={"Nats-Msg-Id": uuid.uuid4().hex})
            copies += msg.subject in followed
        assert copies >= 10
        await poll(lambda: consumers_drained(js, infra.stream), 30, what="copies consumed")
        assert (await deliveries(js, infra.stream))[0] >= delivered + copies
        await asyncio.sleep(1.0)  # anything a copy set off (after-commit work) has landed
        after = await snapshot(infra.database_url)
    finally:
        await nc.close()

    changed = {name for name in SNAPSHOT if before[name] != after[name]}
    assert changed == set(), {name: (before[name], after[name]) for name in changed}
    assert await wait_for_invariants(infra.database_url, show_id, redis_url=infra.redis_url) == []
