"""The composition root: wires adapters into services and services into one ASGI app."""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, Field
from redis.asyncio import BlockingConnectionPool, Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.kernel.admin import dead_letter_router
from boxoffice.kernel.apidocs import install_docs
from boxoffice.kernel.auth import TokenIssuer, TokenVerifier, ensure_keypair
from boxoffice.kernel.bus import NatsBus, nats_tls
from boxoffice.kernel.config import Settings
from boxoffice.kernel.db import make_engine
from boxoffice.kernel.edge import RequestGuard
from boxoffice.kernel.lifecycle import cancel_until_done, on_server_stop
from boxoffice.kernel.messaging import Consumer, EventHandler, OutboxRelay, ServiceStore
from boxoffice.kernel.openapi import install_openapi, operation_id
from boxoffice.kernel.problems import install_problem_handlers, problem
from boxoffice.kernel.registry import Built, Context, Job, Services
from boxoffice.kernel.rpc import ServiceClient
from boxoffice.kernel.telemetry import CONSUMER_LAG, TelemetryMiddleware, metrics_response
from boxoffice.services import BY_NAME, NAMES

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent / "gateway" / "web"


class Runtime:
    """Everything one process runs: connections, services, consumers, relays, sweepers."""

    def __init__(self, settings: Settings, services: Sequence[str] = NAMES) -> None:
        self.settings = settings
        self.names = tuple(services)
        self.specs = [BY_NAME[name] for name in self.names]
        self.built: dict[str, Built] = {}
        self.services = Services()
        self.consumers: list[Consumer] = []
        self.stores: dict[str, ServiceStore] = {}
        self._tasks: list[asyncio.Task[Any]] = []
        self.engine: AsyncEngine | None = None
        self.redis: Redis | None = None
        self.bus: NatsBus | None = None
        self.issuer: TokenIssuer | None = None
        self.clients: dict[str, ServiceClient] = {}
        self._remotes: dict[str, object] = {}

    @property
    def process(self) -> str:
        """This process's name in logs, traces and metrics."""
        if set(self.names) == set(NAMES) and len(self.names) > 1:
            return "all-in-one"
        return "+".join(self.names)

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
        self._secret_file("admission-secret", self.settings.admission_secret)
        self._secret_file("inbox-secret", "")

    def _verifier(self) -> TokenVerifier:
        s = self.settings
        private = s.jwt_private_key_file or s.keys_dir / "jwt-ed25519.pem"
        public = s.jwt_public_key_file or s.keys_dir / "jwt-ed25519.pub.pem"
        if not any(spec.signs_tokens for spec in self.specs):  # everyone else verifies
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
            batch_size=s.consumer_batch_size,
            tls=nats_tls(s.nats_tls_ca_file, s.nats_tls_cert_file, s.nats_tls_key_file),
            creds_file=s.nats_creds_file,
        )
        await self.bus.connect()
        self.stores = {spec.name: ServiceStore(engine, spec.messaging) for spec in self.specs}
        self._build_services()
        for built in self.built.values():
            if built.start is not None:
                await built.start()
        if background:
            await self._start_background()

    def _build_services(self) -> None:
        for spec in self.specs:
            self._build(spec.name)

    def _build(self, name: str) -> Built:
        """Service `name` of this process, built on first use (a peer is built before the
        service that calls it)."""
        if name not in self.built:
            assert self.redis is not None
            context = Context(
                settings=self.settings,
                store=self.stores[name],
                redis=self.redis,
                issuer=self.issuer,
                secret=self._secret_file,
                peer=self._peer,
            )
            built = self.built[name] = BY_NAME[name].build(context)
            self.services.add(built.service, *built.parts)
        return self.built[name]

    def _peer(self, name: str) -> object:
        """A service in this process is called directly; one elsewhere over HTTP."""
        if name in self.stores:
            return self._build(name).service
        if name not in self._remotes:
            make_client = BY_NAME[name].client
            assert make_client is not None, f"{name} has no client for other processes"
            urls: str = getattr(self.settings, f"{name}_urls")
            self.clients[name] = client = ServiceClient(
                name,
                [u.strip().rstrip("/") for u in urls.split(",") if u.strip()],
                self.internal_token,
                timeout=self.settings.rpc_timeout_seconds,
            )
            self._remotes[name] = make_client(client)
        return self._remotes[name]

    def event_tables(self) -> dict[str, tuple[ServiceStore, dict[str, EventHandler]]]:
        """Consumer name → (the store it records its inbox in, event type → handler)."""
        return {
            consumer: (self.stores[name], handlers)
            for name, built in self.built.items()
            for consumer, handlers in built.handlers.items()
        }

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
        for built in self.built.values():
            if built.resume is not None:
                await built.resume()
        tasks = [OutboxRelay(store, self.bus).run() for store in self.stores.values()]
        tasks += [job() for built in self.built.values() for job in built.jobs]
        tasks.append(Job("consumer-lag", self._measure_lag, every=5.0)())
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
        for built in self.built.values():
            if built.stopping is not None:
                built.stopping()

    async def stop(self) -> None:
        await cancel_until_done(self._tasks, within=3.0)
        for built in self.built.values():
            if built.stop is not None:
                await built.stop()
        for client in self.clients.values():
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
        app.state.internal_token = runtime.internal_token
        app.state.behind_proxy = runtime.settings.behind_proxy
        app.state.stores = runtime.stores
        app.state.consumers = {c.name: c for c in runtime.consumers}
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
    # Middlewares, outermost last: telemetry → the edge (security headers, request guard) →
    # the services' own (the hold fast path) → routes. The guard sits outside FastHolds so that
    # the hot path is guarded too.
    for spec in runtime.specs:
        for middleware in spec.middleware:
            app.add_middleware(middleware)
    app.add_middleware(RequestGuard, max_body_bytes=runtime.settings.max_request_body_bytes)
    app.add_middleware(TelemetryMiddleware, service=runtime.process)
    for spec in runtime.specs:
        app.include_router(spec.router, prefix="/api/v1")
        app.include_router(dead_letter_router(spec.name), prefix="/api/v1")
        if spec.internal_router is not None:
            app.include_router(spec.internal_router)

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
