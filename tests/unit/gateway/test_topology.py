"""The distributed shape's processes come from the setting `topology` and the registry."""

from __future__ import annotations

import pytest

from boxoffice.gateway.cluster import ProcessGroup, process_groups
from boxoffice.kernel.config import Settings


def test_by_default_each_service_runs_alone_inventory_and_booking_twice() -> None:
    assert process_groups(Settings()) == [
        ProcessGroup(("identity",), 1),
        ProcessGroup(("catalog",), 1),
        ProcessGroup(("inventory",), 2),
        ProcessGroup(("booking",), 2),
        ProcessGroup(("payment",), 1),
        ProcessGroup(("notification",), 1),
    ]


def test_the_topology_groups_services_and_sets_replicas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "BOXOFFICE_TOPOLOGY",
        '[{"services": ["booking", "inventory"], "replicas": 3}, {"services": ["catalog"]}]',
    )
    groups = process_groups(Settings())
    assert groups == [
        ProcessGroup(("identity",), 1),
        ProcessGroup(("catalog",), 1),
        ProcessGroup(("booking", "inventory"), 3),
        ProcessGroup(("payment",), 1),
        ProcessGroup(("notification",), 1),
    ]
    assert groups[2].name == "booking+inventory"


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        ([{"services": ["inventory", "search"]}], "unknown services: search"),
        ([{"services": ["inventory"]}, {"services": ["booking", "inventory"]}], "twice: inventory"),
    ],
)
def test_a_topology_naming_unknown_or_repeated_services_is_refused(
    groups: list[dict[str, list[str]]], message: str
) -> None:
    with pytest.raises(SystemExit, match=message):
        process_groups(Settings.model_validate({"topology": groups}))


def test_a_group_runs_at_least_one_replica() -> None:
    with pytest.raises(ValueError, match="replicas"):
        Settings.model_validate({"topology": [{"services": ["catalog"], "replicas": 0}]})
