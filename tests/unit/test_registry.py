"""The registry (boxoffice.services) is the one list of services: the packages on disk, the
import-linter contracts and the settings agree with it."""

from __future__ import annotations

import tomllib
from pathlib import Path

from boxoffice.kernel.config import Settings
from boxoffice.services import NAMES, SERVICES

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "boxoffice"


def test_every_service_package_is_registered_once() -> None:
    on_disk = {p.parent.name for p in PACKAGE.glob("*/registration.py")}
    assert sorted(on_disk) == sorted(NAMES)
    assert len(set(NAMES)) == len(NAMES)


def test_each_registration_brings_its_own_schema_and_migrations() -> None:
    for spec in SERVICES:
        assert spec.messaging.schema == spec.name
        assert spec.migrations == PACKAGE / spec.name / "migrations"
        assert (spec.migrations / "env.py").is_file()
        assert spec.replicas >= 1


def _is_service_package(name: str) -> bool:
    return any((PACKAGE / name / module).is_file() for module in ("service.py", "registration.py"))


def _service_lists() -> list[tuple[str, str, set[str]]]:
    """(contract, key, services named) for each module list of an import-linter contract that
    names more than one service package."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    found = []
    for contract in config["tool"]["importlinter"]["contracts"]:
        for key, modules in contract.items():
            if not isinstance(modules, list) or key == "ignore_imports":
                continue
            services = {
                module.split(".")[1]
                for module in modules
                if module.startswith("boxoffice.") and _is_service_package(module.split(".")[1])
            }
            if len(services) > 1:
                found.append((contract["name"], key, services))
    return found


def test_import_linter_lists_name_exactly_the_registered_services() -> None:
    lists = _service_lists()
    assert len(lists) >= 2  # services are independent, the kernel knows no service
    for contract, key, services in lists:
        assert services == set(NAMES), f"{contract!r} {key} differs from the registry"


def test_a_service_others_call_has_a_setting_for_its_urls() -> None:
    for spec in SERVICES:
        if spec.client is not None:
            assert f"{spec.name}_urls" in Settings.model_fields


def test_every_registered_service_has_a_layers_contract() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    layered = {
        container.removeprefix("boxoffice.")
        for contract in config["tool"]["importlinter"]["contracts"]
        if contract["type"] == "layers"
        for container in contract["containers"]
    }
    assert layered == set(NAMES)
