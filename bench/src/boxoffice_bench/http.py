"""A lean HTTP/1.1 client for the load generator: one keep-alive connection per virtual client,
requests written as prepared bytes, responses framed by hand (Content-Length or chunked).

Why not httpx: at 5,000 requests/s on two shared cores the generator itself must stay well under
half a core; httpx spends ~300 µs of Python per request, this client ~20 µs. Why not wrk: the
scenarios are journeys (hold → book → poll), need per-step latencies, a shared view of free seats
and 5,000 SSE subscribers with arrival timestamps — one asyncio process does all of that."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlsplit


class HttpError(Exception):
    """The connection failed or the server answered something that is not HTTP/1.1."""


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    prefix: str  # path prefix of the base URL, e.g. "" or "/api/v1"

    @classmethod
    def of(cls, url: str) -> Endpoint:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"only http:// URLs are supported: {url}")
        return cls(parts.hostname, parts.port or 80, parts.path.rstrip("/"))


@dataclass(frozen=True)
class Response:
    status: int
    head: bytes  # the header block, lower-cased
    body: bytes

    def header(self, name: bytes) -> bytes | None:
        key = b"\r\n" + name.lower() + b":"
        i = self.head.find(key)
        if i < 0:
            return None
        end = self.head.find(b"\r\n", i + 2)
        return self.head[i + len(key) : end if end >= 0 else None].strip()


class _Protocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.waiter: asyncio.Future[Response] | None = None
        self.closed = False
        self._status = 0
        self._head = b""
        self._length = -1  # body bytes still expected; -2 chunked; -1 parsing the head
        self._chunks: list[bytes] = []
        self._no_body = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(HttpError(f"connection lost: {exc!r}"))

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if self.waiter is not None:
            self._parse()

    def expect(self, no_body: bool) -> asyncio.Future[Response]:
        self.waiter = asyncio.get_running_loop().create_future()
        self._length = -1
        self._chunks = []
        self._no_body = no_body
        if self.buf:
            self._parse()
        return self.waiter

    def _done(self, body: bytes) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(Response(self._status, self._head, body))

    def _parse(self) -> None:
        buf = self.buf
        while self.waiter is not None:
            if self._length == -1:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    return
                head = bytes(buf[: end + 2]).lower()
                del buf[: end + 4]
                if not head.startswith(b"http/1."):
                    raise HttpError(f"not an HTTP response: {head[:40]!r}")
                self._status = int(head[9:12])
                self._head = head
                if self._no_body or self._status in (204, 304) or self._status < 200:
                    self._done(b"")
                    return
                i = head.find(b"\r\ncontent-length:")
                if i >= 0:
                    self._length = int(head[i + 17 : head.find(b"\r\n", i + 2)])
                elif b"\r\ntransfer-encoding: chunked" in head:
                    self._length = -2
                else:
                    raise HttpError("response without Content-Length or chunked framing")
            if self._length >= 0:
                if len(buf) < self._length:
                    return
                body = bytes(buf[: self._length])
                del buf[: self._length]
                self._done(body)
                return
            # chunked
            line_end = buf.find(b"\r\n")
            if line_end < 0:
                return
            size = int(bytes(buf[:line_end]).split(b";")[0], 16)
            if len(buf) < line_end + 2 + size + 2:
                return
            if size == 0:
                # no trailers are sent by uvicorn or nginx
                del buf[: line_end + 4]
                self._done(b"".join(self._chunks))
                return
            self._chunks.append(bytes(buf[line_end + 2 : line_end + 2 + size]))
            del buf[: line_end + 2 + size + 2]


class Connection:
    """One keep-alive connection; requests go one at a time (no pipelining). Reconnects when
    the server closed it between requests, and before one that comes after `idle` seconds of
    quiet: uvicorn closes a connection idle for 5 s, and a request written as it does so is
    lost (browsers ask again; this client does not send into that race)."""

    def __init__(self, endpoint: Endpoint, timeout: float = 30.0, idle: float = 4.0) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self.idle = idle
        self._used = 0.0
        self._proto: _Protocol | None = None
        self._host = f"Host: {endpoint.host}:{endpoint.port}\r\n".encode()

    async def _connect(self) -> _Protocol:
        loop = asyncio.get_running_loop()
        _, proto = await loop.create_connection(_Protocol, self.endpoint.host, self.endpoint.port)
        self._proto = proto
        return proto

    def prepare(
        self, method: str, path: str, headers: bytes = b"", body: bytes | None = None
    ) -> bytes:
        """The request bytes; `headers` is a block of 'Name: value\\r\\n' lines."""
        start = f"{method} {self.endpoint.prefix}{path} HTTP/1.1\r\n".encode()
        if body is None:
            return start + self._host + headers + b"\r\n"
        return (
            start
            + self._host
            + headers
            + b"Content-Type: application/json\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
            + body
        )

    async def send(self, request: bytes, *, head: bool = False) -> Response:
        proto = self._proto
        now = time.monotonic()
        if proto is not None and now - self._used > self.idle:
            self.close()
            proto = None
        self._used = now
        if proto is None or proto.closed:
            proto = await self._connect()
        assert proto.transport is not None
        waiter = proto.expect(head)
        proto.transport.write(request)
        try:
            answer = await asyncio.wait_for(waiter, self.timeout)
            self._used = time.monotonic()
            return answer
        except BaseException:
            self.close()  # a half-read response would poison the next one
            raise

    async def request(
        self, method: str, path: str, headers: bytes = b"", body: bytes | None = None
    ) -> Response:
        return await self.send(self.prepare(method, path, headers, body))

    def close(self) -> None:
        if self._proto is not None and self._proto.transport is not None:
            self._proto.transport.close()
        self._proto = None


def auth(token: str) -> bytes:
    return f"Authorization: Bearer {token}\r\n".encode()


# -- server-sent events -------------------------------------------------------------------------

VERSION_KEY = b'"version":'


class _StreamProtocol(asyncio.Protocol):
    """A seat-stream subscriber that only timestamps what arrives: per read, the arrival time and
    the highest map version seen so far (versions only grow along the stream, so an event of
    version v has reached this client by the first read whose highest version is ≥ v)."""

    def __init__(self, on_event: Callable[[bytes, float], None] | None) -> None:
        self.transport: asyncio.Transport | None = None
        self.arrivals: list[tuple[float, int]] = []
        self.top = 0
        self.connected: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.closed = False
        self._tail = b""
        self._on_event = on_event
        self._head_done = False
        self._raw = bytearray()  # only for a full parser (on_event)
        self._pending = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.connected.done():
            self.connected.set_exception(HttpError(f"stream closed: {exc!r}"))

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        if not self._head_done:
            end = data.find(b"\r\n\r\n")
            if end < 0:
                self._tail += data
                return
            data = self._tail + data
            end = data.find(b"\r\n\r\n")
            status = int(data[9:12])
            self._head_done = True
            self._tail = b""
            if not self.connected.done():
                self.connected.set_result(status)
            data = data[end + 4 :]
            if not data:
                return
        window = self._tail + data
        i = window.rfind(VERSION_KEY)
        if i >= 0:
            j = i + len(VERSION_KEY)
            k = j
            while k < len(window) and 48 <= window[k] <= 57:
                k += 1
            if k < len(window) and k > j:  # the number is complete
                version = int(window[j:k])
                if version > self.top:
                    self.top = version
                    self.arrivals.append((now, version))
        self._tail = window[-40:]
        if self._on_event is not None:
            self._raw += data
            self._events(now)

    def _events(self, now: float) -> None:
        # de-chunk, then split SSE events on blank lines
        raw = self._raw
        text = bytearray()
        while True:
            line_end = raw.find(b"\r\n")
            if line_end < 0:
                break
            size = int(bytes(raw[:line_end]).split(b";")[0] or b"0", 16)
            if len(raw) < line_end + 2 + size + 2:
                break
            text += raw[line_end + 2 : line_end + 2 + size]
            del raw[: line_end + 2 + size + 2]
        if not text:
            return
        *events, self._pending = (self._pending + bytes(text)).split(b"\n\n")
        assert self._on_event is not None
        for event in events:
            for line in event.split(b"\n"):
                if line.startswith(b"data: "):
                    self._on_event(line[6:], now)


async def subscribe(
    endpoint: Endpoint,
    path: str,
    on_event: Callable[[bytes, float], None] | None = None,
    headers: bytes = b"",
) -> _StreamProtocol:
    loop = asyncio.get_running_loop()
    _, proto = await loop.create_connection(
        lambda: _StreamProtocol(on_event), endpoint.host, endpoint.port
    )
    assert proto.transport is not None
    proto.transport.write(
        f"GET {endpoint.prefix}{path} HTTP/1.1\r\nHost: {endpoint.host}:{endpoint.port}\r\n"
        "Accept: text/event-stream\r\n".encode()
        + headers
        + b"\r\n"
    )
    status = await asyncio.wait_for(proto.connected, 30)
    if status != 200:
        raise HttpError(f"stream answered {status}")
    return proto
