"""The boxoffice command: up | serve | migrate | seed-demo | create-admin | bench."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import sys
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from typing import Any

import uvicorn
from fastapi import FastAPI

from boxoffice.bootstrap import ALL_SERVICES, Runtime, create_app
from boxoffice.kernel.config import Settings
from boxoffice.kernel.embedded import EmbeddedInfra
from boxoffice.kernel.migrate import upgrade
from boxoffice.kernel.telemetry import setup_logging, setup_tracing

log = logging.getLogger("boxoffice")


def _settings_with_infra(stack: ExitStack) -> Settings:
    """Settings whose empty server URLs are filled by embedded servers under var/."""
    settings = Settings()
    missing = {
        "postgres": not settings.database_url,
        "redis": not settings.redis_url,
        "nats": not settings.nats_url,
    }
    if any(missing.values()):
        infra = EmbeddedInfra(settings.var_dir.resolve(), **missing)
        urls = infra.start()
        stack.callback(infra.stop)
        settings = settings.model_copy(
            update={
                "database_url": settings.database_url or urls.database_url,
                "redis_url": settings.redis_url or urls.redis_url,
                "nats_url": settings.nats_url or urls.nats_url,
            }
        )
        log.info(
            "embedded servers under %s: %s",
            settings.var_dir,
            ", ".join(name for name, started in missing.items() if started),
        )
    return settings


async def _with_runtime(settings: Settings, job: Callable[[Runtime], Awaitable[Any]]) -> Any:
    runtime = Runtime(settings)
    await runtime.start(background=False)
    try:
        return await job(runtime)
    finally:
        await runtime.stop()


def _refused() -> bool:
    """Unsafe production settings: one line, before anything starts."""
    refusals = Settings().production_refusals()
    for refusal in refusals:
        sys.stderr.write(f"boxoffice: refusing to start with BOXOFFICE_ENV=production: {refusal}\n")
    return bool(refusals)


def cmd_up(args: argparse.Namespace) -> int:
    if _refused():
        return 2
    with ExitStack() as stack:
        settings = _settings_with_infra(stack)
        upgrade(settings.database_url)
        if args.demo:
            from boxoffice.demo import seed

            lines = asyncio.run(_with_runtime(settings, seed))
            sys.stderr.write("Demo users (email / password):\n" + "\n".join(lines) + "\n")
        app = create_app(Runtime(settings))
        host, port = args.host or settings.host, args.port or settings.port
        if args.distributed:
            from boxoffice.gateway.cluster import Cluster

            Runtime(settings).prepare_secrets()
            return Cluster(settings, port, app.openapi()).run()
        sys.stderr.write(f"boxoffice is up: http://{host}:{port}  (API docs: /docs)\n")
        if args.workers > 1:
            _serve_workers(settings, host, port, args.access_log, args.workers)
        else:
            _serve(app, settings, host, port, args.access_log)
    return 0


def _serve_workers(
    settings: Settings, host: str, port: int, access_log: bool, workers: int
) -> None:
    """Several all-in-one processes on one port. Each runs every service with its consumers,
    relays and sweepers, which are safe to run as replicas (docs/operations.md)."""
    Runtime(settings).prepare_secrets()  # made once, before the workers start
    os.environ.update(  # the workers read their settings afresh, embedded servers included
        {
            "BOXOFFICE_DATABASE_URL": settings.database_url,
            "BOXOFFICE_REDIS_URL": settings.redis_url,
            "BOXOFFICE_NATS_URL": settings.nats_url,
        }
    )
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # /metrics adds up every worker
        metrics = settings.var_dir.resolve() / "prometheus"
        shutil.rmtree(metrics, ignore_errors=True)
        metrics.mkdir(parents=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
    uvicorn.run(
        "boxoffice.cli:worker_app",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        access_log=access_log,
        # A worker that is not serving within uvicorn's default 5 s is killed and started
        # again; on two busy cores an import-heavy start takes longer, and the worker never came.
        timeout_worker_healthcheck=60,
        **_uvicorn_options(settings),
    )


def worker_app() -> FastAPI:
    """The app of one process of `boxoffice up --workers N`."""
    settings = Settings()
    setup_logging("all-in-one", settings.log_level)
    setup_tracing("all-in-one")
    return create_app(Runtime(settings))


def _uvicorn_options(settings: Settings) -> dict[str, Any]:
    """How every boxoffice process runs uvicorn: uvloop, httptools, our own logging, and
    in-flight requests finished on SIGTERM."""
    return {
        "log_level": settings.log_level.lower(),
        "loop": "uvloop",
        "http": "httptools",
        "timeout_graceful_shutdown": 10,
        "log_config": None,
    }


def _serve(app: FastAPI, settings: Settings, host: str, port: int, access_log: bool) -> None:
    """uvicorn with uvloop and httptools; it finishes in-flight requests on SIGTERM."""
    uvicorn.run(
        app,
        host=host,
        port=port,
        access_log=access_log,
        **_uvicorn_options(settings),
    )


def cmd_serve(args: argparse.Namespace) -> int:
    if _refused():
        return 2
    settings = Settings()
    missing = [n for n in ("database_url", "redis_url", "nats_url") if not getattr(settings, n)]
    if missing:
        sys.stderr.write(f"serve needs {', '.join('BOXOFFICE_' + m.upper() for m in missing)}\n")
        return 2
    app = create_app(Runtime(settings, [args.service]))
    _serve(app, settings, args.host or settings.host, args.port or settings.port, args.access_log)
    return 0


def cmd_migrate(_: argparse.Namespace) -> int:
    with ExitStack() as stack:
        upgrade(_settings_with_infra(stack).database_url)
    return 0


def cmd_seed_demo(_: argparse.Namespace) -> int:
    from boxoffice.demo import seed

    with ExitStack() as stack:
        settings = _settings_with_infra(stack)
        upgrade(settings.database_url)
        lines = asyncio.run(_with_runtime(settings, seed))
    sys.stderr.write("Demo users (email / password):\n" + "\n".join(lines) + "\n")
    return 0


def cmd_create_admin(args: argparse.Namespace) -> int:
    async def create(runtime: Runtime) -> bool:
        created: bool = await runtime.services["identity"].ensure_user(
            args.email, args.password, args.name, ["admin"]
        )
        return created

    with ExitStack() as stack:
        settings = _settings_with_infra(stack)
        upgrade(settings.database_url)
        created = asyncio.run(_with_runtime(settings, create))
    sys.stderr.write(f"admin {args.email} {'created' if created else 'already exists'}\n")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from boxoffice.bench.runner import main as bench

    return bench(args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="boxoffice", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="run the whole system in one process (all-in-one)")
    up.add_argument("--host", default=None)
    up.add_argument("--port", type=int, default=None)
    up.add_argument("--demo", action="store_true", help="create demo data first (idempotent)")
    up.add_argument("--access-log", action="store_true")
    up.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("BOXOFFICE_WORKERS", "1")),
        help="processes serving the all-in-one shape (each runs every service)",
    )
    up.add_argument(
        "--distributed",
        action="store_true",
        help="one process per service (inventory and booking twice), nginx in front",
    )
    up.set_defaults(func=cmd_up)
    serve = sub.add_parser("serve", help="run one service as its own process")
    serve.add_argument("service", choices=ALL_SERVICES)
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--access-log", action="store_true")
    serve.set_defaults(func=cmd_serve)
    sub.add_parser("migrate", help="apply every service's migrations").set_defaults(
        func=cmd_migrate
    )
    sub.add_parser("seed-demo", help="create demo users, venue and shows").set_defaults(
        func=cmd_seed_demo
    )
    admin = sub.add_parser("create-admin", help="create an admin user")
    admin.add_argument("--email", required=True)
    admin.add_argument("--password", required=True)
    admin.add_argument("--name", default="Administrator")
    admin.set_defaults(func=cmd_create_admin)
    bench = sub.add_parser("bench", help="run the benchmark scenarios (docs/benchmarks.md)")
    bench.set_defaults(func=cmd_bench)
    from boxoffice.bench.runner import add_arguments

    add_arguments(bench)
    args = parser.parse_args(argv)
    process = getattr(args, "service", None) or "all-in-one"
    setup_logging(process, os.environ.get("BOXOFFICE_LOG_LEVEL", "INFO"))
    setup_tracing(process)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
