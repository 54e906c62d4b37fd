"""The hold fast path answers exactly as the rest of the API does: the created hold's Location,
and kernel.problems' mapping for every failure (a store outage is a 503 to retry)."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from redis.exceptions import ConnectionError as RedisConnectionError
from starlette.exceptions import StarletteDeprecationWarning

from boxoffice.inventory.api import router
from boxoffice.inventory.domain import SeatsTaken
from boxoffice.inventory.fastpath import FastHolds
from boxoffice.inventory.service import InventoryService
from boxoffice.kernel.auth import Principal
from boxoffice.kernel.problems import PROBLEM, TYPE_BASE, install_problem_handlers
from boxoffice.kernel.registry import Services

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

SHOW = uuid.uuid4()
USER = Principal(uuid.uuid4(), frozenset({"customer"}))


class Verifier:
    def verify(self, _token: str) -> Principal:
        return USER


class Inventory:
    """Stands for InventoryService.place_hold: answers or raises what the test sets."""

    outcome: Any = None

    async def place_hold(self, *_: Any) -> dict[str, Any]:
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return {
            "hold_id": "a" * 32 + "." + "b" * 16,
            "show_id": SHOW,
            "seat_ids": [1],
            "ga": [],
            "expires_at": datetime.now(UTC),
        }


@pytest.fixture
def inventory() -> Inventory:
    return Inventory()


@pytest.fixture
def client(inventory: Inventory) -> Iterator[TestClient]:
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(router, prefix="/api/v1")
    app.add_middleware(FastHolds)
    app.state.verifier = Verifier()
    app.state.services = Services()
    app.state.services.provide(InventoryService, inventory)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def hold(client: TestClient) -> Any:
    return client.post(
        f"/api/v1/shows/{SHOW}/holds",
        json={"seat_ids": [1]},
        headers={"Authorization": "Bearer t"},
    )


def test_a_hold_made_on_the_fast_path_says_where_it_is(client: TestClient) -> None:
    r = hold(client)
    assert r.status_code == 201
    assert r.headers["location"] == f"/api/v1/holds/{r.json()['hold_id']}"


def test_a_domain_error_on_the_fast_path_has_its_problem_type(
    client: TestClient, inventory: Inventory
) -> None:
    inventory.outcome = SeatsTaken("Already taken: A1.", seat_ids=[1])
    r = hold(client)
    assert r.status_code == 409
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["type"] == TYPE_BASE + "seats-taken"


def test_a_store_outage_on_the_fast_path_is_a_503_to_retry(
    client: TestClient, inventory: Inventory, caplog: pytest.LogCaptureFixture
) -> None:
    inventory.outcome = RedisConnectionError("Error 111 connecting to 127.0.0.1:6379")
    r = hold(client)
    assert r.status_code == 503
    assert r.headers["retry-after"] == "1"
    assert r.json()["type"] == TYPE_BASE + "service-unavailable"
    assert [(rec.levelname, rec.exc_info) for rec in caplog.records] == [("WARNING", None)]
