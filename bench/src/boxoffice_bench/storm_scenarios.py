"""Scenarios 1 and 4: the hold storm side by side with the bare endpoint, and the live seat-map
updates delivered while a storm runs."""

from __future__ import annotations

import contextlib
import math
import statistics
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from boxoffice_bench import live, storm
from boxoffice_bench.bare import load_show
from boxoffice_bench.baselines import bare_app, behind_gateway, drop_shows
from boxoffice_bench.cpu import tree_cpu_seconds
from boxoffice_bench.http import Endpoint, auth
from boxoffice_bench.options import Options, Outcome, Target, log, run_async
from boxoffice_bench.stats import Row
from boxoffice_bench.world import Show


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
