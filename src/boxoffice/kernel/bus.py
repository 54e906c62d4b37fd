"""The event bus port and its NATS JetStream adapter (a Kafka adapter would fit the same port)."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import nats
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StreamConfig
from nats.js.errors import NotFoundError

from boxoffice.kernel.config import default
from boxoffice.kernel.events import Envelope

log = logging.getLogger(__name__)


@dataclass
class Delivery:
    """One delivery of an event to a consumer; the consumer acks, retries later, or gives up."""

    envelope: Envelope
    attempt: int
    ack: Callable[[], Awaitable[None]]
    retry: Callable[[float], Awaitable[None]]


# Deliveries come in batches: the events that were waiting when the consumer asked (one, when
# the stream is quiet; up to consumer_batch_size under load).
DeliveryHandler = Callable[[list[Delivery]], Awaitable[None]]


class EventBus(Protocol):
    async def publish(self, envelope: Envelope) -> None: ...

    async def subscribe(
        self, consumer: str, types: list[str], handler: DeliveryHandler, *, max_deliveries: int
    ) -> None: ...

    async def pending(self) -> dict[str, int]: ...

    async def close(self) -> None: ...


def nats_tls(
    ca_file: Path | None, cert_file: Path | None = None, key_file: Path | None = None
) -> ssl.SSLContext | None:
    """The TLS context for a NATS server signed by a private CA and/or asking for a client
    certificate; None: nats-py's default (the system's CAs, SSL_CERT_FILE) when it needs one."""
    if ca_file is None and cert_file is None:
        return None
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    if cert_file is not None:
        context.load_cert_chain(cert_file, key_file)
    return context


def _nak(msg: Msg) -> Callable[[float], Awaitable[None]]:
    async def retry(delay: float) -> None:
        await msg.nak(delay=delay)

    return retry


def _report_stopped(task: asyncio.Task[None]) -> None:
    # A pull loop ends only when the bus closes; one that dies stops its consumer silently.
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("the pull loop of %s stopped", task.get_name(), exc_info=error)


class NatsBus:
    """JetStream: one stream for all events; the message id is the event id, so JetStream
    drops a republished outbox row inside its duplicate window; one durable pull consumer per
    (service, consumer) shared by every replica of that service."""

    def __init__(
        self,
        url: str,
        *,
        stream: str = default("event_stream"),
        prefix: str = default("event_subject_prefix"),
        ack_wait: float = default("consumer_ack_wait_seconds"),
        concurrency: int = default("consumer_concurrency"),
        batch_size: int = default("consumer_batch_size"),
        tls: ssl.SSLContext | None = None,
        creds_file: Path | None = None,
    ) -> None:
        self._url = url
        self._tls = tls
        self._creds_file = creds_file
        self._ack_wait = ack_wait
        self._stream = stream
        self._prefix = prefix
        self._nc: NatsClient | None = None
        self._js: JetStreamContext | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = asyncio.Event()
        self._concurrency = concurrency
        self._batch_size = batch_size
        self._slots = asyncio.Semaphore(concurrency)

    async def connect(self) -> None:
        self._nc = await nats.connect(
            self._url,
            max_reconnect_attempts=-1,
            name="boxoffice",
            **({"tls": self._tls} if self._tls is not None else {}),
            **({"user_credentials": str(self._creds_file)} if self._creds_file else {}),
        )
        # nats-py upgrades to TLS only when the server's INFO asks for it; a tls:// URL or a
        # CA of our own means we never talk in plain text, whatever a server (or a man in the
        # middle) offers.
        wants_tls = self._tls is not None or urlsplit(self._url.split(",")[0]).scheme == "tls"
        if wants_tls and not self._nc._server_info.get("tls_required"):
            await self._nc.close()
            raise ConnectionError("the NATS server offered no TLS, and TLS was asked for")
        self._js = self._nc.jetstream()
        config = StreamConfig(
            name=self._stream,
            subjects=[f"{self._prefix}.>"],
            duplicate_window=120.0,
            max_age=7 * 24 * 3600.0,
        )
        try:
            await self._js.stream_info(self._stream)
            await self._js.update_stream(config)
        except NotFoundError:
            await self._js.add_stream(config)

    @property
    def js(self) -> JetStreamContext:
        assert self._js is not None, "NatsBus.connect() was not awaited"
        return self._js

    async def ping(self) -> None:
        await self.js.account_info()

    def subject(self, event_type: str) -> str:
        return f"{self._prefix}.{event_type}"

    async def publish(self, envelope: Envelope) -> None:
        await self.js.publish(
            self.subject(envelope.type),
            envelope.to_json(),
            headers={"Nats-Msg-Id": str(envelope.id)},
        )

    async def subscribe(
        self, consumer: str, types: list[str], handler: DeliveryHandler, *, max_deliveries: int
    ) -> None:
        # One durable consumer per event type: NATS before 2.10 (Debian's) has no multi-filter.
        for event_type in types:
            durable = f"{consumer}--{event_type.replace('.', '_')}"
            config = ConsumerConfig(
                durable_name=durable,
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                filter_subject=self.subject(event_type),
                ack_wait=self._ack_wait,
                # We park poison messages ourselves; JetStream gets one spare delivery.
                max_deliver=max_deliveries + 1,
                max_ack_pending=1000,
            )
            await self.js.add_consumer(self._stream, config)
            sub = await self.js.pull_subscribe_bind(durable, self._stream)
            task = asyncio.create_task(self._pull(sub, handler), name=durable)
            task.add_done_callback(_report_stopped)
            self._tasks.append(task)

    async def _pull(self, sub: JetStreamContext.PullSubscription, handler: DeliveryHandler) -> None:
        # Each fetch asks for what is waiting, up to a batch for each free slot of this
        # consumer, and spreads it over the free slots: events one at a time while the stream
        # keeps up (as many in flight as before batching), batches of up to batch_size each
        # when a backlog builds. Each batch is handled in a task of its own (the process-wide
        # semaphore bounds how many run) and the next fetch does not wait for it. The events in
        # flight are independent (no event type has two events for one aggregate in flight).
        inflight: set[asyncio.Task[None]] = set()
        try:
            while not self._closing.is_set():
                free = self._concurrency - len(inflight)
                if free <= 0:
                    await asyncio.wait(inflight, return_when=asyncio.FIRST_COMPLETED)
                    continue
                try:
                    msgs = await sub.fetch(free * self._batch_size, timeout=1.0)
                except (TimeoutError, nats.errors.TimeoutError):
                    continue
                except Exception:
                    if self._closing.is_set():
                        return
                    log.exception("event fetch failed; retrying")
                    await asyncio.sleep(1.0)
                    continue
                if not msgs:  # nats-py answers an expired pull request with an empty list
                    continue
                per = -(-len(msgs) // free)  # ceil: spread over the free slots
                for start in range(0, len(msgs), per):
                    batch = msgs[start : start + per]
                    task = asyncio.create_task(self._deliver(batch, handler, self._slots))
                    inflight.add(task)
                    task.add_done_callback(inflight.discard)
        finally:
            for task in list(inflight):
                task.cancel()
            await asyncio.gather(*inflight, return_exceptions=True)

    @staticmethod
    async def _deliver(msgs: list[Msg], handler: DeliveryHandler, gate: asyncio.Semaphore) -> None:
        deliveries = []
        for msg in msgs:
            try:
                envelope = Envelope.from_json(msg.data)
            except Exception:
                log.exception("dropping an event that is not a boxoffice envelope")
                await msg.term()
                continue
            deliveries.append(
                Delivery(
                    envelope=envelope,
                    attempt=msg.metadata.num_delivered,
                    ack=msg.ack,
                    retry=_nak(msg),
                )
            )
        if deliveries:
            async with gate:
                await handler(deliveries)

    async def pending(self) -> dict[str, int]:
        """Events waiting per durable consumer (its lag), for the metrics."""
        result: dict[str, int] = {}
        for consumer in await self.js.consumers_info(self._stream):
            if consumer.name:
                result[consumer.name] = consumer.num_pending or 0
        return result

    async def close(self) -> None:
        self._closing.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self._nc is not None and not self._nc.is_closed:
            await self._nc.close()
