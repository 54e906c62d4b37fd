"""Synchronous calls between services (distributed shape): timeouts, jittered retries for
idempotent calls, a circuit breaker per upstream that fails fast with 503, and a client span per
attempt whose trace context travels in the W3C `traceparent` header."""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import httpx
from opentelemetry import trace

from boxoffice.kernel.config import default
from boxoffice.kernel.errors import DomainError, Unavailable
from boxoffice.kernel.telemetry import inject_trace, tracer

INTERNAL_TOKEN_HEADER = "X-Boxoffice-Internal"


class RemoteProblem(DomainError):
    """A 4xx problem answered by another service, passed on to our caller unchanged."""

    def __init__(
        self, status: int, title: str, detail: str, type_uri: str | None = None, **extra: Any
    ) -> None:
        super().__init__(detail, **extra)
        self.status = status  # type: ignore[misc]
        self.title = title  # type: ignore[misc]
        self.type_uri = type_uri  # the other service's problem type, passed on unchanged


class CircuitBreaker:
    """Closed → open after `threshold` consecutive failures; after `cooldown` seconds one
    trial call is let through (half-open) and its outcome closes or reopens the circuit."""

    def __init__(self, threshold: int = 5, cooldown: float = 5.0) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self.failures = 0
        self.opened_at: float | None = None
        self._trial = False

    def allow(self) -> bool:
        if self.opened_at is None:
            return True
        if time.monotonic() - self.opened_at >= self.cooldown and not self._trial:
            self._trial = True
            return True
        return False

    def succeeded(self) -> None:
        self.failures = 0
        self.opened_at = None
        self._trial = False

    def failed(self) -> None:
        self.failures += 1
        self._trial = False
        if self.failures >= self.threshold:
            self.opened_at = time.monotonic()

    @property
    def state(self) -> str:
        return "closed" if self.opened_at is None else "open"


class ServiceClient:
    """Calls one upstream service, spread over its replicas' base URLs."""

    def __init__(
        self,
        name: str,
        base_urls: list[str],
        token: str,
        *,
        timeout: float = default("rpc_timeout_seconds"),
        retries: int = 2,
        backoff: float = 0.05,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        if not base_urls:
            raise ValueError(f"no URL configured for the {name} service")
        self.name = name
        self.base_urls = base_urls
        self.retries = retries
        self.backoff = backoff
        self.breaker = breaker or CircuitBreaker()
        self._http = httpx.AsyncClient(
            timeout=timeout,
            headers={INTERNAL_TOKEN_HEADER: token},
            limits=httpx.Limits(max_connections=200),
        )

    async def call(
        self, method: str, path: str, *, json: Any = None, idempotent: bool = False
    ) -> Any:
        attempts = 1 + (self.retries if idempotent else 0)
        urls = random.sample(self.base_urls, len(self.base_urls))
        for attempt in range(attempts):
            if not self.breaker.allow():
                raise Unavailable(
                    f"The {self.name} service is unavailable; try again shortly.", service=self.name
                )
            url = urls[attempt % len(urls)] + path
            try:
                response = await self._send(method, url, json, attempt)
            except httpx.HTTPError:
                self.breaker.failed()
            else:
                if response.status_code < 500:
                    self.breaker.succeeded()
                    if response.status_code >= 400:
                        raise _problem(response)
                    return response.json() if response.content else None
                self.breaker.failed()
            if attempt + 1 < attempts:
                await asyncio.sleep(self.backoff * 2**attempt * (0.5 + random.random()))
        raise Unavailable(
            f"The {self.name} service did not answer; try again shortly.", service=self.name
        )

    async def _send(self, method: str, url: str, json: Any, attempt: int) -> httpx.Response:
        """One attempt in a client span; the callee's server span continues its context."""
        with tracer.start_as_current_span(
            f"{method} {self.name}",
            kind=trace.SpanKind.CLIENT,
            attributes={
                "http.request.method": method,
                "url.full": url,
                "peer.service": self.name,
                **({"http.request.resend_count": attempt} if attempt else {}),
            },
        ) as span:
            response = await self._http.request(method, url, json=json, headers=inject_trace())
            span.set_attribute("http.response.status_code", response.status_code)
            if response.status_code >= 500:
                span.set_status(trace.StatusCode.ERROR)
            return response

    async def close(self) -> None:
        await self._http.aclose()


def _problem(response: httpx.Response) -> RemoteProblem:
    try:
        body = response.json()
    except ValueError:
        body = {}
    extra = {
        k: v for k, v in body.items() if k not in ("type", "title", "status", "detail", "instance")
    }
    return RemoteProblem(
        response.status_code,
        str(body.get("title", "Error")),
        str(body.get("detail", response.text[:200])),
        str(body["type"]) if body.get("type") else None,
        **extra,
    )
