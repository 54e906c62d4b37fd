"""Observability: Prometheus metrics, OpenTelemetry traces (exported only when OTEL_* asks),
structured logs carrying service, request id, trace id and user id."""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import SERVICE_NAME, OTELResourceDetector, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
user_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("user_id", default="")

tracer = trace.get_tracer("boxoffice")

# -- metrics (one registry per process; PROMETHEUS_MULTIPROC_DIR merges worker processes) ---

LATENCY = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
SAGA = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120)

HTTP_REQUESTS = Counter(
    "boxoffice_http_requests_total", "HTTP requests", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "boxoffice_http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=LATENCY,
)
HOLDS = Counter("boxoffice_holds_total", "Hold requests by outcome", ["outcome"])
ACTIVE_HOLDS = Gauge(
    "boxoffice_active_holds", "Live holds across shows", multiprocess_mode="livemax"
)
BOOKINGS = Counter("boxoffice_bookings_total", "Bookings reaching a status", ["status"])
SAGA_DURATION = Histogram(
    "boxoffice_saga_duration_seconds",
    "From booking created to its outcome",
    ["status"],
    buckets=SAGA,
)
SAGA_STEP = Histogram(
    "boxoffice_saga_step_seconds", "Time a saga step took", ["step"], buckets=SAGA
)
PAYMENTS = Counter("boxoffice_payments_total", "Payment outcomes", ["outcome"])
MAIL = Counter(
    "boxoffice_mail_total", "Mail delivery attempts by kind and outcome", ["kind", "outcome"]
)
GATE_WAITING = Gauge(
    "boxoffice_gate_pending",
    "Requests inside or waiting at a service's admission gate (kernel.gate)",
    ["gate"],
)
OUTBOX_BACKLOG = Gauge(
    "boxoffice_outbox_backlog",
    "Outbox rows not yet published",
    ["service"],
    multiprocess_mode="livemax",
)
RELAY_LAG = Histogram(
    "boxoffice_outbox_relay_lag_seconds", "From commit to publish", ["service"], buckets=LATENCY
)
CONSUMER_LAG = Gauge(
    "boxoffice_consumer_pending",
    "Events waiting for a consumer",
    ["consumer"],
    multiprocess_mode="livemax",
)
EVENTS_HANDLED = Counter(
    "boxoffice_events_handled_total", "Events handled by consumers", ["consumer", "type", "outcome"]
)
BATCHES = Counter(
    "boxoffice_event_batches_total",
    "Batches of events a consumer handled in one transaction (committed), or split up after a "
    "failure to be handled one at a time (split)",
    ["consumer", "outcome"],
)
DEAD_LETTERS = Counter("boxoffice_dead_letters_total", "Events parked after failing", ["consumer"])
STORE_LATENCY = Histogram(
    "boxoffice_store_call_seconds",
    "Redis, PostgreSQL and NATS calls",
    ["store", "call"],
    buckets=LATENCY,
)


def metrics_response() -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST


class timed:
    """Observe how long a block took in a histogram child."""

    def __init__(self, histogram: Any) -> None:
        self.histogram = histogram

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, *_: object) -> None:
        self.histogram.observe(time.perf_counter() - self.start)


# -- traces ---------------------------------------------------------------------------------


def tracing_resource(service: str) -> Resource:
    """service.name is OTEL_SERVICE_NAME (or service.name in OTEL_RESOURCE_ATTRIBUTES) when set,
    else boxoffice-<service>; boxoffice.process names the process either way."""
    configured = OTELResourceDetector().detect().attributes.get(SERVICE_NAME)
    ours: dict[str, str] = {"boxoffice.process": service}
    if not configured:
        ours[SERVICE_NAME] = f"boxoffice-{service}"
    return Resource.create(ours)


def setup_tracing(service: str) -> TracerProvider:
    """A tracer provider for this process. Spans are exported over OTLP only when the standard
    OTEL_* variables ask for it (OTEL_TRACES_EXPORTER=otlp or an OTLP endpoint)."""
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    provider = TracerProvider(resource=tracing_resource(service))
    exporter = os.environ.get("OTEL_TRACES_EXPORTER", "")
    if exporter == "otlp" or (
        exporter != "none"
        and (
            os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
            or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        )
    ):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider


def inject_trace() -> dict[str, str]:
    """The current trace context as W3C headers (traceparent), for an event or a call."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def extract_trace(carrier: dict[str, str]) -> otel_context.Context:
    return propagate.extract(carrier)


def current_trace_id() -> str:
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else ""


# -- logs -----------------------------------------------------------------------------------

# asyncpg names a query argument it could not encode by its value ("invalid input for query
# argument $1: 'argon2id$…' (…)"); SQLAlchemy hides parameters itself (hide_parameters).
_QUERY_ARGUMENT = re.compile(r"(invalid input for query argument \$\d+): .*?( \(|$)", re.M)


def redact(text: str) -> str:
    """A log text without the SQL parameter values that database errors quote."""
    return _QUERY_ARGUMENT.sub(r"\1: <hidden>\2", text)


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for key, value in (
            ("request_id", request_id_var.get()),
            ("trace_id", current_trace_id()),
            ("user_id", user_id_var.get()),
        ):
            if value:
                line[key] = value
        if record.exc_info:
            line["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False)


class HumanFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        base = redact(super().format(record))
        trace_id = current_trace_id()
        return f"{base} [trace {trace_id[:8]}]" if trace_id else base


def setup_logging(service: str, level: str = "INFO", json_logs: bool | None = None) -> None:
    """JSON lines unless a person is watching a terminal (BOXOFFICE_LOG_FORMAT overrides)."""
    if json_logs is None:
        chosen = os.environ.get("BOXOFFICE_LOG_FORMAT", "")
        json_logs = chosen == "json" or (chosen != "text" and not sys.stderr.isatty())
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter(service)
        if json_logs
        else HumanFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("httpx").setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


# -- the HTTP middleware --------------------------------------------------------------------

ASGIApp = Callable[[MutableMapping[str, Any], Any, Any], Awaitable[None]]


class TelemetryMiddleware:
    """Per request: a request id (X-Request-ID in and out), a server span that continues an
    incoming traceparent, and the request counter and latency histogram by route template."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        request_id = headers.get("x-request-id") or uuid.uuid4().hex
        token = request_id_var.set(request_id)
        user_token = user_id_var.set("")
        status = 500
        start = time.perf_counter()

        async def send_with_id(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        ctx = extract_trace(headers)
        with tracer.start_as_current_span(
            f"{scope['method']} {scope['path']}", context=ctx, kind=trace.SpanKind.SERVER
        ) as span:
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                route = scope.get("route")
                template = getattr(route, "path", None) or "unmatched"
                span.update_name(f"{scope['method']} {template}")
                span.set_attribute("http.route", template)
                span.set_attribute("http.status_code", status)
                HTTP_REQUESTS.labels(self.service, scope["method"], template, str(status)).inc()
                HTTP_LATENCY.labels(self.service, scope["method"], template).observe(
                    time.perf_counter() - start
                )
                request_id_var.reset(token)
                user_id_var.reset(user_token)
