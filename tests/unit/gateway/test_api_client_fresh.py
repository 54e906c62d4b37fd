"""The web UI's API client is generated from the OpenAPI document and committed; it must match
what the generator makes from today's API (run `uv run python scripts/gen_api_client.py`)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[3]
COMMITTED = ROOT / "src" / "boxoffice" / "gateway" / "web" / "js" / "api.gen.js"


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_api_client", ROOT / "scripts" / "gen_api_client.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_committed_api_client_is_what_the_openapi_document_generates(
    generator: ModuleType, tmp_path: Path
) -> None:
    out = tmp_path / "api.gen.js"
    assert generator.main(["--out", str(out)]) == 0
    fresh = out.read_text(encoding="utf-8")
    assert fresh == COMMITTED.read_text(encoding="utf-8"), (
        "src/boxoffice/gateway/web/js/api.gen.js is stale: "
        "run `uv run python scripts/gen_api_client.py` and commit the result"
    )


def test_every_operation_gets_one_function_named_by_its_operation_id(generator: ModuleType) -> None:
    document = generator.openapi_document()
    code = generator.render(document)
    operations = [op for item in document["paths"].values() for op in item.values()]
    assert code.count("export function ") == len(operations)
    assert "export function placeHold(showId, args) {" in code  # its body is required
    assert "export function seatStream(showId) {" in code  # server-sent events: an EventSource
    assert 'headers: {"Idempotency-Key": "idempotencyKey"}, idempotent: true' in code
    assert "export function ticketQr(ticketId, args = {})" in code
    assert 'response: "text"' in code  # the QR code is an SVG, not JSON
    assert "export function listBookingDeadLetters(args = {})" in code  # one per service
    assert "export function replayBookingDeadLetter(deadLetterId, args = {})" in code


def test_parameter_names_are_camel_case(generator: ModuleType) -> None:
    assert generator.camel("if-none-match") == "ifNoneMatch"
    assert generator.camel("Idempotency-Key") == "idempotencyKey"
    assert generator.camel("show_id") == "showId"


def test_every_operation_the_ui_calls_exists_in_the_generated_client() -> None:
    web = COMMITTED.parent
    exported = set(re.findall(r"^export function (\w+)\(", COMMITTED.read_text(), re.MULTILINE))
    called = {
        name
        for path in web.rglob("*.js")
        if path != COMMITTED
        for name in re.findall(r"\bapi\.(\w+)\(", path.read_text())
    }
    assert called, "the UI calls the API through the generated client"
    assert called <= exported, f"not in api.gen.js: {sorted(called - exported)}"
