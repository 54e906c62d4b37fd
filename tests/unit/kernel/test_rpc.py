"""The service client: retries only idempotent calls, opens its breaker, passes problems on."""

from __future__ import annotations

import httpx
import pytest

from boxoffice.kernel.errors import Unavailable
from boxoffice.kernel.rpc import CircuitBreaker, RemoteProblem, ServiceClient


def client_with(handler: httpx.MockTransport, **kw: object) -> ServiceClient:
    client = ServiceClient("inventory", ["http://a", "http://b"], "token", backoff=0, **kw)  # type: ignore[arg-type]
    client._http = httpx.AsyncClient(transport=handler, headers=client._http.headers)
    return client


async def test_idempotent_call_is_retried_on_another_replica_after_a_failure() -> None:
    seen: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.host)
        if len(seen) == 1:
            return httpx.Response(502)
        return httpx.Response(200, json={"sold": True})

    client = client_with(httpx.MockTransport(handle))
    assert await client.call("POST", "/x", idempotent=True) == {"sold": True}
    assert len(seen) == 2 and seen[0] != seen[1]


async def test_non_idempotent_call_is_not_retried() -> None:
    calls = 0

    def handle(_: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(503)

    client = client_with(httpx.MockTransport(handle))
    with pytest.raises(Unavailable):
        await client.call("POST", "/x")
    assert calls == 1


async def test_open_breaker_fails_fast_without_calling() -> None:
    calls = 0

    def handle(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ConnectError("refused", request=request)

    client = client_with(
        httpx.MockTransport(handle), breaker=CircuitBreaker(threshold=2, cooldown=60)
    )
    for _ in range(2):
        with pytest.raises(Unavailable):
            await client.call("GET", "/x")
    assert client.breaker.state == "open"
    before = calls
    with pytest.raises(Unavailable):
        await client.call("GET", "/x", idempotent=True)
    assert calls == before


async def test_problem_answers_are_passed_on_with_status_and_fields() -> None:
    def handle(_: httpx.Request) -> httpx.Response:
        return httpx.Response(
            409,
            json={
                "type": "tag:boxoffice.example,2025:problem:hold-in-use",
                "title": "Hold in use",
                "status": 409,
                "detail": "taken",
                "booking_id": "b1",
            },
        )

    client = client_with(httpx.MockTransport(handle))
    with pytest.raises(RemoteProblem) as raised:
        await client.call("POST", "/x", idempotent=True)
    assert raised.value.status == 409
    assert raised.value.title == "Hold in use"
    assert raised.value.extra == {"booking_id": "b1"}
    assert raised.value.type_uri == "tag:boxoffice.example,2025:problem:hold-in-use"
    assert client.breaker.state == "closed"


def test_breaker_half_opens_after_cooldown_and_closes_on_success() -> None:
    breaker = CircuitBreaker(threshold=1, cooldown=0)
    breaker.failed()
    assert breaker.state == "open"
    assert breaker.allow()  # the trial call
    assert not breaker.allow()  # only one trial at a time
    breaker.succeeded()
    assert breaker.state == "closed" and breaker.allow()
