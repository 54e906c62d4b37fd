"""The servers' HTTP protocol turns Nagle's algorithm off on each connection it accepts (a
reused connection otherwise waited 40 ms for the client's delayed ACK of the response's head
before its body went out)."""

from __future__ import annotations

import contextlib
import socket
from typing import Any

from boxoffice.kernel.lifecycle import NoDelayHttp


class Transport:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.sock if name == "socket" else default


def test_an_accepted_tcp_connection_gets_tcp_nodelay() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        client = socket.create_connection(server.getsockname())
        accepted, _ = server.accept()
        with client, accepted:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
            protocol = NoDelayHttp.__new__(NoDelayHttp)  # only connection_made's first step
            # uvicorn's own set-up after it needs a server state this test does not build
            with contextlib.suppress(AttributeError):
                protocol.connection_made(Transport(accepted))  # type: ignore[arg-type]
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
