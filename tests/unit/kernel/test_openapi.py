"""The OpenAPI document describes the API as it answers: ids, errors, security, headers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from boxoffice.bootstrap import Runtime, create_app
from boxoffice.kernel.config import Settings
from boxoffice.kernel.problems import PROBLEM


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    spec: dict[str, Any] = create_app(Runtime(Settings())).openapi()
    return spec


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def by_id(document: dict[str, Any], operation_id: str) -> dict[str, Any]:
    return next(op for _, _, op in operations(document) if op["operationId"] == operation_id)


def test_operation_ids_are_unique_camel_case_names_of_the_endpoints(
    document: dict[str, Any],
) -> None:
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z][A-Za-z0-9]*", i) for i in ids), ids
    for expected in ("createBooking", "placeHold", "browseShows", "listBookingDeadLetters"):
        assert expected in ids
    assert "replayCatalogDeadLetter" in ids


def test_every_error_answer_is_a_problem_document(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert schemas["Problem"]["additionalProperties"] is True
    assert {"type", "title", "status", "detail", "instance", "errors"} <= set(
        schemas["Problem"]["properties"]
    )
    assert "HTTPValidationError" not in schemas
    for path, method, op in operations(document):
        for status, response in op["responses"].items():
            if status.startswith(("4", "5")) and path.startswith("/api/"):
                assert list(response["content"]) == [PROBLEM], (path, method, status)


def test_every_api_operation_declares_503_and_its_input_errors(document: dict[str, Any]) -> None:
    for path, method, op in operations(document):
        if not path.startswith("/api/"):
            continue
        responses = op["responses"]
        assert "Retry-After" in responses["503"]["headers"], (path, method)
        if op.get("parameters") or "requestBody" in op:
            assert "422" in responses, (path, method)
        if "requestBody" in op:
            assert "413" in responses, (path, method)


def test_errors_come_from_the_dependencies_and_the_routes(document: dict[str, Any]) -> None:
    assert {"401", "403"} <= set(by_id(document, "createVenue")["responses"])
    assert {"401", "404", "409", "429"} <= set(by_id(document, "placeHold")["responses"])
    assert {"404", "409"} <= set(by_id(document, "replayBookingDeadLetter")["responses"])
    assert "401" not in by_id(document, "listVenues")["responses"]
    assert "Retry-After" in by_id(document, "placeHold")["responses"]["429"]["headers"]


def test_public_optional_and_authenticated_operations_say_so(document: dict[str, Any]) -> None:
    assert by_id(document, "listVenues")["security"] == []
    assert by_id(document, "login")["security"] == []
    assert by_id(document, "browseShows")["security"] == [{"HTTPBearer": []}, {}]
    assert by_id(document, "createBooking")["security"] == [{"HTTPBearer": []}]


def test_created_and_accepted_answers_declare_their_location(document: dict[str, Any]) -> None:
    created = [
        op for _, _, op in operations(document) if any(s in op["responses"] for s in ("201", "202"))
    ]
    assert {op["operationId"] for op in created} >= {
        "placeHold",
        "createBooking",
        "createVenue",
        "createHall",
        "createEvent",
        "createShow",
        "register",
        "createUser",
    }
    # accepted with nothing to follow: a mail is on its way
    nothing = {"passwordReset", "changeEmail"}
    for op in created:
        success = op["responses"].get("201") or op["responses"]["202"]
        if op["operationId"] in nothing:
            assert "Location" not in success.get("headers", {})
            continue
        assert success["headers"]["Location"]["required"] is True


def test_patch_bodies_offer_no_null(document: dict[str, Any]) -> None:
    patch = document["components"]["schemas"]["ShowPatch"]
    for name, prop in patch["properties"].items():
        assert "null" not in str(prop), name
        assert "default" not in prop, name


def test_integer_inputs_are_bounded_to_64_bits(document: dict[str, Any]) -> None:
    for path, method, op in operations(document):
        for parameter in op.get("parameters", []):
            schema = parameter["schema"]
            if schema.get("type") == "integer":
                assert schema["maximum"] <= 2**63 - 1, (path, method, parameter["name"])
