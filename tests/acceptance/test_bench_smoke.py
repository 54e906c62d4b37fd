"""`boxoffice bench --smoke` against the test server: every scenario runs end to end and reports
numbers, and the sell-out leaves no invariant violated. No timing is asserted."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from typing import Any

import pytest

from tests.conftest import ADMIN, Infra, Server

pytestmark = pytest.mark.timeout(600)  # the first test waits for the whole `bench --smoke` run


@pytest.fixture(scope="module")
def bench_run(
    server: Server, infra: Infra, shape: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    workdir = tmp_path_factory.mktemp("bench")
    out = workdir / "benchmarks.md"
    raw = workdir / "bench.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "boxoffice.cli",
            "bench",
            "--smoke",
            "--url",
            server.base_url,
            "--shape",
            shape,
            "--database-url",
            infra.database_url,
            "--redis-url",
            infra.redis_url,
            "--admin-email",
            ADMIN[0],
            "--admin-password",
            ADMIN[1],
            "--out",
            str(out),
            "--json",
            str(raw),
            "--var-dir",
            str(workdir / "var"),
        ],
        capture_output=True,
        text=True,
        timeout=170,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return {"markdown": out.read_text(), **json.loads(raw.read_text())}


def _positive(value: float) -> bool:
    return not math.isnan(value) and value > 0


def test_bench_smoke_reports_hold_storm_figures_for_full_path_and_bare_baseline(
    bench_run: dict[str, Any], shape: str
) -> None:
    runs = bench_run["raw"][f"storm/{shape}"]
    # The distributed shape is also compared with the bare endpoint behind its own nginx.
    targets = ("full", "bare") + (("bare_behind_gateway",) if shape == "distributed" else ())
    assert runs["bare_behind_gateway"] == [] or shape == "distributed"
    for target in targets:
        (run,) = runs[target]
        assert _positive(run["rate"]), run
        assert run["granted"] > 0, run
        assert _positive(run["latency"]["p99_ms"]), run
        assert run["errors"] == {}, run


def test_bench_smoke_sells_out_with_zero_invariant_violations(
    bench_run: dict[str, Any], shape: str
) -> None:
    sold = bench_run["raw"][f"sellout/{shape}"]
    assert sold["sold_out"], sold
    assert sold["confirmed"] > 0 and _positive(sold["rate"]), sold
    assert sold["invariants"]["violations"] == [], sold["invariants"]
    assert sold["invariants"]["seats_sold"] == 60
    assert sold["invariants"]["revenue"] == sold["invariants"]["kept"] > 0
    assert sold["server"]["confirmed"] == sold["confirmed"]


def test_bench_smoke_browses_seat_map_with_etag_revalidation(
    bench_run: dict[str, Any], shape: str
) -> None:
    phases = {b["name"]: b for b in bench_run["raw"][f"browse/{shape}"]}
    assert set(phases["seat map"]["statuses"]) == {"200"}
    assert set(phases["seat map, If-None-Match → 304"]["statuses"]) == {"304"}
    assert set(phases["show list"]["statuses"]) == {"200"}
    for phase in phases.values():
        assert _positive(phase["rate"]) and phase["errors"] == {}, phase


def test_bench_smoke_traces_holds_to_every_live_subscriber(
    bench_run: dict[str, Any], shape: str
) -> None:
    live = bench_run["raw"][f"live/{shape}"]
    assert live["connected"] == 10 and live["failed"] == 0 and live["dropped"] == 0, live
    assert live["matched"] > 0 and live["missing"] == 0, live
    assert live["from_sent"]["count"] == live["matched"] * 10, live


def test_bench_smoke_writes_the_results_table_with_command_and_machine(
    bench_run: dict[str, Any],
) -> None:
    text = bench_run["markdown"]
    assert "<!-- bench:results:start -->" in text and "<!-- bench:results:end -->" in text
    assert "Command: `boxoffice bench --smoke" in text
    assert f"{bench_run['meta']['machine']['nproc']} cores" in text
    assert "| 1 hold storm" in text and "| 2 sell-out" in text and "| 4 live" in text
