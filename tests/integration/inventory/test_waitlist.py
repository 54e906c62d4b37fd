"""A sold-out show's waiting list on the real PostgreSQL and Redis: places that come back are
offered strictly in the order customers joined (the next one waits until enough places are
free), each offer is a hold reserved for its customer and announced, a booked offer ends as
booked, an offer not booked in time lapses and its places go to the next customer."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from boxoffice.inventory import store as inventory_store
from boxoffice.inventory.domain import HoldRequest
from boxoffice.inventory.waitlist import NotOnWaitlist, PlacesAvailable, Waitlists
from boxoffice.kernel.auth import Principal
from tests.integration.inventory.test_sales import AREA, Inventory, inventory

pytestmark = pytest.mark.integration

__all__ = ["inventory"]  # the fixture


def customer() -> Principal:
    return Principal(uuid.uuid4(), frozenset({"customer"}))


async def offer(lists: Waitlists) -> int:
    await asyncio.sleep(0.01)  # past the job's lease of the tick before
    return await lists.offer(lease_ms=5)


async def offers_announced(inventory: Inventory) -> list[dict[str, Any]]:
    outbox = inventory_store.messaging.outbox
    async with inventory.svc.store.engine.connect() as conn:
        rows = await conn.execute(
            sa.select(outbox.c.envelope)
            .where(outbox.c.type == "inventory.waitlist.offered")
            .order_by(outbox.c.seq)
        )
        return [dict(r.envelope["payload"]) for r in rows]


async def test_returned_places_are_offered_in_order_and_lapsed_offers_pass_on(
    inventory: Inventory,
) -> None:
    svc = inventory.svc
    lists = Waitlists(svc, offer_seconds=1)
    show_id = await inventory.new_show()
    # sold out: five seats held one by one, the ten standing places in one hold
    holders = [customer() for _ in range(6)]
    seat_holds = [
        (await svc.place_hold(holders[s - 1], show_id, HoldRequest((s,), ()), None))["hold_id"]
        for s in range(1, 6)
    ]
    await svc.place_hold(holders[5], show_id, HoldRequest((), ((AREA, 10),)), None)

    first, pair, third = customer(), customer(), customer()
    joined = await lists.join(first, show_id, 1)
    assert joined[1] and joined[0]["state"] == "waiting" and joined[0]["position"] == 1
    assert (await lists.join(pair, show_id, 2))[0]["position"] == 2
    assert (await lists.join(third, show_id, 1))[0]["position"] == 3
    again, new = await lists.join(first, show_id, 1)
    assert not new and again["position"] == 1
    with pytest.raises(NotOnWaitlist):
        await lists.status(customer(), show_id)
    assert await offer(lists) == 0  # nothing came back yet

    # one seat comes back: the first customer is offered it
    await svc.release_hold(holders[0], seat_holds[0])
    assert await offer(lists) == 1
    mine = await lists.status(first, show_id)
    assert mine["state"] == "offered" and mine["offer"]["hold_id"]
    held = await svc.get_hold(first, mine["offer"]["hold_id"])
    assert held["seat_ids"] == [1] and held["state"] == "held"
    # a second seat: the pair waits for two, and the customer after them does not jump ahead
    await svc.release_hold(holders[1], seat_holds[1])
    assert await offer(lists) == 0
    assert (await lists.status(third, show_id))["state"] == "waiting"
    await svc.release_hold(holders[2], seat_holds[2])
    assert await offer(lists) == 1
    offered = await lists.status(pair, show_id)
    assert offered["state"] == "offered"
    assert (await svc.get_hold(pair, offered["offer"]["hold_id"]))["seat_ids"] == [2, 3]
    assert (await lists.status(third, show_id))["position"] == 1

    # the first books their offer; the pair lets theirs run out
    booking = uuid.uuid4()
    await svc.attach_hold(mine["offer"]["hold_id"], first.user_id, booking, 60)
    assert await svc.sell_hold(mine["offer"]["hold_id"], booking)
    await asyncio.sleep(1.1)
    assert await offer(lists) == 1  # the pair's two seats came back: the next one gets one
    assert (await lists.status(first, show_id))["state"] == "booked"
    assert (await lists.status(pair, show_id))["state"] == "lapsed"
    last = await lists.status(third, show_id)
    assert last["state"] == "offered"
    assert (await svc.get_hold(third, last["offer"]["hold_id"]))["seat_ids"] == [2]
    assert await lists.figures(show_id) == {"waiting": 0, "offered": 1, "booked": 1, "lapsed": 1}

    # each offer was announced to its customer (the notification service tells them)
    announced = await offers_announced(inventory)
    assert [(a["user_id"], a["places"]) for a in announced] == [
        (str(first.user_id), ["A1"]),
        (str(pair.user_id), ["A2", "A3"]),
        (str(third.user_id), ["A2"]),  # the first of the pair's seats, back again
    ]

    # leaving gives the offer back at once
    await lists.leave(third, show_id)
    assert (await svc.holds.record(show_id, last["offer"]["hold_id"])) is None
    with pytest.raises(NotOnWaitlist):
        await lists.leave(third, show_id)


async def test_a_show_with_free_places_has_no_waiting_list_and_standing_places_are_offered(
    inventory: Inventory,
) -> None:
    svc = inventory.svc
    lists = Waitlists(svc, offer_seconds=60)
    show_id = await inventory.new_show()
    with pytest.raises(PlacesAvailable):
        await lists.join(customer(), show_id, 1)
    holder = customer()
    await svc.place_hold(holder, show_id, HoldRequest((1, 2, 3, 4, 5), ()), None)
    standing = await svc.place_hold(customer(), show_id, HoldRequest((), ((AREA, 10),)), None)
    fan = customer()
    await lists.join(fan, show_id, 3)
    await svc.release_hold(Principal(uuid.UUID(int=0), frozenset({"admin"})), standing["hold_id"])
    assert await offer(lists) == 1
    offered = await lists.status(fan, show_id)
    hold = await svc.get_hold(fan, offered["offer"]["hold_id"])
    assert hold["seat_ids"] == [] and [(g["area_id"], g["quantity"]) for g in hold["ga"]] == [
        (AREA, 3)
    ]
