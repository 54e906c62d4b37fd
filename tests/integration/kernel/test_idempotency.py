"""Idempotency-Key handling: the first call claims the key in its own transaction, a repeat
replays the stored answer, and concurrent repeats wait for the first to finish."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from boxoffice.kernel.errors import Conflict
from boxoffice.kernel.idempotency import IdempotentCall
from tests.integration.conftest import Scratch

pytestmark = pytest.mark.integration

BODY = {"hold_id": "h1", "payment": {"method": "card", "token": "tok_success"}}


async def create_thing(
    scratch: Scratch,
    key: str,
    body: Any = BODY,
    *,
    principal: str = "user-1",
    scope: str = "things.create",
    work: float = 0.0,
    fail: bool = False,
) -> tuple[str, tuple[int, Any] | None, dict[str, Any]]:
    """A write endpoint in miniature: claim or replay, then do the work and remember."""
    async with scratch.store.uow() as uow:
        call = IdempotentCall(uow, scratch.messaging.idempotency, scope, principal, key, body)
        replay = await call.replay()
        if replay is not None:
            return "replayed", replay, replay[1]
        thing_id = uuid.uuid4()
        await uow.execute(sa.insert(scratch.things).values(id=thing_id, name=str(thing_id)))
        await asyncio.sleep(work)
        if fail:
            raise RuntimeError("the first attempt fell over")
        answer = {"thing_id": str(thing_id), "status": "created"}
        await call.remember(201, answer)
    return "claimed", None, answer


async def test_the_first_call_claims_and_a_repeat_replays_its_answer(scratch: Scratch) -> None:
    kind, replay, answer = await create_thing(scratch, "k1")
    assert (kind, replay) == ("claimed", None)
    kind, replay, again = await create_thing(scratch, "k1")
    assert kind == "replayed"
    assert replay == (201, answer)
    assert again == answer
    assert await scratch.count(scratch.things) == 1


async def test_the_same_key_with_a_different_body_is_a_conflict(scratch: Scratch) -> None:
    await create_thing(scratch, "k2")
    with pytest.raises(Conflict, match="different request"):
        await create_thing(scratch, "k2", {**BODY, "hold_id": "h2"})
    assert await scratch.count(scratch.things) == 1


async def test_the_body_hash_ignores_key_order(scratch: Scratch) -> None:
    await create_thing(scratch, "k3", {"a": 1, "b": {"c": 2, "d": 3}})
    kind, _, _ = await create_thing(scratch, "k3", {"b": {"d": 3, "c": 2}, "a": 1})
    assert kind == "replayed"


async def test_keys_are_per_principal_and_per_scope(scratch: Scratch) -> None:
    await create_thing(scratch, "shared-key")
    other_user = await create_thing(scratch, "shared-key", principal="user-2")
    other_scope = await create_thing(scratch, "shared-key", scope="things.cancel")
    assert (other_user[0], other_scope[0]) == ("claimed", "claimed")
    assert await scratch.count(scratch.things) == 3


async def test_a_call_that_failed_leaves_its_key_free(scratch: Scratch) -> None:
    with pytest.raises(RuntimeError):
        await create_thing(scratch, "k4", fail=True)
    assert await scratch.count(scratch.messaging.idempotency) == 0
    kind, _, _ = await create_thing(scratch, "k4")
    assert kind == "claimed"


async def test_a_repeat_during_the_first_call_waits_and_replays(scratch: Scratch) -> None:
    first = asyncio.create_task(create_thing(scratch, "k5", work=0.5))
    await asyncio.sleep(0.2)  # the first call has claimed the key and is still working
    began = time.monotonic()
    kind, replay, answer = await create_thing(scratch, "k5")
    waited = time.monotonic() - began
    first_kind, _, first_answer = await first
    assert (first_kind, kind) == ("claimed", "replayed")
    assert replay == (201, first_answer) and answer == first_answer
    assert waited >= 0.2, "the repeat must wait for the first call to commit"
    assert await scratch.count(scratch.things) == 1


async def test_a_repeat_waiting_on_a_call_that_fails_takes_over_the_key(scratch: Scratch) -> None:
    first = asyncio.create_task(create_thing(scratch, "k6", work=0.3, fail=True))
    await asyncio.sleep(0.1)
    kind, replay, _ = await create_thing(scratch, "k6")
    with pytest.raises(RuntimeError):
        await first
    assert (kind, replay) == ("claimed", None)
    assert await scratch.count(scratch.things) == 1


async def test_concurrent_repeats_of_one_key_do_the_work_once(scratch: Scratch) -> None:
    results = await asyncio.gather(*(create_thing(scratch, "k7", work=0.05) for _ in range(8)))
    kinds = sorted(kind for kind, _, _ in results)
    assert kinds == ["claimed"] + ["replayed"] * 7
    [claimed] = [answer for kind, _, answer in results if kind == "claimed"]
    assert all(answer == claimed for _, _, answer in results), "all get the first answer"
    assert await scratch.count(scratch.things) == 1
