"""The composition root: wires adapters into services and services into one ASGI app."""

from __future__ import annotations

import asyncio
import gc
import hmac
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, Field
from redis.asyncio import BlockingConnectionPool, Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.booking import api as booking_api
from boxoffice.booking import handlers as booking_handlers
from boxoffice.booking import store as booking_store
from boxoffice.booking.service import BookingService
from boxoffice.catalog import api as catalog_api
from boxoffice.catalog import store as catalog_store
from boxoffice.catalog.client import CatalogHttpClient
from boxoffice.catalog.contract import CatalogClient
from boxoffice.catalog.service import CatalogService
from boxoffice.identity import api as identity_api
from boxoffice.identity import store as identity_store
from boxoffice.identity.service import AuthLimits, IdentityService
from boxoffice.inventory import api as inventory_api
from boxoffice.inventory import fastpath as inventory_fastpath
from boxoffice.inventory import handlers as inventory_handlers
from boxoffice.inventory import store as inventory_store
from boxoffice.inventory.client import InventoryHttpClient
from boxoffice.inventory.contract import InventoryClient
from boxoffice.inventory.holdstore import HoldStore
from boxoffice.inventory.live import SeatFeed
from boxoffice.inventory.service import InventoryService
from boxoffice.kernel.admin import dead_letter_router
from boxoffice.kernel.apidocs import install_docs
from boxoffice.kernel.auth import (
    PasswordHashing,
    TokenIssuer,
    TokenVerifier,
    default_hash_concurrency,
    ensure_keypair,
)
from boxoffice.kernel.bus import NatsBus, nats_tls
from boxoffice.kernel.config import Settings
from boxoffice.kernel.db import make_engine
from boxoffice.kernel.edge import RequestGuard
from boxoffice.kernel.lifecycle import cancel_until_done, on_server_stop
from boxoffice.kernel.messaging import Consumer, EventHandler, OutboxRelay, ServiceStore
from boxoffice.kernel.openapi import install_openapi, operation_id
from boxoffice.kernel.problems import install_problem_handlers, problem
from boxoffice.kernel.ratelimit import Limit, RateLimiter
from boxoffice.kernel.rpc import ServiceClient
from boxoffice.kernel.telemetry import CONSUMER_LAG, TelemetryMiddleware, metrics_response
from boxoffice.notification import api as notification_api
from boxoffice.notification import handlers as notification_handlers
from boxoffice.notification import store as notification_store
from boxoffice.notification.service import NotificationService
from boxoffice.payment import api as payment_api
from boxoffice.payment import handlers as payment_handlers
from boxoffice.payment import store as payment_store
from boxoffice.payment.provider import MockCardProvider
from boxoffice.payment.service import PaymentService

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent / "gateway" / "web"

ALL_SERVICES = ("identity", "catalog", "inventory", "booking", "payment", "notification")

ROUTERS: dict[str, APIRouter] = {
    "identity": identity_api.router,
    "catalog": catalog_api.router,
    "inventory": inventory_api.router,
    "booking": booking_api.router,
    "payment": payment_api.router,
    "notification": notification_api.router,
}

INTERNAL_ROUTERS: dict[str, APIRouter] = {
    "catalog": catalog_api.internal_router,
    "inventory": inventory_api.internal_router,
}

MESSAGING = {
    "identity": identity_store.messaging,
    "catalog": catalog_store.messaging,
    "inventory": inventory_store.messaging,
    "booking": booking_store.messaging,
    "payment": payment_store.messaging,
    "notification": notification_store.messaging,
}


async def _every(seconds: float, job: Callable[[], Awaitable[Any]], name: str) -> None:
    while True:
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("periodic job %s failed", name)
        await asyncio.sleep(seconds)


class Runtime:
    """Everything one process runs: connections, services, consumers, relays, sweepers."""

    def __init__(self, settings: Settings, services: Sequence[str] = ALL_SERVICES) -> None:
        self.settings = settings
        self.names = tuple(services)
        self.services: dict[str, Any] = {}
        self.consumers: list[Consumer] = []
        self.stores: dict[str, ServiceStore] = {}
        self._tasks: list[asyncio.Task[Any]] = []
        self.engine: AsyncEngine | None = None
        self.redis: Redis | None = None
        self.bus: NatsBus | None = None
        self.seat_feed: SeatFeed | None = None
        self.clients: list[ServiceClient] = []

    def _secret_file(self, name: str, configured: str) -> str:
        """A shared secret from the settings, else from var_dir/keys (made on first use)."""
        if configured:
            return configured
        path = self.settings.keys_dir / name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip()

    def prepare_secrets(self) -> None:
        """Make the keys and secrets every process shares, before several processes start."""
        self._verifier()
        self._secret_file("internal-token", self.settings.internal_token)
        self._secret_file("ticket-secret", self.settings.ticket_signing_secret)

    def _verifier(self) -> TokenVerifier:
        s = self.settings
        private = s.jwt_private_key_file or s.keys_dir / "jwt-ed25519.pem"
        public = s.jwt_public_key_file or s.keys_dir / "jwt-ed25519.pub.pem"
        if "identity" not in self.names:  # only identity signs; everyone else verifies
            return TokenVerifier(public.read_bytes(), s.jwt_issuer)
        if s.jwt_private_key_file is None:
            ensure_keypair(private, public)
        self.issuer = TokenIssuer(
            private.read_bytes(), public.read_bytes(), s.jwt_issuer, s.access_token_ttl_seconds
        )
        return self.issuer

    async def start(self, *, background: bool = True) -> None:
        s = self.settings
        self.verifier = self._verifier()
        self.internal_token = self._secret_file("internal-token", s.internal_token)
        self.engine = engine = make_engine(
            s.database_url,
            pool_size=s.db_pool_size,
            lock_timeout_ms=s.db_lock_timeout_ms,
            statement_timeout_ms=s.db_statement_timeout_ms,
        )
        # A blocking pool: in an on-sale surge, commands wait for a free connection instead of
        # failing with MaxConnectionsError once 100 are in flight (the default pool's limit).
        self.redis = Redis.from_pool(
            BlockingConnectionPool.from_url(
                s.redis_url, decode_responses=True, max_connections=100, timeout=10
            )
        )
        self.bus = NatsBus(
            s.nats_url,
            stream=s.event_stream,
            prefix=s.event_subject_prefix,
            ack_wait=s.consumer_ack_wait_seconds,
            concurrency=s.consumer_concurrency,
            tls=nats_tls(s.nats_tls_ca_file, s.nats_tls_cert_file, s.nats_tls_key_file),
            creds_file=s.nats_creds_file,
        )
        await self.bus.connect()
        self.stores = {name: ServiceStore(engine, MESSAGING[name]) for name in self.names}
        self._build_services()
        if s.admin_email and s.admin_password and "identity" in self.services:
            await self.services["identity"].ensure_user(
                s.admin_email, s.admin_password, "Administrator", ["admin"]
            )
        if background:
            await self._start_background()

    def _remote(self, name: str, urls: str) -> ServiceClient:
        client = ServiceClient(
            name,
            [u.strip().rstrip("/") for u in urls.split(",") if u.strip()],
            self.internal_token,
            timeout=self.settings.rpc_timeout_seconds,
        )
        self.clients.append(client)
        return client

    def _build_services(self) -> None:
        s, st = self.settings, self.stores
        assert self.redis is not None
        # A service in this process is called directly; one elsewhere over HTTP.
        catalog: CatalogClient
        if "catalog" in st:
            catalog = self.services["catalog"] = CatalogService(st["catalog"])
        else:
            catalog = CatalogHttpClient(self._remote("catalog", s.catalog_urls))
        if "identity" in st:
            self.services["identity"] = IdentityService(
                st["identity"],
                self.issuer,
                s.refresh_token_ttl_seconds,
                hashing=PasswordHashing(
                    s.password_hash_concurrency or default_hash_concurrency(),
                    s.password_hash_queue,
                ),
                limiter=RateLimiter(self.redis, prefix="identity:rl"),
                limits=AuthLimits(
                    per_client=Limit(
                        "client", s.auth_limit_per_client, s.auth_limit_per_client_seconds
                    ),
                    failures_per_account=Limit(
                        "failures",
                        s.auth_failures_per_account,
                        s.auth_failures_per_account_seconds,
                    ),
                    refreshes_per_account=Limit(
                        "refreshes",
                        s.auth_refreshes_per_account,
                        s.auth_refreshes_per_account_seconds,
                    ),
                ),
            )
        inventory: InventoryClient | None = None
        if "inventory" in st:
            inventory = self.services["inventory"] = InventoryService(
                st["inventory"],
                HoldStore(self.redis),
                catalog,
                s.hold_ttl_seconds,
                s.max_held_per_customer,
            )
            self.seat_feed = SeatFeed(self.redis)
        if "booking" in st:
            if inventory is None:
                inventory = InventoryHttpClient(self._remote("inventory", s.inventory_urls))
            self.services["booking"] = BookingService(
                st["booking"],
                inventory,
                catalog,
                payment_timeout=s.payment_timeout_seconds,
                ticket_secret=self._secret_file("ticket-secret", s.ticket_signing_secret).encode(),
            )
        if "payment" in st:
            self.services["payment"] = PaymentService(
                st["payment"],
                MockCardProvider(s.payment_slow_seconds),
                provider_timeout=s.payment_timeout_seconds + 30,
            )
        if "notification" in st:
            self.services["notification"] = NotificationService(st["notification"])

    def event_tables(self) -> dict[str, tuple[ServiceStore, dict[str, EventHandler]]]:
        tables: dict[str, tuple[ServiceStore, dict[str, EventHandler]]] = {}
        modules = {
            "inventory": inventory_handlers,
            "booking": booking_handlers,
            "payment": payment_handlers,
            "notification": notification_handlers,
        }
        for name, module in modules.items():
            if name in self.services:
                for consumer, handlers in module.event_handlers(self.services[name]).items():
                    tables[consumer] = (self.stores[name], handlers)
        return tables

    async def _start_background(self) -> None:
        s = self.settings
        assert self.bus is not None
        for name, (store, handlers) in self.event_tables().items():
            consumer = Consumer(
                store,
                name,
                handlers,
                max_deliveries=s.consumer_max_deliveries,
                backoff=s.consumer_backoff_seconds,
            )
            self.consumers.append(consumer)
            await consumer.start(self.bus)
        tasks = [OutboxRelay(store, self.bus).run() for store in self.stores.values()]
        if "inventory" in self.services:
            assert self.seat_feed is not None
            tasks += [self.seat_feed.run(), self.seat_feed.keep_alive()]
            lease_ms = int(s.hold_sweep_seconds * 900)
            sweep = self.services["inventory"].sweep
            tasks.append(_every(s.hold_sweep_seconds, lambda: sweep(lease_ms), "holds"))
        if "booking" in self.services:
            tasks.append(
                _every(
                    s.saga_sweep_seconds, self.services["booking"].expire_overdue, "saga-timeouts"
                )
            )
        if "payment" in self.services:
            await self.services["payment"].resume()
            tasks.append(_every(5.0, self.services["payment"].retry_refunds, "refunds"))
        tasks.append(_every(5.0, self._measure_lag, "consumer-lag"))
        self._tasks = [asyncio.create_task(t) for t in tasks]

    async def _measure_lag(self) -> None:
        assert self.bus is not None
        mine = {c.name for c in self.consumers}
        for durable, pending in (await self.bus.pending()).items():
            if durable.split("--")[0] in mine:
                CONSUMER_LAG.labels(durable).set(pending)

    async def ready(self) -> dict[str, str]:
        checks: dict[str, str] = {}
        for name, probe in (
            ("postgres", self._ping_db),
            ("redis", self._ping_redis),
            ("nats", self._ping_nats),
        ):
            try:
                await asyncio.wait_for(probe(), 2.0)
                checks[name] = "ok"
            except Exception as exc:
                checks[name] = f"down: {type(exc).__name__}"
        return checks

    async def _ping_db(self) -> None:
        assert self.engine is not None
        async with self.engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))

    async def _ping_redis(self) -> None:
        assert self.redis is not None
        await self.redis.ping()

    async def _ping_nats(self) -> None:
        assert self.bus is not None
        await self.bus.ping()

    def stopping(self) -> None:
        """The server was told to stop: end what would keep it waiting (live streams)."""
        if self.seat_feed is not None:
            self.seat_feed.close()

    async def stop(self) -> None:
        await cancel_until_done(self._tasks, within=3.0)
        if "payment" in self.services:
            await self.services["payment"].stop()
        for client in self.clients:
            await client.close()
        if self.bus is not None:
            await self.bus.close()
        if self.redis is not None:
            await self.redis.aclose()
        if self.engine is not None:
            await self.engine.dispose()


class Readiness(BaseModel):
    status: Literal["ok", "unavailable"]
    checks: dict[str, str] = Field(description="`ok` or `down: …` per store")


def create_app(runtime: Runtime, *, background: bool = True) -> FastAPI:
    if refusals := runtime.settings.production_refusals():
        raise RuntimeError("refusing to start in production: " + "; ".join(refusals))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start(background=background)
        app.state.services = runtime.services
        app.state.verifier = runtime.verifier
        app.state.seat_feed = runtime.seat_feed
        app.state.internal_token = runtime.internal_token
        app.state.behind_proxy = runtime.settings.behind_proxy
        app.state.stores = runtime.stores
        app.state.consumers = {c.name: c for c in runtime.consumers}
        # The collector's defaults (a collection every 700 allocations) walk the cached seat
        # layouts of big shows again and again: a third of the hold throughput and most of
        # its p99 (docs/benchmarks.md). Collect less often, and never the start-up objects.
        gc.set_threshold(50_000, 50, 100)
        gc.freeze()
        undo = on_server_stop(runtime.stopping)
        try:
            yield
        finally:
            undo()
            await runtime.stop()

    app = FastAPIOffline(  # Swagger UI assets served by us, not a CDN
        title="boxoffice",
        version="1.0.0",
        description="Ticket booking: browse shows, hold seats, book and pay. "
        "Errors are RFC 9457 problem documents (application/problem+json).",
        lifespan=lifespan,
        # TelemetryMiddleware below makes the one server span per request; FastAPI's built-in
        # telemetry would add a second one plus spans per dependency (a third of the CPU of a
        # hold, see docs/benchmarks.md).
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
        generate_unique_id_function=operation_id,
        # Our own /docs page (kernel/apidocs.py) runs without inline script; ReDoc's page
        # carries inline style and is not served.
        docs_url=None,
        redoc_url=None,
    )
    install_problem_handlers(app)
    install_docs(app)
    process = runtime.names[0] if len(runtime.names) == 1 else "all-in-one"
    # Middlewares, outermost last: telemetry → the edge (security headers, request guard) →
    # hold fast path → routes. The guard sits outside FastHolds so that the hot path is guarded too.
    if "inventory" in runtime.names:
        app.add_middleware(inventory_fastpath.FastHolds)
    app.add_middleware(RequestGuard, max_body_bytes=runtime.settings.max_request_body_bytes)
    app.add_middleware(TelemetryMiddleware, service=process)
    for name in runtime.names:
        app.include_router(ROUTERS[name], prefix="/api/v1")
        app.include_router(dead_letter_router(name), prefix="/api/v1")
        if name in INTERNAL_ROUTERS:
            app.include_router(INTERNAL_ROUTERS[name])

    metrics_token = f"Bearer {runtime.settings.metrics_token}".encode()

    @app.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        given = request.headers.get("authorization", "").encode()
        if runtime.settings.metrics_token and not hmac.compare_digest(given, metrics_token):
            return problem(
                401,
                "Unauthorized",
                "/metrics needs the header Authorization: Bearer <BOXOFFICE_METRICS_TOKEN>.",
                request,
            )
        body, content_type = metrics_response()
        return Response(body, media_type=content_type)

    @app.get("/health/live", tags=["health"])
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/health/ready",
        tags=["health"],
        response_model=Readiness,
        responses={503: {"model": Readiness, "description": "A store is down."}},
    )
    async def ready() -> JSONResponse:
        checks = await runtime.ready()
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse(
            {"status": "ok" if ok else "unavailable", "checks": checks},
            status_code=200 if ok else 503,
        )

    install_openapi(app)
    if WEB_DIR.is_dir():  # the web UI, served last so every route above wins
        app.mount("/", StaticFiles(directory=WEB_DIR, html=True), name="web")
    return app
