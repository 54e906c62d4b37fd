"""What a bench run is asked to do (the command's arguments), where each shape runs, and what
it found; the helpers every scenario shares."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from boxoffice_bench.cpu import tree_cpu_seconds
from boxoffice_bench.stats import Row
from boxoffice_bench.system import ADMIN

T = TypeVar("T")
SCENARIOS = ("storm", "sellout", "browse", "live")


@dataclass
class Options:
    url: str | None
    shapes: list[str]
    scenarios: list[str]
    seconds: float
    repeats: int
    clients: int
    seats: int
    map_seats: int
    buyers: int
    concurrency: int
    subscribers: int
    map_rate: float
    workers: int
    stores: bool
    database_url: str | None
    redis_url: str | None
    server_pid: int | None
    admin: tuple[str, str]
    out: Path | None
    json_out: Path | None
    var_dir: Path
    command: str
    hold_ttl_ms: int = 10_000  # the bare endpoint's, as BENCH_SETTINGS gives the system
    warmup: float = 1.0  # seconds of each storm that are not counted


@dataclass
class Target:
    """Where one shape runs and what the bench may touch besides its HTTP API."""

    shape: str
    base_url: str
    database_url: str | None
    redis_url: str | None
    bare_workers: int
    started: bool  # the bench started it (so it may clean its Redis keys afterwards)
    pid: int | None = None  # its process (tree), for CPU per request

    def cpu(self) -> float:
        return tree_cpu_seconds(self.pid) if self.pid else 0.0


@dataclass
class Outcome:
    rows: list[Row] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--url", help="measure a running system at this base URL instead")
    p.add_argument(
        "--shape",
        choices=("all-in-one", "distributed", "both"),
        default="both",
        help="which shape(s) to start; with --url, the label of the running one",
    )
    p.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated subset")
    p.add_argument("--seconds", type=float, default=10.0, help="length of each timed run")
    p.add_argument("--repeats", type=int, default=3, help="storm runs per target (median)")
    p.add_argument("--clients", type=int, default=64)
    p.add_argument("--seats", type=int, default=10_000)
    p.add_argument("--map-seats", type=int, default=20_000)
    p.add_argument("--buyers", type=int, default=0, help="default: seats + 20%%")
    p.add_argument("--concurrency", type=int, default=256, help="concurrent buyers (sell-out)")
    p.add_argument("--subscribers", type=int, default=5_000)
    p.add_argument("--map-rate", type=float, default=500.0, help="seat-map requests/s (open loop)")
    p.add_argument(
        "--workers", type=int, default=2, help="uvicorn workers of all-in-one and bare (2 cores)"
    )
    p.add_argument("--no-stores", action="store_true", help="skip redis-benchmark and pgbench")
    p.add_argument("--database-url", help="with --url: for the invariant check")
    p.add_argument("--redis-url", help="with --url: for the bare baseline and invariant check")
    p.add_argument(
        "--server-pid", type=int, help="with --url: its process, to report CPU per request"
    )
    p.add_argument("--admin-email", default=os.environ.get("BOXOFFICE_ADMIN_EMAIL", ADMIN[0]))
    p.add_argument("--admin-password", default=os.environ.get("BOXOFFICE_ADMIN_PASSWORD", ADMIN[1]))
    p.add_argument("--out", default="docs/benchmarks.md", help="'-' to write no Markdown")
    p.add_argument("--json", dest="json_out", help="also write raw results as JSON here")
    p.add_argument("--var-dir", default="var/bench")
    p.add_argument("--smoke", action="store_true", help="tiny sizes, a few seconds per scenario")


def options(argv: list[str]) -> Options:
    """The run `boxoffice bench ARGV` asks for."""
    parser = argparse.ArgumentParser(
        prog="boxoffice bench", description="Run the benchmark scenarios (docs/benchmarks.md)."
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    scenarios = [s for s in args.scenarios.split(",") if s]
    unknown = set(scenarios) - set(SCENARIOS)
    if unknown:
        raise SystemExit(f"unknown scenarios: {', '.join(sorted(unknown))}")
    shapes = ["all-in-one", "distributed"] if args.shape == "both" else [args.shape]
    if args.url and args.shape == "both":
        shapes = ["running system"]
    o = Options(
        url=args.url,
        shapes=shapes,
        scenarios=scenarios,
        seconds=args.seconds,
        repeats=args.repeats,
        clients=args.clients,
        seats=args.seats,
        map_seats=args.map_seats,
        buyers=args.buyers,
        concurrency=args.concurrency,
        subscribers=args.subscribers,
        map_rate=args.map_rate,
        workers=args.workers,
        stores=not args.no_stores,
        database_url=args.database_url,
        redis_url=args.redis_url,
        server_pid=args.server_pid,
        admin=(args.admin_email, args.admin_password),
        out=None if args.out == "-" else Path(args.out),
        json_out=Path(args.json_out) if args.json_out else None,
        var_dir=Path(args.var_dir).resolve(),
        command=" ".join(["boxoffice bench", *argv]),
    )
    if args.smoke:
        o.seconds, o.repeats, o.clients = 1.0, 1, 4
        o.seats, o.map_seats, o.concurrency = 60, 200, 8
        o.subscribers, o.map_rate = 10, 20.0
        o.stores, o.warmup = False, 0.0
    if not o.buyers:
        o.buyers = o.seats + o.seats // 5
    return o


def run_async(coro: Awaitable[T]) -> T:
    import uvloop

    async def wrapped() -> T:
        return await coro

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(wrapped())


def log(message: str) -> None:
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()
