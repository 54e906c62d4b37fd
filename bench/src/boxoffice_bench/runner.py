"""`boxoffice bench`: starts the system in each shape (or takes --url of a running one), runs the
scenarios and the baselines side by side, and writes the table to docs/benchmarks.md."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Awaitable, Callable

from boxoffice_bench import report, stores
from boxoffice_bench.baselines import drop_shows
from boxoffice_bench.options import Options, Outcome, Target, log, options, run_async
from boxoffice_bench.sale_scenarios import browse_scenario, sellout_scenario
from boxoffice_bench.storm_scenarios import live_scenario, storm_side_by_side
from boxoffice_bench.system import (
    BENCH_SETTINGS,
    TRACING,
    Infra,
    asyncpg_dsn,
    infrastructure,
    start_system,
)
from boxoffice_bench.waiting_room import waiting_room_scenario
from boxoffice_bench.world import Show, World


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
        if o.scenarios == ["waiting-room"]:
            o.clients = min(o.clients, 4)  # its customers are made in bulk by the scenario
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
        if "waiting-room" in o.scenarios:
            for rate in o.admission_rates:
                room_show = new_show(o.seats, title="Waiting room")
                waiting_room_scenario(o, t, world, room_show, rate, out)
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


def main(argv: list[str]) -> int:
    """`boxoffice bench ARGV` (the product's command hands its arguments over)."""
    o = options(argv)
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
                        system.var_dir,
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
    # a waiting-room run has a section of its own, so the last full run's figures stay
    section = "waiting-room" if o.scenarios == ["waiting-room"] else "results"
    block = report.render(meta, out.rows, out.summary, section)
    sys.stdout.write(block + "\n")
    if o.out is not None:
        report.write(o.out, block, section, "## The waiting room (100,000 customers in line)")
    if o.json_out is not None:
        o.json_out.write_text(
            json.dumps(
                {"meta": meta, "rows": [r.as_dict() for r in out.rows], "raw": out.raw},
                indent=1,
                default=str,
            )
        )
    return 0
