"""What every service declares once (ServiceSpec), what it is built from (Context) and what
building it yields (Built). The list of services is `boxoffice.services`; this module knows
none of them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar, cast

from fastapi import APIRouter
from redis.asyncio import Redis
from starlette.types import ASGIApp

from boxoffice.kernel.auth import TokenIssuer
from boxoffice.kernel.config import Settings
from boxoffice.kernel.messaging import EventHandler, Messaging, ServiceStore
from boxoffice.kernel.rpc import ServiceClient

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Job:
    """Background work of a service: `run` until cancelled, or again every `every` seconds."""

    name: str
    run: Callable[[], Awaitable[object]]
    every: float | None = None

    async def __call__(self) -> None:
        if self.every is None:
            await self.run()
            return
        while True:
            try:
                await self.run()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("periodic job %s failed", self.name)
            await asyncio.sleep(self.every)


@dataclass(frozen=True)
class Context:
    """What a service is built from: the settings, its own store, Redis, the shared secrets and
    the services it calls."""

    settings: Settings
    store: ServiceStore
    redis: Redis
    issuer: TokenIssuer | None  # set where this process signs tokens (ServiceSpec.signs_tokens)
    # (file name under var_dir/keys, configured value) → the secret every process shares.
    secret: Callable[[str, str], str]
    # A service this one calls, by name: the service itself when it runs in this process, else
    # its HTTP client (ServiceSpec.client) to the replicas at the setting `<name>_urls`.
    peer: Callable[[str], object]


@dataclass(frozen=True)
class Built:
    """A service as one process runs it."""

    service: object  # its use cases: what routes, handlers and peers in this process call
    parts: tuple[object, ...] = ()  # more objects its routes depend on (found by class)
    handlers: Mapping[str, dict[str, EventHandler]] = field(default_factory=dict)
    jobs: tuple[Job, ...] = ()
    # Awaited once every service of the process is built, whether or not background work runs.
    start: Callable[[], Awaitable[object]] | None = None
    # Awaited before the consumers' and jobs' first work, only where background work runs.
    resume: Callable[[], Awaitable[object]] | None = None
    stopping: Callable[[], None] | None = None  # the server was told to stop (end live streams)
    stop: Callable[[], Awaitable[object]] | None = None  # after the jobs were cancelled


@dataclass(frozen=True)
class ServiceSpec:
    """One service, declared once in its package (`<service>/registration.py`)."""

    name: str  # also its schema, its API tag, its process name
    messaging: Messaging  # its schema's tables, outbox and inbox
    migrations: Path  # its Alembic directory
    router: APIRouter  # mounted under /api/v1
    build: Callable[[Context], Built]
    internal_router: APIRouter | None = None  # /internal, for other services (rpc.py)
    # How other processes call it (wrapping a ServiceClient to its replicas).
    client: Callable[[ServiceClient], object] | None = None
    # ASGI middlewares in front of every route of the process (the hold fast path).
    middleware: tuple[Callable[[ASGIApp], ASGIApp], ...] = ()
    signs_tokens: bool = False  # holds the private key; every other process only verifies
    replicas: int = 1  # processes of it in the distributed shape unless the topology says
    # (the setting `topology`)

    def __post_init__(self) -> None:
        assert self.messaging.schema == self.name, "a service's schema carries its name"


class Services:
    """The objects this process's routes depend on, found by their class (typed lookups for
    FastAPI dependencies, kernel.web.provided)."""

    def __init__(self, *objects: object) -> None:
        self._by_class: dict[type, object] = {}
        self.add(*objects)

    def add(self, *objects: object) -> None:
        for o in objects:
            self._by_class[type(o)] = o

    def provide(self, kind: type[T], found: T) -> None:
        """`found` stands for `kind` (a test's stand-in)."""
        self._by_class[kind] = found

    def get(self, kind: type[T]) -> T:
        try:
            return cast(T, self._by_class[kind])
        except KeyError:
            raise LookupError(f"{kind.__name__} does not run in this process") from None
