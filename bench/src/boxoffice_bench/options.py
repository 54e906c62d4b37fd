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

from boxoffice_bench.cpu import tree_cpu_seconds, tree_rss_bytes
from boxoffice_bench.stats import Row
from boxoffice_bench.system import ADMIN

T = TypeVar("T")
SCENARIOS = ("storm", "sellout", "browse", "live", "waiting-room")
# run when --scenarios is not given (the waiting room is a run of its own: --scenarios waiting-room)
DEFAULT_SCENARIOS = ("storm", "sellout", "browse", "live")


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
    waiting_users: int = 100_000
    sse_users: int = 2_000
    poll_every: float = 15.0
    late_share: float = 0.02
    wait_seconds: float = 30.0
    admission_rates: tuple[str, ...] = ("auto",)
    sale_timeout: float = 600.0
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
    var_dir: Path | None = None  # the installation's var dir (its keys), when the bench started it

    def cpu(self) -> float:
        return tree_cpu_seconds(self.pid) if self.pid else 0.0

    def rss(self) -> int:
        return tree_rss_bytes(self.pid) if self.pid else 0


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
    p.add_argument(
        "--scenarios",
        default=",".join(DEFAULT_SCENARIOS),
        help=f"comma-separated, of {', '.join(SCENARIOS)}",
    )
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
    w = p.add_argument_group("waiting room (--scenarios waiting-room)")
    w.add_argument("--waiting-users", type=int, default=100_000, help="customers in the queue")
    w.add_argument("--sse-users", type=int, default=2_000, help="of them, on the SSE stream")
    w.add_argument(
        "--poll-every", type=float, default=15.0, help="the others poll every 2/3..4/3 of this (s)"
    )
    w.add_argument(
        "--late-share", type=float, default=0.02, help="share joining after on_sale_at (FIFO)"
    )
    w.add_argument("--wait-seconds", type=float, default=30.0, help="all waiting, before on-sale")
    w.add_argument(
        "--admission-rate",
        default="auto",
        help='per minute, or "auto"; comma-separated runs one on-sale each (e.g. auto,3000)',
    )
    w.add_argument("--sale-timeout", type=float, default=600.0, help="longest on-sale (s)")
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
        waiting_users=args.waiting_users,
        sse_users=args.sse_users,
        poll_every=args.poll_every,
        late_share=args.late_share,
        wait_seconds=args.wait_seconds,
        admission_rates=tuple(r.strip() for r in args.admission_rate.split(",") if r.strip()),
        sale_timeout=args.sale_timeout,
    )
    if args.smoke:
        o.seconds, o.repeats, o.clients = 1.0, 1, 4
        o.seats, o.map_seats, o.concurrency = 60, 200, 8
        o.subscribers, o.map_rate = 10, 20.0
        o.stores, o.warmup = False, 0.0
        o.waiting_users, o.sse_users, o.poll_every, o.wait_seconds = 200, 20, 3.0, 3.0
    if o.scenarios == ["waiting-room"]:
        o.stores = False  # a run of its own: the raw stores are the full run's
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
