"""Shared FastAPI dependencies: whose address a request comes from (X-Real-IP only from a trusted
proxy), and the problem statuses each dependency declares for the API documentation."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from fastapi import FastAPI, Request
from starlette.exceptions import StarletteDeprecationWarning

from boxoffice.kernel import web

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient


def app(*, behind_proxy: bool | None) -> FastAPI:
    made = FastAPI()
    if behind_proxy is not None:
        made.state.behind_proxy = behind_proxy

    @made.get("/who")
    async def who(request: Request) -> dict[str, str]:
        return {"address": web.client_address(request)}

    return made


def address(client: TestClient, **headers: str) -> Any:
    return client.get("/who", headers=headers).json()["address"]


@pytest.mark.parametrize("behind_proxy", [False, None])
def test_a_client_cannot_choose_its_address_with_x_real_ip(behind_proxy: bool | None) -> None:
    client = TestClient(app(behind_proxy=behind_proxy), client=("198.51.100.7", 5000))
    assert address(client) == "198.51.100.7"
    assert address(client, **{"X-Real-IP": "203.0.113.9"}) == "198.51.100.7"


def test_behind_a_trusted_proxy_the_address_is_the_one_it_sets() -> None:
    client = TestClient(app(behind_proxy=True), client=("127.0.0.1", 5000))
    assert address(client, **{"X-Real-IP": "203.0.113.9"}) == "203.0.113.9"
    assert address(client) == "127.0.0.1"  # a request that did not come through the proxy


def test_every_dependency_that_can_answer_a_problem_says_which() -> None:
    # Role checks say 403; their 401 comes from current_user, which they depend on (the OpenAPI
    # document collects statuses over the whole dependency tree).
    declared = {
        web.current_user: (401,),
        web.optional_user: (401,),
        web._organizer: (403,),
        web._admin: (403,),
        web._idempotency_key: (422,),
        web._internal: (403,),
    }
    for dependency, statuses in declared.items():
        assert getattr(dependency, "problem_statuses", None) == statuses, dependency.__name__
    staff = web.require_roles("staff").dependency  # type: ignore[attr-defined]
    assert staff.problem_statuses == (403,)
