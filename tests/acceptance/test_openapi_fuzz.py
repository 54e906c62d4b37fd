"""schemathesis fuzzes the whole OpenAPI document against the running server (either shape),
as a customer and as an admin: no answer is a 5xx, and every answer is one the document
declares (status, content type, headers, body schema).

Real ids (a published show, a hold, a booking, its payment and tickets) are offered to the
fuzzer half of the time, so that it gets past the 404s into the use cases. The never-ending
seat stream (text/event-stream) is left out. Each run is bounded by a time budget.

The fuzzer runs against a server of its own in each shape: as an admin it changes roles,
passwords, shows and sagas at random, which no other test should find done to its data."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.acceptance.conftest import User, book, login, new_show, new_user, settled
from tests.acceptance.crowd import drop_own_infra, make_own_infra
from tests.conftest import ADMIN, SHAPES, Infra, Server, start_server, stop_server

pytestmark = pytest.mark.own_server

CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    )
)
# Seconds per role; two roles per shape keep a shape's run near three minutes on 2 cores.
BUDGET = int(os.environ.get("BOXOFFICE_FUZZ_SECONDS", "80"))


def config(path: Path, ids: dict[str, list[str]]) -> Path:
    lines = []
    for name, values in ids.items():
        quoted = ", ".join(f'"{v}"' for v in values)
        lines.append(f"[dictionaries.{name}]\nvalues = [{quoted}]\n")
    lines.append("[parameters]")
    for name in ids:
        lines.append(f'"path.{name}" = {{ dictionary = "{name}", probability = 0.5 }}')
    for name in ("event_id", "hall_id", "hold_id"):
        if name in ids:
            lines.append(f'"body.{name}" = {{ dictionary = "{name}", probability = 0.5 }}')
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module", params=SHAPES)
def fuzzed(
    request: pytest.FixtureRequest, infra: Infra, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, Callable[..., User]]]:
    """A server of the shape, on a database and stream of its own (as an admin the fuzzer
    changes users' roles: once it demoted the session's admin), and a way to make users of it."""
    own = asyncio.run(make_own_infra(infra))
    server = start_server(
        own,
        tmp_path_factory.mktemp("fuzzed"),
        request.param,
        payment_timeout_seconds="4",
        payment_slow_seconds="1",
        admin_email=ADMIN[0],
        admin_password=ADMIN[1],
    )
    with httpx.Client(base_url=server.api, timeout=30) as anon:
        admin = login(anon, *ADMIN)
        yield server, lambda *roles: new_user(anon, admin, *roles)
    stop_server(server)
    asyncio.run(drop_own_infra(own))
    failed = [log for log in server_logs(server) if "Traceback" in log.read_text(errors="replace")]
    assert not failed, f"the fuzzed server logged errors; see {failed}"


def server_logs(server: Server) -> list[Path]:
    return [server.log, *server.log.parent.glob("var/cluster/logs/*.log")]


@pytest.fixture(scope="module")
def known_ids(
    fuzzed: tuple[Server, Callable[..., User]],
) -> tuple[User, dict[str, list[str]]]:
    _, make_user = fuzzed
    organizer = make_user("organizer")
    show = new_show(organizer, rows=3, seats_per_row=10, ga_capacity=50)
    draft = new_show(organizer, publish=False)
    buyer = make_user("customer")
    seats = [s["id"] for s in show["seats"]]
    _, booking_id = book(buyer, show["id"], seats[:2])
    done = settled(buyer, booking_id)
    hold = buyer.post(f"/shows/{show['id']}/holds", json={"seat_ids": seats[5:7]})
    assert hold.status_code == 201, hold.text
    payment = buyer.get(f"/bookings/{booking_id}/payment").json()
    venue_id = show["hall"]["venue_id"]
    return buyer, {
        "show_id": [show["id"], draft["show"]["id"]],
        "venue_id": [venue_id],
        "hall_id": [show["hall"]["id"]],
        "event_id": [show["show"]["event_id"]],
        "hold_id": [hold.json()["hold_id"]],
        "booking_id": [booking_id],
        "payment_id": [payment["id"]],
        "ticket_id": [t["id"] for t in done["tickets"]] or [booking_id],
    }


def fuzz(server: Server, token: str, settings: Path) -> tuple[int, str]:
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(settings),
        "run",
        f"{server.base_url}/openapi.json",
        "--checks",
        CHECKS,
        "--header",
        f"Authorization: Bearer {token}",
        "--exclude-path-regex",
        r"(/seats/stream|/queue/stream|/api/v1/live)$",
        "--phases",
        "examples,coverage,fuzzing",
        "--max-time",
        str(BUDGET),
        # One worker: Hypothesis describes its strategies with ast.parse, which CPython 3.11
        # before 3.11.8 cannot run in two threads at once ("AST constructor recursion depth
        # mismatch", a crash of the fuzzer, not a finding about the server).
        "--workers",
        "1",
        "--request-timeout",
        "15",
        "--suppress-health-check",
        "all",
        "--no-color",
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=BUDGET * 4 + 120, check=False
    )
    return result.returncode, result.stdout + result.stderr


@pytest.mark.timeout(BUDGET * 4 + 480)  # schemathesis's own limit, plus a server of its own
@pytest.mark.parametrize("role", ["customer", "admin"])
def test_the_whole_openapi_document_holds_under_fuzzing(
    fuzzed: tuple[Server, Callable[..., User]],
    known_ids: tuple[User, dict[str, list[str]]],
    tmp_path: Path,
    role: str,
) -> None:
    server, make_user = fuzzed
    buyer, ids = known_ids
    user = buyer if role == "customer" else make_user("admin")
    token = user.headers["Authorization"].removeprefix("Bearer ")
    code, output = fuzz(server, token, config(tmp_path / "schemathesis.toml", ids))
    (tmp_path / "schemathesis.txt").write_text(output)
    summary = re.search(r"Test cases:\s*\n\s*(.+)", output)
    sys.stdout.write(f"\nschemathesis as {role}: {summary.group(1) if summary else '?'}\n")
    assert code == 0, output[-20000:]
    assert summary is not None and "failed" not in summary.group(1), output[-20000:]
