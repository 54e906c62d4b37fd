"""Tracing resource: the standard OTEL_* variables win over boxoffice's defaults."""

from __future__ import annotations

import pytest

from boxoffice.kernel.telemetry import tracing_resource


def test_service_name_defaults_to_boxoffice_and_the_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.delenv("OTEL_RESOURCE_ATTRIBUTES", raising=False)
    attributes = tracing_resource("inventory").attributes
    assert attributes["service.name"] == "boxoffice-inventory"
    assert attributes["boxoffice.process"] == "inventory"


def test_otel_service_name_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_SERVICE_NAME", "tickets-eu")
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=staging")
    attributes = tracing_resource("all-in-one").attributes
    assert attributes["service.name"] == "tickets-eu"
    assert attributes["deployment.environment"] == "staging"
    assert attributes["boxoffice.process"] == "all-in-one"


def test_service_name_in_otel_resource_attributes_is_honoured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "service.name=box-staging")
    assert tracing_resource("booking").attributes["service.name"] == "box-staging"
