"""Scenario 5, the waiting room: an on-sale with `--waiting-users` customers (100,000) in the
line of one show.

1. The customers are written into identity.users in one COPY (one argon2 hash shared by all)
   and their access tokens are signed here with the installation's own key (var/keys), as the
   register API would take an hour for 100,000.
2. Before on_sale_at all but a few join over HTTP (challenge → proof of work → join).
3. Then they wait: a sample follows the line's SSE stream and asks for its status only when
   the stream says its turn may have come (or the room sold out); the others poll
   GET /queue/{id} every 2/3..4/3 of --poll-every seconds. Measured: status latency, errors,
   server CPU and memory per waiting customer.
4. At on_sale_at admission runs (auto or a fixed rate); whoever is let in holds with the pass
   and books (sellout.py's path) until the show is sold out; the rest are told sold_out and
   pointed at the waiting list, which a few of them join.
5. Fairness: the places the API gave vs the order the server let customers in, and for the
   late arrivals (who join after on_sale_at) Kendall's tau between join order and place."""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from boxoffice_bench import sellout
from boxoffice_bench.fairness import causal_inversions, kendall_tau, order_check
from boxoffice_bench.http import Connection, Endpoint, HttpError, auth, subscribe
from boxoffice_bench.options import Options, Outcome, Target, log, run_async
from boxoffice_bench.stats import Latencies, Row
from boxoffice_bench.system import asyncpg_dsn
from boxoffice_bench.world import PASSWORD, Show, World

JOIN_CONNECTIONS = 128
POLL_CONNECTIONS = 256
SSE_OPENING = 200  # streams opened at once
LATE_SECONDS = 10.0  # the late arrivals join over this long after on_sale_at
WAITLIST_SAMPLE = 20
TELL_SECONDS = 150.0  # after the sell-out, the longest wait for everyone to be told


@dataclass
class Customer:
    id: str
    hdr: bytes
    late: bool = False
    sse: bool = False
    queue_id: str = ""
    join_order: int = -1  # order of the join requests sent
    place: int | None = None  # 0-based place in line, first told after on-sale
    place_moved: bool = False  # a later status told another place
    state: str = ""
    admitted: bool = False
    asked: bool = False  # an SSE customer asked for its place after the draw
    polls: int = 0
    join_sent: float = 0.0  # when its POST /queue was sent and answered (monotonic)
    join_answered: float = 0.0
    last_answer: float = 0.0  # when a status last came back


@dataclass
class Phase:
    latency: Latencies = field(default_factory=Latencies)
    errors: dict[str, int] = field(default_factory=dict)
    started: float = 0.0
    ended: float = 0.0

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def rate(self) -> float:
        span = self.ended - self.started
        return len(self.latency) / span if span > 0 else math.nan


# -- the customers ------------------------------------------------------------------------------


async def bulk_customers(database_url: str, keys: Path, count: int) -> list[tuple[str, str]]:
    """`count` customers written straight into identity.users (one COPY), each with an access
    token signed with the installation's key: [(user id, token)]."""
    import asyncpg  # type: ignore[import-untyped]

    from boxoffice.kernel.auth import TokenIssuer, hash_password

    run = uuid.uuid4().hex[:8]
    shared_hash = hash_password(PASSWORD)
    now = datetime.now(UTC)
    records = [
        (uuid.uuid4(), f"wr-{run}-{i}@boxoffice.example", "Bench", shared_hash, ["customer"], now)
        for i in range(count)
    ]
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await conn.copy_records_to_table(
            "users",
            schema_name="identity",
            records=records,
            columns=["id", "email", "name", "password_hash", "roles", "created_at"],
        )
    finally:
        await conn.close()
    issuer = TokenIssuer(
        (keys / "jwt-ed25519.pem").read_bytes(),
        (keys / "jwt-ed25519.pub.pem").read_bytes(),
        "boxoffice",
        4 * 3600,  # outlives the run
    )
    return [(str(r[0]), issuer.issue(r[0], ["customer"], r[1])) for r in records]


# -- the run ------------------------------------------------------------------------------------


@dataclass
class RoomRun:
    o: Options
    t: Target
    world: World
    show: Show
    rate: str
    customers: list[Customer]
    e: Endpoint = field(init=False)
    join: Phase = field(default_factory=Phase)
    late_join: Phase = field(default_factory=Phase)
    waiting: Phase = field(default_factory=Phase)  # status, before on-sale
    selling: Phase = field(default_factory=Phase)  # status, after on-sale
    figures: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    on_sale: float = 0.0  # monotonic
    stopping: bool = False
    due: asyncio.Queue[Customer] = field(default_factory=asyncio.Queue)
    admitted: asyncio.Queue[bytes | None] = field(default_factory=asyncio.Queue)
    admitted_count: int = 0
    rng: random.Random = field(default_factory=random.Random)
    sse_events: int = 0
    sse_errors: int = 0
    lag: Latencies = field(default_factory=Latencies)  # poll sent later than it was due
    lag_due: dict[int, float] = field(default_factory=dict)
    answered: int = 0  # statuses answered 200, for rates over a window
    joins_sent: int = 0  # POST /queue requests sent: the order of arrival as the clients know it

    def __post_init__(self) -> None:
        self.e = Endpoint.of(self.t.base_url)

    @property
    def show_path(self) -> str:
        return f"/api/v1/shows/{self.show.id}"

    async def put_room(self, on_sale_at: datetime) -> dict[str, Any]:
        assert self.world.organizer is not None
        rate: int | str = self.rate if self.rate == "auto" else int(self.rate)
        r = await self.world.client.put(
            f"/shows/{self.show.id}/waiting-room",
            headers=self.world.organizer.headers,
            json={
                "opens_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
                "on_sale_at": on_sale_at.isoformat(),
                "admission_rate": rate,
                "pass_ttl_seconds": 600,
                "max_tickets_per_customer": 4,
            },
        )
        if r.status_code != 200:
            raise RuntimeError(f"waiting room: {r.status_code} {r.text}")
        return dict(r.json())

    async def join_one(self, conn: Connection, c: Customer, phase: Phase) -> None:
        from boxoffice.inventory.onsale import solve

        sent = time.monotonic()
        try:
            r = await conn.request("GET", f"{self.show_path}/queue/challenge", c.hdr)
            if r.status != 200:
                phase.error(f"challenge: HTTP {r.status}")
                return
            ch = orjson.loads(r.body)
            body = orjson.dumps(
                {
                    "challenge": ch["challenge"],
                    "solution": solve(ch["challenge"], ch["difficulty_bits"]),
                }
            )
            c.join_order = self.joins_sent
            self.joins_sent += 1
            c.join_sent = time.monotonic()
            r = await conn.request("POST", f"{self.show_path}/queue", c.hdr, body)
            c.join_answered = time.monotonic()
        except (HttpError, OSError, TimeoutError) as exc:
            phase.error(f"join: {type(exc).__name__}")
            return
        if r.status not in (200, 201):
            phase.error(f"join: HTTP {r.status}")
            return
        phase.latency.add(time.monotonic() - sent)
        self.seen(c, orjson.loads(r.body))

    async def join_all(self, crowd: list[Customer], phase: Phase, *, spread: float = 0.0) -> None:
        """Everyone in `crowd` joins, in its order (`spread`: over that many seconds, evenly)."""
        phase.started = time.monotonic()
        todo = iter(enumerate(crowd))

        async def worker() -> None:
            conn = Connection(self.e, timeout=60)
            try:
                for i, c in todo:
                    if spread:
                        await asyncio.sleep(
                            max(0.0, phase.started + spread * i / len(crowd) - time.monotonic())
                        )
                    await self.join_one(conn, c, phase)
                    if c.queue_id and not c.sse and not self.stopping and phase is self.late_join:
                        self.schedule(c, self.rng.uniform(0.5, 1.5) * self.o.poll_every)
            finally:
                conn.close()

        await asyncio.gather(*(worker() for _ in range(JOIN_CONNECTIONS)))
        phase.ended = time.monotonic()

    def seen(self, c: Customer, status: dict[str, Any]) -> None:
        """What a status (or a join's answer) tells the customer."""
        c.queue_id = status["queue_id"]
        c.state = status["state"]
        if status.get("ahead") is not None and c.state == "waiting":
            place = int(status["admitted_so_far"]) + int(status["ahead"])
            if c.place is None:
                c.place = place
            elif c.place != place:
                c.place_moved = True
        if c.state == "admitted" and not c.admitted:
            c.admitted = True
            self.admitted_count += 1
            token = status["admission_pass"]
            self.admitted.put_nowait(c.hdr + f"X-Admission-Pass: {token}\r\n".encode())

    # -- waiting: polls and streams --

    def schedule(self, c: Customer, delay: float) -> None:
        loop = asyncio.get_running_loop()
        due = time.monotonic() + delay

        def put() -> None:
            if not self.stopping:
                self.due.put_nowait(c)
                self.lag_due[id(c)] = due

        loop.call_later(delay, put)

    async def poller(self) -> None:
        conn = Connection(self.e, timeout=30)
        try:
            while not self.stopping:
                c = await self.due.get()
                if self.stopping:
                    return
                if c.admitted or c.state == "expired":
                    continue
                due = self.lag_due.pop(id(c), None)
                if due is not None:
                    self.lag.add(max(0.0, time.monotonic() - due))
                phase = (
                    self.selling
                    if self.on_sale and time.monotonic() >= self.on_sale
                    else self.waiting
                )
                sent = time.monotonic()
                try:
                    r = await conn.request("GET", f"/api/v1/queue/{c.queue_id}", c.hdr)
                except (HttpError, OSError, TimeoutError) as exc:
                    phase.error(type(exc).__name__)
                    r = None
                if r is not None:
                    if r.status == 200:
                        phase.latency.add(time.monotonic() - sent)
                        self.answered += 1
                        c.polls += 1
                        c.last_answer = time.monotonic()
                        self.seen(c, orjson.loads(r.body))
                    else:
                        phase.error(f"HTTP {r.status}")
                if not c.sse and not c.admitted:
                    self.schedule(c, self.rng.uniform(2 / 3, 4 / 3) * self.o.poll_every)
        finally:
            conn.close()

    def on_stream(self, c: Customer) -> Any:
        """The SSE customer's reaction to the line's figures: ask for the status when the turn
        may have come, when the draw has happened, or when sold-out flips (as the web UI)."""
        last_sold_out = [False]

        def on_event(data: bytes, _now: float) -> None:
            self.sse_events += 1
            if c.admitted or not c.queue_id or self.stopping:
                return
            now = orjson.loads(data)
            flipped = bool(now.get("sold_out")) != last_sold_out[0]
            last_sold_out[0] = bool(now.get("sold_out"))
            admitted = int(now.get("admitted_so_far") or 0)
            turn = c.place is not None and admitted > c.place
            draw = c.place is None and admitted > 0 and c.state == "waiting"
            if flipped or turn or (draw and not c.asked):
                c.asked = c.asked or draw
                # spread over a second, as clocks and networks do
                self.schedule(c, self.rng.uniform(0, 1.0))

        return on_event

    async def figures_sampler(self) -> None:
        while not self.stopping:
            with contextlib.suppress(Exception):
                r = await self.world.client.get(f"/shows/{self.show.id}/waiting-room")
                if r.status_code == 200:
                    self.figures.append((time.monotonic(), r.json()))
            await asyncio.sleep(2.0)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else math.nan


async def run_room(o: Options, t: Target, world: World, show: Show, rate: str) -> dict[str, Any]:
    n = o.waiting_users
    out: dict[str, Any] = {"users": n, "rate": rate, "seats": show.seat_count}
    begin = time.monotonic()
    if t.var_dir is not None and t.database_url:
        log(f"waiting room: {n:,} customers in bulk, tokens signed with the installation's key")
        made = await bulk_customers(t.database_url, t.var_dir / "keys", n)
        out["customers"] = "bulk COPY, tokens signed locally"
    else:
        n = min(n, 500)
        log(f"waiting room: no installation of ours to write into; {n} customers via the API")
        if n > len(world.accounts):  # the organizer and admin are those of measure()
            world.accounts += await world._users(n - len(world.accounts), ["customer"])
        made = [(a.id, a.token) for a in world.accounts[:n]]
        out["customers"] = f"{n} via the API (a running system)"
    out["users"] = n
    out["setup_seconds"] = time.monotonic() - begin
    rng = random.Random(5)
    customers = [Customer(uid, auth(token)) for uid, token in made]
    late_count = int(n * o.late_share)
    for c in customers[n - late_count :]:
        c.late = True
    early = [c for c in customers if not c.late]
    for c in rng.sample(early, min(o.sse_users, len(early))):
        c.sse = True
    r = RoomRun(o, t, world, show, rate, customers, rng=rng)
    redis = None
    if t.redis_url:
        from redis.asyncio import Redis

        redis = Redis.from_url(t.redis_url, decode_responses=True)

    async def redis_memory() -> int:
        if redis is None:
            return 0
        return int((await redis.info("memory"))["used_memory"])

    await r.put_room(datetime.now(UTC) + timedelta(hours=2))  # moved nearer once all joined
    rss_before, redis_before = t.rss(), await redis_memory()
    cpu_before = t.cpu()
    log(f"waiting room: {len(early):,} join before on-sale")
    await r.join_all(early, r.join)
    out["join_cpu_ms"] = (t.cpu() - cpu_before) / max(1, len(r.join.latency)) * 1000
    log(
        f"waiting room: {len(r.join.latency):,} joined in {r.join.ended - r.join.started:.1f} s, "
        f"{r.join.error_count} errors {r.join.errors or ''}"
    )
    sampler = asyncio.create_task(r.figures_sampler())
    # SSE sample
    gate = asyncio.Semaphore(SSE_OPENING)
    streams: list[Any] = []

    async def open_stream(c: Customer) -> None:
        async with gate:
            try:
                streams.append(
                    await subscribe(r.e, f"{r.show_path}/queue/stream", r.on_stream(c), c.hdr)
                )
            except (HttpError, OSError, TimeoutError):
                r.sse_errors += 1
                c.sse = False  # falls back to polling, as the web UI

    sse = [c for c in early if c.sse and c.queue_id]
    await asyncio.gather(*(open_stream(c) for c in sse))
    log(f"waiting room: {len(streams):,} on the stream; the others poll every ~{o.poll_every} s")
    on_sale_at = datetime.now(UTC) + timedelta(seconds=o.wait_seconds + 2)
    await r.put_room(on_sale_at)
    r.on_sale = time.monotonic() + (on_sale_at - datetime.now(UTC)).total_seconds()
    pollers = [asyncio.create_task(r.poller()) for _ in range(POLL_CONNECTIONS)]
    for c in early:
        if c.queue_id and not c.sse:
            r.schedule(c, rng.uniform(0, o.poll_every))
    # the waiting window: from one interval in (every poller has polled) to on-sale
    await asyncio.sleep(min(o.poll_every, o.wait_seconds / 2))
    r.waiting.started = time.monotonic()
    cpu0, own0, answered0 = t.cpu(), time.process_time(), r.answered
    await asyncio.sleep(max(0.5, r.on_sale - time.monotonic() - 0.5))
    cpu1, own1, answered1 = t.cpu(), time.process_time(), r.answered
    r.waiting.ended = time.monotonic()
    rss_wait, redis_wait = t.rss(), await redis_memory()
    waiting_users = sum(1 for c in early if c.queue_id)
    window = r.waiting.ended - r.waiting.started
    out["waiting"] = {
        "users": waiting_users,
        "sse": len(streams),
        "cores": (cpu1 - cpu0) / window if window > 0 else math.nan,
        "cpu_us_per_user_second": (cpu1 - cpu0) / window / max(1, waiting_users) * 1e6,
        "rss_before": rss_before,
        "rss_waiting": rss_wait,
        "rss_bytes_per_user": (rss_wait - rss_before) / max(1, waiting_users),
        "redis_bytes_per_user": (redis_wait - redis_before) / max(1, waiting_users),
        "status_rate": (answered1 - answered0) / window if window > 0 else math.nan,
        "cpu_ms_per_status": (cpu1 - cpu0) / max(1, answered1 - answered0) * 1000,
        "bench_cores": (own1 - own0) / window if window > 0 else math.nan,
    }
    # on-sale
    await asyncio.sleep(max(0.0, r.on_sale - time.monotonic()))
    log(f"waiting room: on sale (admission {rate}); {late_count:,} arrive late")
    late = [c for c in customers if c.late]
    cpu_sale = t.cpu()
    sale_start = time.monotonic()
    answered_sale = r.answered
    late_task = asyncio.create_task(r.join_all(late, r.late_join, spread=LATE_SECONDS))
    sale = await sellout.sellout(
        r.e,
        show.id,
        show.rows,
        [],
        concurrency=o.concurrency,
        buyers=0,
        push=False,
        timeout=o.sale_timeout,
        admitted=r.admitted,
        retries=2,
        stale_share=0.05,
    )
    sale_end = time.monotonic()
    selling_rate = (r.answered - answered_sale) / max(1e-9, sale_end - sale_start)
    out["sale_cpu_ms_per_booking"] = (t.cpu() - cpu_sale) / max(1, sale.confirmed) * 1000
    await late_task
    log(
        f"waiting room: {'sold out' if sale.sold_out else 'NOT sold out'} in "
        f"{sale.seconds:.1f} s ({sale.confirmed:,} bookings); telling the rest"
    )
    # until everyone still waiting has had a status since (the stream tells its sample at
    # once), at most TELL_SECONDS
    sold_at = time.monotonic()
    still = [c for c in customers if c.queue_id and not c.admitted]
    while time.monotonic() < sold_at + TELL_SECONDS:
        await asyncio.sleep(1.0)
        if all(c.state == "sold_out" or c.admitted or c.last_answer > sold_at + 2 for c in still):
            break
    told_seconds = time.monotonic() - sold_at
    still = [c for c in still if not c.admitted]
    told = sum(1 for c in still if c.state == "sold_out")
    waitlisted = 0
    wl_errors: dict[str, int] = {}
    conn = Connection(r.e, timeout=30)
    try:
        for c in [c for c in still if c.state == "sold_out"][:WAITLIST_SAMPLE]:
            try:
                resp = await conn.request(
                    "POST", f"{r.show_path}/waitlist", c.hdr, orjson.dumps({"quantity": 1})
                )
                if resp.status in (200, 201):
                    waitlisted += 1
                else:
                    wl_errors[f"HTTP {resp.status}"] = wl_errors.get(f"HTTP {resp.status}", 0) + 1
            except (HttpError, OSError, TimeoutError) as exc:
                wl_errors[type(exc).__name__] = wl_errors.get(type(exc).__name__, 0) + 1
    finally:
        conn.close()
    r.stopping = True
    for _ in pollers:
        r.due.put_nowait(customers[0])
    await asyncio.gather(*pollers, return_exceptions=True)
    for s in streams:
        if s.transport is not None:
            s.transport.close()
    sampler.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await sampler
    r.selling.started, r.selling.ended = sale_start, sale_end
    # the server's order: when each place was let in (Redis), each place's rank in line
    admitted_at: dict[str, float] = {}
    ranks: dict[str, int] = {}
    if redis is not None:
        base = f"bx:wr:{{{uuid.UUID(show.id).hex}}}"
        at = await redis.hgetall(f"{base}:at")
        admitted_at = {str(k): float(v) for k, v in at.items()}
        order = await redis.zrange(f"{base}:order", 0, -1)
        ranks = {str(entry): i for i, entry in enumerate(order)}
        await redis.aclose()
    told_place = {c.queue_id: c.place for c in customers if c.place is not None}
    api_check = order_check(told_place, admitted_at)
    server_check = order_check(ranks, admitted_at)
    moved = sum(1 for c in customers if c.place_moved)
    pre = [c for c in early if c.queue_id in ranks]
    late_ok = [c for c in late if c.queue_id in ranks]

    late_tau = kendall_tau(
        [float(c.join_order) for c in late_ok], [float(ranks[c.queue_id]) for c in late_ok]
    )
    late_inversions = causal_inversions(
        [(c.join_sent, c.join_answered, ranks[c.queue_id]) for c in late_ok]
    )
    late_told = [c for c in late if c.place is not None]
    late_tau_api = kendall_tau(
        [float(c.join_order) for c in late_told], [float(c.place or 0) for c in late_told]
    )
    pre_sample = pre if len(pre) <= 20_000 else random.Random(3).sample(pre, 20_000)
    pre_tau = kendall_tau(
        [float(c.join_order) for c in pre_sample], [float(ranks[c.queue_id]) for c in pre_sample]
    )
    on_sale_figures = [f for at, f in r.figures if sale_start <= at <= sale_end]
    adm = [f["admitting_per_minute"] for f in on_sale_figures if f["admitting_per_minute"]]
    conf = [f["confirmed_per_minute"] for f in on_sale_figures if f["confirmed_per_minute"]]
    refused = [f["refused_share"] for f in on_sale_figures if f["refused_share"] is not None]
    last = r.figures[-1][1] if r.figures else {}
    out.update(
        {
            "join": r.join,
            "late_join": r.late_join,
            "waiting_status": r.waiting,
            "selling_status": r.selling,
            "selling_status_rate": selling_rate,
            "sale": sale,
            "sale_seconds": sale_end - sale_start,
            "admitted": r.admitted_count,
            "admitted_server": len(admitted_at),
            "still_waiting": len(still),
            "told_sold_out": told,
            "told_seconds": told_seconds,
            "late_inversions": late_inversions,
            "waitlisted": waitlisted,
            "waitlist_errors": wl_errors,
            "admitting_per_minute": {"mean": _mean(adm), "max": max(adm, default=math.nan)},
            "confirmed_per_minute": {"mean": _mean(conf), "max": max(conf, default=math.nan)},
            "refused_share": {"mean": _mean(refused), "max": max(refused, default=math.nan)},
            "last_figures": last,
            "api_order": api_check,
            "server_order": server_check,
            "place_moved": moved,
            "late_tau": late_tau,
            "late_tau_api": late_tau_api,
            "late_told": len(late_told),
            "pre_tau": pre_tau,
            "sse_events": r.sse_events,
            "sse_errors": r.sse_errors,
            "poll_lag": r.lag.summary(),
            "polls": sum(c.polls for c in customers),
            "seconds": time.monotonic() - begin,
        }
    )
    return out


def waiting_room_scenario(
    o: Options, t: Target, world: World, show: Show, rate: str, out: Outcome
) -> None:
    res = run_async(run_room(o, t, world, show, rate))
    n = res["users"]
    scenario = f"5 waiting room ({n:,} customers, {show.seat_count:,} seats, admission {rate})"
    join: Phase = res["join"]
    w = res["waiting"]
    out.rows.append(
        Row(
            scenario,
            f"join before on-sale, {t.shape}",
            join.rate(),
            "joins/s",
            join.latency.summary(),
            join.error_count,
            f"challenge + proof of work + join ({JOIN_CONNECTIONS} connections); server CPU "
            f"{res['join_cpu_ms']:.2f} ms/join; customers: {res['customers']} in "
            f"{res['setup_seconds']:.0f} s" + (f"; errors {join.errors}" if join.errors else ""),
        )
    )
    ws: Phase = res["waiting_status"]
    out.rows.append(
        Row(
            scenario,
            f"status while waiting, {t.shape}",
            w["status_rate"],
            "status/s",
            ws.latency.summary(),
            ws.error_count,
            f"{w['users']:,} waiting: {w['sse']:,} on the SSE stream, the rest polling every "
            f"{o.poll_every * 2 / 3:.0f}–{o.poll_every * 4 / 3:.0f} s; server "
            f"{w['cores']:.2f} cores = {w['cpu_us_per_user_second']:.1f} µs CPU per waiting "
            f"customer per second ({w['cpu_ms_per_status']:.2f} ms per status answered, the "
            f"streams' pushes included; the bench itself {w['bench_cores']:.2f} cores); RSS "
            f"{w['rss_waiting'] / 2**20:,.0f} MiB "
            f"({w['rss_bytes_per_user']:+,.0f} B per waiting customer; Redis "
            f"{w['redis_bytes_per_user']:+,.0f} B); poll lag p99 "
            f"{res['poll_lag']['p99_ms']:,.0f} ms" + (f"; errors {ws.errors}" if ws.errors else ""),
        )
    )
    ss: Phase = res["selling_status"]
    out.rows.append(
        Row(
            scenario,
            f"status during the on-sale, {t.shape}",
            res["selling_status_rate"],
            "status/s",
            ss.latency.summary(),
            ss.error_count,
            f"{res['sse_events']:,} SSE events received, {res['sse_errors']} streams refused"
            + (f"; errors {ss.errors}" if ss.errors else ""),
        )
    )
    sale: sellout.SelloutResult = res["sale"]
    adm, conf, ref = res["admitting_per_minute"], res["confirmed_per_minute"], res["refused_share"]
    state = "sold out" if sale.sold_out else f"NOT sold out ({sale.seats_sold:,} seats)"
    out.rows.append(
        Row(
            scenario,
            f"admitted → confirmed bookings, {t.shape}",
            sale.rate,
            "bookings/s",
            sale.hold_to_confirmed_seen.summary(),
            sale.error_count,
            f"{state} in {sale.seconds:.1f} s after on_sale_at; {res['admitted']:,} let in "
            f"({res['admitted_server']:,} by the server), {sale.buyers_started:,} holds tried; "
            f"admitting {adm['mean']:,.0f}/min (max {adm['max']:,.0f}) vs confirmed "
            f"{conf['mean']:,.0f}/min (max {conf['max']:,.0f}), refused share mean "
            f"{ref['mean']:.3f} (max {ref['max']:.3f}); server CPU "
            f"{res['sale_cpu_ms_per_booking']:,.1f} ms/booking; latency = hold → CONFIRMED"
            + (f"; refused {dict(sale.refused)}" if sale.refused else "")
            + (f"; errors {dict(sale.errors)}" if sale.errors else ""),
        )
    )
    still = res["still_waiting"]
    told = res["told_sold_out"]
    out.rows.append(
        Row(
            scenario,
            f"the rest told sold out, {t.shape}",
            math.nan,
            "",
            {},
            still - told,
            f"{told:,} of {still:,} not let in saw state sold_out (with the waiting list's "
            f"address) within {res['told_seconds']:.0f} s of the sell-out; "
            f"{res['waitlisted']} of {min(WAITLIST_SAMPLE, told)} joined the waiting list"
            + (f" (errors {res['waitlist_errors']})" if res["waitlist_errors"] else ""),
        )
    )
    api, srv = res["api_order"], res["server_order"]
    late: Phase = res["late_join"]
    out.rows.append(
        Row(
            scenario,
            f"fairness, {t.shape}",
            math.nan,
            "",
            late.latency.summary(),
            api.overtaken + api.skipped,
            f"let in out of the place the API told: {api.overtaken} of {api.admitted:,} "
            f"({api.overtaken_share:.4f}), {api.skipped} skipped; against the server's line: "
            f"{srv.overtaken} overtaken, {srv.skipped} skipped; {res['place_moved']} told "
            f"another place later; Kendall tau join order vs place, pre-queue (random draw, "
            f"expect ≈ 0): {res['pre_tau']:.3f}; late arrivals (FIFO, expect 1): "
            f"{res['late_tau']:.4f} (line), {res['late_tau_api']:.4f} (places the API told "
            f"{res['late_told']:,} of them), {res['late_inversions']} placed ahead of a join "
            "answered before theirs was sent; latency = late join",
        )
    )
    out.summary.append(
        f"{t.shape} ({rate}): {n:,} customers joined at {join.rate():,.0f}/s (p99 "
        f"{join.latency.summary()['p99_ms']:,.0f} ms); waiting status p99 "
        f"{ws.latency.summary()['p99_ms']:,.0f} ms at {w['status_rate']:,.0f}/s, "
        f"{w['cpu_us_per_user_second']:.1f} µs CPU/s and {w['rss_bytes_per_user']:+,.0f} B RSS "
        f"per waiting customer; {state} in {sale.seconds:.0f} s; "
        f"{told:,}/{still:,} told sold out; {api.overtaken + api.skipped} out of order; "
        f"late-arrival tau {res['late_tau']:.3f}; run {res['seconds']:.0f} s"
    )
    out.raw[f"waiting-room/{t.shape}/{rate}"] = {
        k: (v.latency.summary() | {"errors": v.errors} if isinstance(v, Phase) else v)
        for k, v in res.items()
        if k != "sale"
    } | {
        "sale": {
            "confirmed": sale.confirmed,
            "seconds": sale.seconds,
            "sold_out": sale.sold_out,
            "refused": dict(sale.refused),
            "errors": dict(sale.errors),
            "outcomes": dict(sale.outcomes),
            "hold": sale.hold.summary(),
            "book": sale.book.summary(),
        }
    }
