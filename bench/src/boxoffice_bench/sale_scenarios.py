"""Scenarios 2 and 3: the sell-out (with the invariant audit after it) and browsing the seat
map and the show list."""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections.abc import Awaitable
from typing import Any

from boxoffice.audit import audit
from boxoffice_bench import browse, sellout
from boxoffice_bench.http import Endpoint
from boxoffice_bench.options import Options, Outcome, Target, log, run_async
from boxoffice_bench.stats import Row
from boxoffice_bench.system import asyncpg_dsn
from boxoffice_bench.world import Show


async def audited(
    database_url: str, redis_url: str | None, show_id: str, *, settle_seconds: float = 60.0
) -> dict[str, Any]:
    """The product's audit (`boxoffice audit`) of the sold-out show, once none of its bookings
    is PENDING any more (compensation runs on events) or settle_seconds have passed."""
    show = uuid.UUID(show_id)
    deadline = time.monotonic() + settle_seconds
    while True:
        found = await audit(database_url, redis_url, show, grace_seconds=5.0)
        if not found.figures["pending"] or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    f = found.figures
    return {
        "violations": [str(v) for v in found.violations],
        "still_pending": f["pending"],
        "seats_sold": f["seats_sold"],
        "confirmed_bookings": f["confirmed_bookings"],
        "revenue": f["revenue"],
        "kept": f["kept"],
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
    mails: dict[str, Any] = {}
    if t.database_url:
        run_async(sellout.server_times(asyncpg_dsn(t.database_url), show.id, res))
        checked = run_async(audited(t.database_url, t.redis_url, show.id))
        mails = run_async(
            sellout.confirmation_mails(asyncpg_dsn(t.database_url), show.id, res.confirmed)
        )
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
            f"{state} in {res.seconds:.1f} s; latency = hold → CONFIRMED as the buyer sees it"
            " on the customer's live channel (as the web UI, which polls every 5 s only as a"
            f" fallback: {res.polls / max(1, res.confirmed):.1f} polls per booking)"
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
    if mails:
        out.rows.append(
            Row(
                scenario,
                f"confirmation mails, {t.shape}",
                math.nan,
                "",
                {},
                mails["owed"] - mails["sent"],
                f"{mails['sent']:,} of {res.confirmed:,} confirmations mailed (tickets PDF and "
                f".ics, over SMTP to the development sink), the last "
                f"{mails['after_last_sale']:.1f} s after the last sale; during the sale each "
                "sender sends 5 a second",
            )
        )
        out.raw[f"mails/{t.shape}"] = mails
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
