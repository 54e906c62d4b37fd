"""Baselines of the raw stores: redis-benchmark (Debian package redis-tools) and pgbench
(Debian packages postgresql-contrib / postgresql-NN). Missing tools are reported, not
installed: `apt-get install redis-tools postgresql-contrib`."""

from __future__ import annotations

import asyncio
import csv
import io
import shutil
import subprocess
import tempfile
import uuid
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from redis.asyncio import Redis

from boxoffice.inventory.holdstore import prefix
from boxoffice_bench.stats import Latencies, Row

HOLDS_LUA = files("boxoffice.inventory").joinpath("holds.lua").read_text()

INSTALL_HINT = "apt-get install redis-tools postgresql-contrib"


def _redis_target(redis_url: str) -> list[str]:
    """redis-benchmark's arguments for the server of a URL (its database and credentials)."""
    parts = urlsplit(redis_url)
    db = int(parts.path.strip("/") or 0)
    args = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 6379), "--dbnum", str(db)]
    if parts.password:
        # redis-benchmark reads a password only from its command line (no REDISCLI_AUTH).
        args += ["-a", unquote(parts.password)]
        if parts.username:
            args += ["--user", unquote(parts.username)]
    if parts.scheme == "rediss":
        args.append("--tls")
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if "ssl_ca_certs" in query:
            args += ["--cacert", query["ssl_ca_certs"]]
    return args


async def hold_script_show(redis_url: str, seats: int) -> tuple[str, uuid.UUID]:
    """Load the hold script and a show whose seat ids are what redis-benchmark's __rand_int__
    expands to (12 zero-padded digits), so EVALSHA runs the real hold path."""
    redis = Redis.from_url(redis_url, decode_responses=True)
    try:
        show = uuid.uuid4()
        p = prefix(show)
        await redis.hset(f"{p}st", mapping={f"{i:012d}": "0" for i in range(seats)})
        await redis.hset(
            f"{p}meta",
            mapping={
                "loaded": "1",
                "ver": 1,
                "status": "published",
                "sales_start": 0,
                "sales_end": 99999999999999,
                "max": 10,
            },
        )
        sha: str = await redis.script_load(HOLDS_LUA)
        return sha, show
    finally:
        await redis.aclose()


async def drop_show(redis_url: str, show: uuid.UUID) -> None:
    redis = Redis.from_url(redis_url, decode_responses=True)
    try:
        keys = [k async for k in redis.scan_iter(match=f"{prefix(show)}*", count=1000)]
        if keys:
            await redis.delete(*keys)
    finally:
        await redis.aclose()


def hold_command(sha: str, show: uuid.UUID) -> list[str]:
    """The EVALSHA of one hold as redis-benchmark sends it: the script's arguments in the order
    HoldStore.hold passes them, __rand_int__ standing for a seat id, a hold id and a customer."""
    return [
        "EVALSHA",
        sha,
        "0",
        "hold",
        prefix(show),
        show.hex,
        "rb__rand_int__",  # hold id
        "u__rand_int__",  # customer
        "3000",  # ttl ms
        "__rand_int__",  # seat ids
        "",  # standing places
        "",  # idempotency key
        "",  # what the key was used for
        "1000000",  # places per customer
        "1000",  # the seat's price, kept with the hold
        "",  # the standing places' prices
    ]


def _redis_benchmark(args: list[str]) -> dict[str, dict[str, float]]:
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:  # not CalledProcessError: its message would show the password
        raise RuntimeError(f"redis-benchmark failed ({done.returncode}): {done.stderr[-500:]}")
    out = done.stdout
    rows: dict[str, dict[str, float]] = {}
    for rec in csv.DictReader(io.StringIO(out)):
        rows[rec["test"]] = {k: float(v) for k, v in rec.items() if k != "test"}
    return rows


def redis_baselines(redis_url: str, clients: int, requests: int, seats: int = 10000) -> list[Row]:
    binary = shutil.which("redis-benchmark")
    if binary is None:
        return [_missing("redis-benchmark")]
    base = [binary, *_redis_target(redis_url), "-c", str(clients)]
    base += ["-n", str(requests), "--csv"]
    rows = []
    plain = _redis_benchmark([*base, "-t", "set,get"])
    for test, rec in plain.items():
        rows.append(_row(f"redis-benchmark {test}", rec, "ops/s"))
    sha, show = asyncio.run(hold_script_show(redis_url, seats))
    try:
        script = ["-r", str(seats), *hold_command(sha, show)]
        for test, rec in _redis_benchmark([*base, *script]).items():
            del test
            rows.append(_row("redis-benchmark EVALSHA holds.lua (1 seat)", rec, "holds/s"))
    finally:
        asyncio.run(drop_show(redis_url, show))
    return rows


def _row(name: str, rec: dict[str, float], unit: str) -> Row:
    return Row(
        "raw stores",
        name,
        rec["rps"],
        unit,
        {
            "p50_ms": rec.get("p50_latency_ms", float("nan")),
            "p95_ms": rec.get("p95_latency_ms", float("nan")),
            "p99_ms": rec.get("p99_latency_ms", float("nan")),
        },
        0,
    )


def _missing(tool: str) -> Row:
    return Row("raw stores", tool, float("nan"), "", {}, 0, note=f"not installed: {INSTALL_HINT}")


def _pg_target(database_url: str) -> dict[str, str]:
    parts = urlsplit(database_url.replace("+asyncpg", ""))
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return {
        "host": query.get("host", parts.hostname or "127.0.0.1"),
        "port": str(query.get("port", parts.port or 5432)),
        "user": parts.username or "postgres",
    }


def pgbench_baselines(
    server_url: str, clients: int, seconds: float, create_db: Any, drop_db: Any
) -> list[Row]:
    """pgbench's built-in TPC-B-like and select-only scripts on a scale-5 database of its own."""
    binary = shutil.which("pgbench")
    if binary is None:
        return [_missing("pgbench")]
    name = f"bx_bench_pgbench_{uuid.uuid4().hex[:8]}"
    asyncio.run(create_db(name))
    t = _pg_target(server_url)
    conn = ["-h", t["host"], "-p", t["port"], "-U", t["user"]]
    rows = []
    try:
        subprocess.run(
            [binary, *conn, "-i", "-q", "-s", "5", name],
            capture_output=True,
            check=True,
            timeout=600,
        )
        for label, script in (("TPC-B-like (5 statements)", []), ("select-only", ["-S"])):
            with tempfile.TemporaryDirectory() as tmp:
                subprocess.run(
                    [
                        binary,
                        *conn,
                        *script,
                        "-n",
                        "-c",
                        str(clients),
                        "-j",
                        "2",
                        "-T",
                        str(max(1, int(seconds))),
                        "-l",
                        "--log-prefix",
                        f"{tmp}/pgbench",
                        name,
                    ],
                    capture_output=True,
                    check=True,
                    timeout=seconds + 120,
                )
                lat = Latencies()
                first, last = float("inf"), 0.0
                for log in Path(tmp).glob("pgbench*"):
                    for line in log.read_text().splitlines():
                        f = line.split()
                        # client_id transaction_no time_us script_no time_epoch time_us_part
                        lat.add(int(f[2]) / 1e6)
                        at = int(f[4]) + int(f[5]) / 1e6
                        first, last = min(first, at), max(last, at)
                span = max(last - first, 1e-9)
                rows.append(
                    Row(
                        "raw stores",
                        f"pgbench {label}",
                        len(lat) / span,
                        "tx/s",
                        lat.summary(),
                        0,
                        note=f"{clients} clients",
                    )
                )
    finally:
        asyncio.run(drop_db(name))
    return rows
