"""An on-sale survives its processes: the waiting room's line lives in Redis, so a server killed
in the middle of admission (all-in-one: the whole process; distributed: an inventory replica)
comes back to the same line in the same order, the passes it gave still admit, joining again
keeps one's place, and admission goes on where it was."""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from boxoffice.inventory.onsale import solve
from tests.acceptance.crowd import (
    Customer,
    create_show,
    create_users,
    crowd_client,
    fresh_infra,
    login_admin,
    poll,
)
from tests.acceptance.test_distributed import processes
from tests.conftest import ADMIN, Infra, start_server, stop_server

SETTINGS = {"admin_email": ADMIN[0], "admin_password": ADMIN[1], "queue_pow_bits": "4"}


async def join(client: httpx.AsyncClient, me: Customer, show_id: str) -> httpx.Response:
    c = (await client.get(f"/shows/{show_id}/queue/challenge", headers=me.headers)).json()
    solution = solve(c["challenge"], c["difficulty_bits"])
    return await client.post(
        f"/shows/{show_id}/queue",
        headers=me.headers,
        json={"challenge": c["challenge"], "solution": solution},
    )


async def statuses(
    client: httpx.AsyncClient, places: list[tuple[Customer, str]]
) -> list[dict[str, Any]]:
    answers = await asyncio.gather(
        *(client.get(f"/queue/{q}", headers=me.headers) for me, q in places)
    )
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    return [a.json() for a in answers]


def line_order(seen: list[dict[str, Any]]) -> list[int]:
    """Customers' indexes, admitted first (by nothing: a set), then waiting by position."""
    waiting = [(s["position"], i) for i, s in enumerate(seen) if s["state"] == "waiting"]
    return [i for _, i in sorted(waiting)]


@pytest.mark.own_server
async def test_a_process_killed_mid_on_sale_comes_back_to_the_same_line(
    infra: Infra, tmp_path: Path, shape: str
) -> None:
    async with fresh_infra(infra) as own:
        first = await asyncio.to_thread(start_server, own, tmp_path / "first", shape, **SETTINGS)
        second = None
        try:
            async with crowd_client(first.api) as client:
                admin = await login_admin(client)
                (organizer,) = await create_users(client, admin, 1, roles=("organizer",))
                customers, show = await asyncio.gather(
                    create_users(client, admin, 24), create_show(client, organizer, 3, 10)
                )
                show_id = show["id"]
                now = datetime.now(UTC)
                room = await client.put(
                    f"/shows/{show_id}/waiting-room",
                    headers=organizer.headers,
                    json={
                        "opens_at": (now - timedelta(minutes=1)).isoformat(),
                        "on_sale_at": (now + timedelta(seconds=4)).isoformat(),
                        "admission_rate": 60,  # one a second: the line is still long at the kill
                        "pass_ttl_seconds": 600,
                    },
                )
                assert room.status_code == 200, room.text
                joined = await asyncio.gather(*(join(client, me, show_id) for me in customers))
                assert all(j.status_code == 201 for j in joined), [j.text for j in joined]
                places = [
                    (me, j.json()["queue_id"]) for me, j in zip(customers, joined, strict=True)
                ]

                async def some_admitted() -> bool:
                    r = await client.get(f"/shows/{show_id}/waiting-room")
                    return bool(r.json()["admitted_so_far"] >= 3)

                await poll(some_admitted, 30, 0.2, "admission to begin")
                before = await statuses(client, places)

            if shape == "distributed":  # one inventory replica dies; the other goes on
                victim = next(p for p in processes(first) if p["service"] == "inventory")
                os.kill(victim["pid"], signal.SIGKILL)
                api = first.api
            else:  # the whole process dies and a new one starts on the same stores and keys
                first.process.kill()
                first.process.wait()
                second = await asyncio.to_thread(
                    start_server,
                    own,
                    tmp_path / "second",
                    shape,
                    var_dir=str(tmp_path / "first" / "var"),
                    **SETTINGS,
                )
                api = second.api

            async with crowd_client(api) as client:
                after = await statuses(client, places)
                let_in = [i for i, s in enumerate(before) if s["state"] == "admitted"]
                assert len(let_in) >= 3
                # the admitted are still admitted, with passes that still hold seats
                assert all(after[i]["state"] == "admitted" for i in let_in)
                seats = iter(s["id"] for s in show["seats"])
                for i in let_in[:3]:
                    me = customers[i]
                    r = await client.post(
                        f"/shows/{show_id}/holds",
                        headers={**me.headers, "X-Admission-Pass": after[i]["admission_pass"]},
                        json={"seat_ids": [next(seats)]},
                    )
                    assert r.status_code == 201, r.text
                # the ones still waiting stand in the same order
                still = [i for i in line_order(before) if after[i]["state"] == "waiting"]
                assert still and still == line_order(after)[: len(still)]
                # joining again keeps one's place; no pass, no hold
                me, queue_id = places[still[-1]]
                rejoined = await join(client, me, show_id)
                assert rejoined.status_code == 200 and rejoined.json()["queue_id"] == queue_id
                refused = await client.post(
                    f"/shows/{show_id}/holds", headers=me.headers, json={"seat_ids": [next(seats)]}
                )
                assert refused.status_code == 403, refused.text
                # and admission goes on from where it was
                counted = before[0]["admitted_so_far"]

                async def moving() -> bool:
                    r = await client.get(f"/shows/{show_id}/waiting-room")
                    return bool(r.json()["admitted_so_far"] >= counted + 3)

                await poll(moving, 30, 0.2, "admission to go on")
                now_in = [
                    i
                    for i, s in enumerate(await statuses(client, places))
                    if s["state"] == "admitted"
                ]
                assert len(now_in) >= counted + 3
                # in line order: those let in since are the first of the line (give or take the
                # one admission step that may fall between the status reads)
                fresh = set(now_in) - set(let_in)
                assert fresh <= set(line_order(before)[: len(fresh) + 2])
        finally:
            if second is not None:
                await asyncio.to_thread(stop_server, second)
            elif first.process.poll() is None:
                await asyncio.to_thread(stop_server, first)
