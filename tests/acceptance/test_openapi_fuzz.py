"""schemathesis fuzzes the whole OpenAPI document against the running server (either shape),
as a customer and as an admin: no answer is a 5xx, and every answer is one the document
declares (status, content type, headers, body schema).

Real ids (a published show, a hold, a booking, its payment and tickets) are offered to the
fuzzer half of the time, so that it gets past the 404s into the use cases. The never-ending
seat stream (text/event-stream) is left out. Each run is bounded by a time budget."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.conftest import User, book, settled
from tests.conftest import Server

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


@pytest.fixture(scope="module")
def known_ids(
    make_show: Callable[..., dict[str, Any]], make_user: Callable[..., User]
) -> tuple[User, dict[str, list[str]]]:
    show = make_show(rows=3, seats_per_row=10, ga_capacity=50)
    draft = make_show(publish=False)
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
        r"/seats/stream$",
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


@pytest.mark.parametrize("role", ["customer", "admin"])
def test_the_whole_openapi_document_holds_under_fuzzing(
    server: Server,
    admin: User,
    known_ids: tuple[User, dict[str, list[str]]],
    tmp_path: Path,
    role: str,
) -> None:
    buyer, ids = known_ids
    user = buyer if role == "customer" else admin
    token = user.headers["Authorization"].removeprefix("Bearer ")
    code, output = fuzz(server, token, config(tmp_path / "schemathesis.toml", ids))
    (tmp_path / "schemathesis.txt").write_text(output)
    summary = re.search(r"Test cases:\s*\n\s*(.+)", output)
    sys.stdout.write(f"\nschemathesis as {role}: {summary.group(1) if summary else '?'}\n")
    assert code == 0, output[-20000:]
    assert summary is not None and "failed" not in summary.group(1), output[-20000:]
