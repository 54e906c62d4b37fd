"""The service client: retries only idempotent calls, opens its breaker, passes problems on,
and carries the trace context to the callee."""

from __future__ import annotations

import httpx
import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from boxoffice.kernel.errors import Unavailable
from boxoffice.kernel.rpc import CircuitBreaker, RemoteProblem, ServiceClient
from boxoffice.kernel.telemetry import setup_tracing, tracer


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


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    setup_tracing("test").add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


async def test_every_attempt_is_a_client_span_whose_context_the_callee_receives(
    spans: InMemorySpanExporter,
) -> None:
    received: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        received.append(request.headers.get("traceparent", ""))
        return httpx.Response(502 if len(received) == 1 else 200, json={"ok": True})

    client = client_with(httpx.MockTransport(handle))
    spans.clear()
    with tracer.start_as_current_span("POST /api/v1/bookings") as parent:
        assert await client.call("POST", "/internal/x", idempotent=True) == {"ok": True}
    trace_id = parent.get_span_context().trace_id

    attempts = [s for s in spans.get_finished_spans() if s.kind == SpanKind.CLIENT]
    assert [s.name for s in attempts] == ["POST inventory", "POST inventory"]
    assert len(received) == 2
    for header, span in zip(received, attempts, strict=True):
        version, header_trace, header_parent, _flags = header.split("-")
        assert version == "00"
        assert int(header_trace, 16) == trace_id == span.context.trace_id
        assert int(header_parent, 16) == span.context.span_id  # the callee's parent: this span
        assert span.parent is not None and span.parent.span_id == parent.get_span_context().span_id
    assert attempts[0].attributes is not None and attempts[1].attributes is not None
    assert attempts[0].attributes["http.response.status_code"] == 502
    assert attempts[0].status.status_code == StatusCode.ERROR
    assert attempts[1].attributes["http.request.resend_count"] == 1
    assert attempts[1].attributes["peer.service"] == "inventory"
