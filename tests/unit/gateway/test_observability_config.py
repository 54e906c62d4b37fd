"""The shipped Prometheus and Grafana files parse and only use metrics the code exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from prometheus_client import REGISTRY

import boxoffice.kernel.telemetry  # noqa: F401 - registers the metrics

SUFFIXES = ("_total", "_bucket", "_count", "_sum")
DEPLOY = Path(__file__).resolve().parents[3] / "deploy" / "observability"


def exported() -> set[str]:
    names = set()
    for collector in list(REGISTRY._collector_to_names):  # every registered metric family
        for metric in collector.collect():
            for sample in metric.samples:
                names.add(sample.name)
            names.add(metric.name)
    return names


def test_dashboards_query_only_metrics_the_code_exports() -> None:
    known = exported() | {"up"}
    dashboards = sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))
    assert {d.name for d in dashboards} == {"onsale.json", "infrastructure.json"}
    for path in dashboards:
        board = json.loads(path.read_text())
        assert board["panels"], path
        for panel in board["panels"]:
            for target in panel["targets"]:
                used = set(re.findall(r"\b(boxoffice_[a-z_]+|up)\b", target["expr"]))
                assert used, target["expr"]
                missing = {
                    m
                    for m in used
                    if m not in known
                    and not any(m == k + suffix for k in known for suffix in SUFFIXES)
                }
                assert not missing, f"{path.name}: {panel['title']} uses unknown {missing}"


def test_prometheus_config_scrapes_both_shapes() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {"boxoffice-all-in-one", "boxoffice-distributed"}
    assert jobs["boxoffice-distributed"]["file_sd_configs"][0]["files"] == [
        "../../var/cluster/prometheus-targets.json"
    ]


def test_prometheus_config_sends_the_metrics_token_once_its_block_is_uncommented() -> None:
    text = (DEPLOY / "prometheus.yml").read_text()
    enabled = yaml.safe_load(
        text.replace("    # authorization:", "    authorization:").replace("    #   ", "      ")
    )
    for job in enabled["scrape_configs"]:
        assert job["authorization"] == {
            "type": "Bearer",
            "credentials_file": "../../var/metrics-token",
        }, job["job_name"]
