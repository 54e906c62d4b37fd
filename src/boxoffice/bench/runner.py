"""`boxoffice bench`: starts the system in each shape (or takes --url of a running one), runs the
scenarios and the baselines side by side, and writes the table to docs/benchmarks.md."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from redis.asyncio import Redis

from boxoffice.bench import browse, invariants, live, report, sellout, stores, storm
from boxoffice.bench.bare import load_show
from boxoffice.bench.cpu import tree_cpu_seconds
from boxoffice.bench.http import Endpoint, auth
from boxoffice.bench.stats import Row
from boxoffice.bench.system import (
    ADMIN,
    BENCH_SETTINGS,
    TRACING,
    Infra,
    asyncpg_dsn,
    infrastructure,
    start_system,
)
from boxoffice.bench.world import Show, World
from boxoffice.gateway.cluster import start_nginx, wait_ready
from boxoffice.gateway.nginx import ROUTES
from boxoffice.inventory.holdstore import SHOWS_INDEX, prefix
from boxoffice.kernel.lifecycle import free_port

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


def options(args: argparse.Namespace) -> Options:
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
        command="boxoffice bench " + " ".join(sys.argv[2:]),
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


# -- the bare baseline process ----------------------------------------------------------------


@contextlib.contextmanager
def running(
    process: subprocess.Popen[bytes],
    health_url: str,
    what: str,
    stop: signal.Signals = signal.SIGQUIT,
    timeout: float = 60.0,
) -> Iterator[None]:
    """Wait until `process` answers 200 at `health_url`; stop it with `stop` when done."""
    try:
        wait_ready(health_url, process, what, timeout)
        yield
    finally:
        process.send_signal(stop)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def behind_gateway(bare_url: str, workdir: Path) -> Iterator[tuple[str, int]]:
    """nginx with the distributed shape's generated configuration, every upstream pointing at
    the bare app: the distributed full path's extra hop, without our code. (URL, nginx pid)."""
    prefix_dir = workdir / "bare-gateway"
    (prefix_dir / "tmp").mkdir(parents=True, exist_ok=True)
    bare_port = int(bare_url.rsplit(":", 1)[1])
    port = free_port()
    openapi_file = prefix_dir / "openapi.json"
    openapi_file.write_text("{}")
    process = start_nginx(
        prefix_dir, port, {name: [bare_port] for _, name in ROUTES}, prefix_dir, openapi_file
    )
    url = f"http://127.0.0.1:{port}"
    with running(process, f"{url}/health/ready", f"nginx in front of the bare app ({prefix_dir})"):
        yield url, process.pid


@contextlib.contextmanager
def bare_app(redis_url: str, workers: int, ttl_ms: int, workdir: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = {
        **os.environ,
        "BOXOFFICE_REDIS_URL": redis_url,
        "BOXOFFICE_BENCH_HOLD_TTL_MS": str(ttl_ms),
    }
    workdir.mkdir(parents=True, exist_ok=True)
    with (workdir / "bare.log").open("ab") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "boxoffice.bench.bare",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    with running(
        process, f"{url}/health", f"the bare app ({workdir / 'bare.log'})", signal.SIGTERM
    ):
        yield url, process.pid


async def drop_shows(redis_url: str, show_ids: list[uuid.UUID]) -> None:
    redis = Redis.from_url(redis_url, decode_responses=True)
    try:
        for show in show_ids:
            keys = [k async for k in redis.scan_iter(match=f"{prefix(show)}*", count=1000)]
            if keys:
                await redis.delete(*keys)
            await redis.srem(SHOWS_INDEX, show.hex)
    finally:
        await redis.aclose()


# -- scenarios --------------------------------------------------------------------------------


def _median_run(runs: list[storm.StormResult]) -> storm.StormResult:
    ranked = sorted(runs, key=lambda r: r.rate())
    return ranked[len(ranked) // 2]


def _storm_row(name: str, target: str, runs: list[storm.StormResult]) -> Row:
    mid = _median_run(runs)
    rates = [r.rate() for r in runs]
    refused = dict(sum((r.reasons for r in runs), start=type(mid.reasons)()))
    note = (
        f"granted {mid.rate(mid.granted):,.0f}/s, refused {mid.rate(mid.refused):,.0f}/s"
        + (
            f"; median of {len(runs)} ({min(rates):,.0f}–{max(rates):,.0f})"
            if len(runs) > 1
            else ""
        )
        + (f"; refusals {refused}" if refused else "")
        + (f"; errors {dict(mid.errors)}" if mid.errors else "")
        + (
            f"; server CPU {mid.cpu_per_hold_us:,.0f} µs/hold"
            if not math.isnan(mid.cpu_per_hold_us)
            else ""
        )
    )
    return Row(name, target, mid.rate(), "holds/s", mid.all.summary(), mid.error_count, note)


def storm_side_by_side(
    o: Options, t: Target, shows: list[Show], tokens: list[str], out: Outcome
) -> None:
    """Full path and bare endpoint under the same load, alternating, `repeats` times each, each
    run on a show of its own (as fresh as the first)."""
    headers = [auth(tok) for tok in tokens]
    full: list[storm.StormResult] = []
    bare: list[storm.StormResult] = []
    gated: list[storm.StormResult] = []  # the bare app behind the gateway's nginx (distributed)
    bare_shows = [uuid.uuid4() for _ in shows]
    gated_shows = [uuid.uuid4() for _ in shows]
    with contextlib.ExitStack() as stack:
        bare_url, bare_pid = None, 0
        gate_url, gate_pid = None, 0
        if t.redis_url:
            for extra, show in zip(bare_shows + gated_shows, shows + shows, strict=True):
                run_async(load_show(t.redis_url, extra, show.rows))
            stack.callback(
                lambda: run_async(drop_shows(t.redis_url or "", bare_shows + gated_shows))
            )
            bare_url, bare_pid = stack.enter_context(
                bare_app(t.redis_url, t.bare_workers, o.hold_ttl_ms, o.var_dir)
            )
            if t.shape == "distributed":
                gate_url, gate_pid = stack.enter_context(behind_gateway(bare_url, o.var_dir))

        def run(
            url: str, path: str, rows: list[list[int]], cpu: Callable[[], float] | None
        ) -> storm.StormResult:
            return with_cpu(
                cpu,
                storm.storm(
                    Endpoint.of(url),
                    path,
                    headers,
                    rows,
                    clients=o.clients,
                    seconds=o.seconds,
                    warmup=o.warmup,
                ),
            )

        for i, (show, bare_show, gated_show) in enumerate(
            zip(shows, bare_shows, gated_shows, strict=True)
        ):
            if gate_url:
                log(f"storm {i + 1}/{o.repeats}: bare endpoint behind the gateway's nginx")
                gated.append(
                    run(
                        gate_url,
                        f"/api/v1/shows/{gated_show}/holds",
                        show.rows,
                        lambda: tree_cpu_seconds(bare_pid) + tree_cpu_seconds(gate_pid),
                    )
                )
            if bare_url:
                log(f"storm {i + 1}/{o.repeats}: bare endpoint ({t.bare_workers} worker(s))")
                bare.append(
                    run(
                        bare_url,
                        f"/shows/{bare_show}/holds",
                        show.rows,
                        lambda: tree_cpu_seconds(bare_pid),
                    )
                )
            log(f"storm {i + 1}/{o.repeats}: full path ({t.shape})")
            full.append(
                run(
                    t.base_url,
                    f"/api/v1/shows/{show.id}/holds",
                    show.rows,
                    t.cpu if t.pid else None,
                )
            )
    scenario = f"1 hold storm ({o.clients} clients, {shows[0].seat_count:,} seats)"
    out.rows.append(_storm_row(scenario, f"full path, {t.shape}", full))
    f_rate = statistics.median(r.rate() for r in full)
    f_p99 = statistics.median(r.all.summary()["p99_ms"] for r in full)
    line = f"{t.shape}: full hold path {f_rate:,.0f} holds/s (p99 {f_p99:.1f} ms)"
    if bare:
        out.rows.append(_storm_row(scenario, f"bare endpoint, {t.bare_workers} worker(s)", bare))
        b_rate = statistics.median(r.rate() for r in bare)
        b_p99 = statistics.median(r.all.summary()["p99_ms"] for r in bare)
        line += (
            f" vs bare endpoint {b_rate:,.0f} holds/s (p99 {b_p99:.1f} ms): "
            f"**{f_rate / b_rate:.2f}×** (target ≥ 0.8×, ≥ 5,000 holds/s, p99 ≤ 50 ms)"
        )
    if gated:
        out.rows.append(
            _storm_row(
                scenario,
                f"bare endpoint behind the gateway's nginx, {t.bare_workers} worker(s)",
                gated,
            )
        )
        g_rate = statistics.median(r.rate() for r in gated)
        line += (
            f"; vs the bare endpoint behind the same nginx {g_rate:,.0f} holds/s: "
            f"**{f_rate / g_rate:.2f}×**"
        )
    out.summary.append(line)
    out.raw[f"storm/{t.shape}"] = {
        "full": [_storm_raw(r) for r in full],
        "bare": [_storm_raw(r) for r in bare],
        "bare_behind_gateway": [_storm_raw(r) for r in gated],
    }


def with_cpu(
    cpu: Callable[[], float] | None, run: Awaitable[storm.StormResult]
) -> storm.StormResult:
    before = cpu() if cpu else 0.0
    result = run_async(run)
    if cpu:
        result.server_cpu = cpu() - before
    return result


def _storm_raw(r: storm.StormResult) -> dict[str, Any]:
    return {
        "server_cpu_us_per_hold": r.cpu_per_hold_us,
        "rate": r.rate(),
        "granted": r.rate(r.granted),
        "refused": r.rate(r.refused),
        "latency": r.all.summary(),
        "reasons": dict(r.reasons),
        "errors": dict(r.errors),
    }


def sellout_scenario(o: Options, t: Target, show: Show, tokens: list[str], out: Outcome) -> None:
    log(f"sell-out: {show.seat_count:,} seats, {o.buyers:,} buyers, {o.concurrency} at a time")
    cpu_before = t.cpu()
    res = run_async(
        sellout.sellout(
            Endpoint.of(t.base_url),
            show.id,
            show.rows,
            tokens,
            concurrency=o.concurrency,
            buyers=o.buyers,
            timeout=300.0,
        )
    )
    cpu_ms = (t.cpu() - cpu_before) / max(1, res.confirmed) * 1000 if t.pid else math.nan
    checked: dict[str, Any] = {}
    if t.database_url:
        run_async(sellout.server_times(asyncpg_dsn(t.database_url), show.id, res))
        checked = run_async(invariants.check(asyncpg_dsn(t.database_url), t.redis_url, show.id))
    scenario = f"2 sell-out ({show.seat_count:,} seats, {o.concurrency} concurrent buyers)"
    state = "sold out" if res.sold_out else f"NOT sold out ({res.seats_sold} seats)"
    out.rows.append(
        Row(
            scenario,
            f"confirmed bookings, {t.shape}",
            res.rate,
            "bookings/s",
            res.hold_to_confirmed_seen.summary(),
            res.error_count,
            f"{state} in {res.seconds:.1f} s; latency = hold → CONFIRMED seen by polling"
            f" (every 0.7 s, as the web UI; {res.polls / max(1, res.confirmed):.1f} polls per"
            " booking)"
            + (f"; server CPU {cpu_ms:,.1f} ms/booking" if not math.isnan(cpu_ms) else "")
            + (f"; errors {dict(res.errors)}" if res.errors else ""),
        )
    )
    for name, lat in (("hold", res.hold), ("book (POST /bookings)", res.book)):
        out.rows.append(Row(scenario, f"step: {name}", math.nan, "", lat.summary(), 0))
    server: dict[str, Any] = res.server
    if server:
        out.rows.append(
            Row(
                scenario,
                "step: booking → CONFIRMED (server-stamped)",
                math.nan,
                "",
                server["booking_to_confirmed"],
                0,
            )
        )
        out.rows.append(
            Row(
                scenario,
                "hold → CONFIRMED (server-stamped)",
                math.nan,
                "",
                server["hold_to_confirmed"],
                0,
                f"sold out {server['sellout_seconds']:.1f} s after the first hold",
            )
        )
    if checked:
        v = checked["violations"]
        out.rows.append(
            Row(
                scenario,
                "invariant check",
                math.nan,
                "",
                {},
                len(v),
                f"{len(v)} violations; {checked['seats_sold']:,} seats sold in "
                f"{checked['confirmed_bookings']:,} bookings, {checked['still_pending']} pending"
                + (f"; first: {v[:3]}" if v else ""),
            )
        )
    p99 = server.get("hold_to_confirmed", {}).get("p99_ms", math.nan) if server else math.nan
    out.summary.append(
        f"{t.shape}: sell-out {res.rate:,.0f} confirmed bookings/s, {state} in "
        f"{res.seconds:.1f} s, hold → CONFIRMED p99 {p99:,.0f} ms (server-stamped), "
        f"{len(checked.get('violations', [])) if checked else 'unchecked'} invariant violations "
        "(target ≥ 500/s, ≤ 20 s, p99 ≤ 1 s, 0)"
    )
    out.raw[f"sellout/{t.shape}"] = {
        "rate": res.rate,
        "seconds": res.seconds,
        "sold_out": res.sold_out,
        "confirmed": res.confirmed,
        "buyers_started": res.buyers_started,
        "refused": dict(res.refused),
        "outcomes": dict(res.outcomes),
        "errors": dict(res.errors),
        "polls": res.polls,
        "server_cpu_ms_per_booking": cpu_ms,
        "hold": res.hold.summary(),
        "book": res.book.summary(),
        "confirm_seen": res.confirm_seen.summary(),
        "hold_to_confirmed_seen": res.hold_to_confirmed_seen.summary(),
        "server": server,
        "invariants": checked,
    }


def browse_scenario(o: Options, t: Target, show: Show, out: Outcome) -> None:
    e = Endpoint.of(t.base_url)
    seats = f"/api/v1/shows/{show.id}/seats"
    scenario = f"3 browse (seat map of {show.seat_count:,} seats)"
    clients = min(32, o.clients)
    results: list[browse.BrowseResult] = []

    def measured(run: Awaitable[browse.BrowseResult]) -> None:
        before = t.cpu()
        result = run_async(run)
        if t.pid:
            result.server_cpu = t.cpu() - before
        results.append(result)

    log("browse: seat map, closed loop")
    measured(browse.closed_loop(e, "seat map", seats, clients=clients, seconds=o.seconds))
    etag = run_async(browse.etag_of(e, seats))
    log("browse: seat map with If-None-Match, closed loop")
    measured(
        browse.closed_loop(
            e,
            "seat map, If-None-Match → 304",
            seats,
            clients=clients,
            seconds=o.seconds,
            headers=b"If-None-Match: " + etag + b"\r\n",
            expect=304,
        )
    )
    log("browse: show list, closed loop")
    measured(
        browse.closed_loop(
            e, "show list", "/api/v1/shows?limit=20", clients=clients, seconds=o.seconds
        )
    )
    log(f"browse: seat map at {o.map_rate:.0f} req/s, open loop")
    measured(
        browse.open_loop(
            e, f"seat map at {o.map_rate:.0f} req/s", seats, rate=o.map_rate, seconds=o.seconds
        )
    )
    for r in results:
        size = r.bytes / max(1, len(r.latencies))
        mode = "open loop" if r.rate_asked else f"{clients} clients"
        out.rows.append(
            Row(
                scenario,
                f"{r.name}, {t.shape}",
                r.rate,
                "req/s",
                r.latencies.summary(),
                r.error_count,
                f"{mode}; {size / 1024:,.1f} KiB per answer"
                + (
                    f"; server CPU {r.cpu_per_request_us:,.0f} µs/request"
                    if not math.isnan(r.cpu_per_request_us)
                    else ""
                )
                + (f"; errors {dict(r.errors)}" if r.errors else ""),
            )
        )
    at_rate = results[-1].latencies.summary()
    out.summary.append(
        f"{t.shape}: seat map at {o.map_rate:.0f} req/s: p99 {at_rate['p99_ms']:.1f} ms "
        f"({results[-1].rate:,.0f} req/s served; target p99 ≤ 20 ms at 500 req/s)"
    )
    out.raw[f"browse/{t.shape}"] = [
        {
            "name": r.name,
            "rate": r.rate,
            "latency": r.latencies.summary(),
            "statuses": {str(k): v for k, v in r.statuses.items()},
            "errors": dict(r.errors),
            "bytes": r.bytes,
            "server_cpu_us_per_request": r.cpu_per_request_us,
        }
        for r in results
    ]


def live_scenario(o: Options, t: Target, show: Show, tokens: list[str], out: Outcome) -> None:
    path = f"/api/v1/shows/{show.id}/seats/stream"
    log(f"live: connecting {o.subscribers:,} subscribers")
    subs = live.Subscribers(t.base_url, path, o.subscribers)
    ready = subs.start()
    log(f"live: {ready['connected']:,} connected in {ready['seconds']:.1f} s; storm starts")
    res = with_cpu(
        t.cpu if t.pid else None,
        storm.storm(
            Endpoint.of(t.base_url),
            f"/api/v1/shows/{show.id}/holds",
            [auth(tok) for tok in tokens],
            show.rows,
            clients=o.clients,
            seconds=o.seconds,
            warmup=o.warmup,
            keep_samples=True,
        ),
    )
    report_ = subs.finish()
    lr = live.delivery(res.samples, report_, ready)
    scenario = f"4 live ({lr.connected:,} subscribers, storm of {o.clients} clients)"
    out.rows.append(
        Row(
            scenario,
            f"hold → delivered to every subscriber, {t.shape}",
            math.nan,
            "",
            lr.from_sent.summary(),
            lr.dropped + ready["failed"],
            f"{lr.matched_holds} of {lr.sampled_holds} sampled holds traced to "
            f"{lr.subscribers:,} subscribers ({len(lr.from_sent):,} deliveries, "
            f"{lr.missing:,} missing); {ready['failed']} failed to connect, "
            f"{lr.dropped} dropped",
        )
    )
    out.rows.append(
        Row(
            scenario,
            "hold answered → delivered",
            math.nan,
            "",
            lr.from_answer.summary(),
            0,
            "0 when the update arrived before the hold's own answer",
        )
    )
    out.rows.append(
        Row(
            scenario,
            "the storm meanwhile",
            res.rate(),
            "holds/s",
            res.all.summary(),
            res.error_count,
            f"granted {res.rate(res.granted):,.0f}/s, refused {res.rate(res.refused):,.0f}/s"
            + (
                f"; server CPU {res.cpu_per_hold_us:,.0f} µs/hold (fan-out included)"
                if not math.isnan(res.cpu_per_hold_us)
                else ""
            ),
        )
    )
    p99 = lr.from_sent.summary()["p99_ms"]
    out.summary.append(
        f"{t.shape}: live updates to {lr.connected:,} subscribers: p99 {p99:,.0f} ms from "
        f"hold to delivery while the storm ran at {res.rate():,.0f} holds/s (target p99 ≤ 1 s)"
    )
    out.raw[f"live/{t.shape}"] = {
        "connected": lr.connected,
        "failed": ready["failed"],
        "dropped": lr.dropped,
        "events_seen": lr.events_seen,
        "matched": lr.matched_holds,
        "missing": lr.missing,
        "from_sent": lr.from_sent.summary(),
        "from_answer": lr.from_answer.summary(),
        "storm": _storm_raw(res),
    }


# -- one target, all scenarios ----------------------------------------------------------------


def measure(o: Options, t: Target, out: Outcome) -> None:
    world = World(t.base_url, o.admin)
    created: list[uuid.UUID] = []

    async def setup(customers: int) -> None:
        await world.prepare(customers)

    def new_show(seats: int, per_row: int = 100, title: str = "Bench") -> Show:
        show = run_async(world.show(seats, seats_per_row=per_row, title=title))
        created.append(uuid.UUID(show.id))
        return show

    try:
        log(f"{t.shape}: creating {o.clients} customers and the shows")
        run_async(setup(o.clients))
        tokens = [a.token for a in world.accounts]
        storm_shows = (
            [new_show(o.seats, title="Storm") for _ in range(o.repeats)]
            if "storm" in o.scenarios
            else []
        )
        sell_show = new_show(o.seats, title="Sell-out") if "sellout" in o.scenarios else None
        map_show = (
            new_show(o.map_seats, per_row=200, title="Big map") if "browse" in o.scenarios else None
        )
        live_show = new_show(o.seats, title="Live") if "live" in o.scenarios else None
        if storm_shows:
            storm_side_by_side(o, t, storm_shows, tokens, out)
        if sell_show:
            sellout_scenario(o, t, sell_show, tokens, out)
        if map_show:
            browse_scenario(o, t, map_show, out)
        if live_show:
            run_async(world.refresh_tokens())
            live_scenario(o, t, live_show, [a.token for a in world.accounts], out)
    finally:
        run_async(world.close())
        if t.started and t.redis_url and created:
            run_async(drop_shows(t.redis_url, created))


def raw_stores(o: Options, infra: Infra | None, out: Outcome) -> None:
    redis_url = infra.redis_url if infra else o.redis_url
    server_url = infra.server_url if infra else None
    if redis_url:
        log("raw stores: redis-benchmark")
        out.rows += stores.redis_baselines(redis_url, o.clients, 200_000, o.seats)
    if infra and server_url:
        log("raw stores: pgbench")
        out.rows += stores.pgbench_baselines(
            server_url,
            16,
            o.seconds,
            infra.create_database,
            _dropper(infra),
        )


def _dropper(infra: Infra) -> Callable[[str], Awaitable[None]]:
    async def drop(name: str) -> None:
        import asyncpg  # type: ignore[import-untyped]

        conn = await asyncpg.connect(asyncpg_dsn(infra.server_url))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
        if name in infra.databases:
            infra.databases.remove(name)

    return drop


def main(args: argparse.Namespace) -> int:
    o = options(args)
    out = Outcome()
    load_before = report.load_average()
    started_at = report.now()
    if o.url:
        t = Target(
            o.shapes[0],
            o.url.rstrip("/"),
            o.database_url,
            o.redis_url,
            o.workers,
            False,
            o.server_pid,
        )
        measure(o, t, out)
        if o.stores:
            raw_stores(o, None, out)
    else:
        with infrastructure(o.var_dir) as infra:
            for shape in o.shapes:
                log(f"starting the {shape} shape")
                # eight processes share PostgreSQL's 100 connections (max_connections)
                extra = {"db_pool_size": "5"} if shape == "distributed" else {}
                system = start_system(infra, shape, o.var_dir, extra, workers=o.workers)
                try:
                    bare_workers = o.workers if shape == "all-in-one" else 2
                    t = Target(
                        shape,
                        system.base_url,
                        system.database_url,
                        infra.redis_url,
                        bare_workers,
                        True,
                        system.process.pid,
                    )
                    measure(o, t, out)
                finally:
                    system.stop()
            if o.stores:
                raw_stores(o, infra, out)
    meta = {
        "command": o.command,
        "date": started_at,
        "revision": report.git_revision(),
        "machine": report.machine(),
        "load_before": load_before,
        "load_after": report.load_average(),
        "settings": {**BENCH_SETTINGS, **TRACING} if not o.url else {},
    }
    block = report.render(meta, out.rows, out.summary)
    sys.stdout.write(block + "\n")
    if o.out is not None:
        report.write(o.out, block)
    if o.json_out is not None:
        o.json_out.write_text(
            json.dumps(
                {"meta": meta, "rows": [r.as_dict() for r in out.rows], "raw": out.raw},
                indent=1,
                default=str,
            )
        )
    return 0
