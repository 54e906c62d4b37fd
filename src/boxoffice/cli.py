"""The boxoffice command: up | serve | migrate | makemigration | seed-demo | create-admin |
audit | bench."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import shutil
import socket
import sys
import uuid
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.supervisors import ChangeReload, Multiprocess

from boxoffice.bootstrap import Runtime, create_app
from boxoffice.identity.service import IdentityService
from boxoffice.kernel.config import Settings
from boxoffice.kernel.embedded import EmbeddedInfra, running_urls
from boxoffice.kernel.lifecycle import (
    GRACE_SECONDS,
    NoDelayHttp,
    PortTaken,
    StopDeadline,
    check_port,
    claim_port,
    tune_gc,
)
from boxoffice.kernel.migrate import upgrade
from boxoffice.kernel.telemetry import setup_logging, setup_tracing
from boxoffice.services import BY_NAME, NAMES, SERVICES

log = logging.getLogger("boxoffice")


def _settings_with_infra(stack: ExitStack, deadline: StopDeadline | None = None) -> Settings:
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
        if deadline is not None:
            deadline.on_expiry.append(infra.stop)
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
    settings = Settings()
    host, port = args.host or settings.host, args.port or settings.port
    deadline = StopDeadline()
    try:  # before any embedded server or migration starts, so a taken port leaves nothing behind
        listener = None if args.distributed else claim_port(host, port)
        if args.distributed:
            check_port(host, port)  # nginx binds it itself
    except PortTaken as taken:
        sys.stderr.write(f"{taken}\n")
        return 1
    with ExitStack() as stack:
        if listener is not None:
            stack.callback(listener.close)
        settings = _with_mail_sink(stack, _settings_with_infra(stack, deadline))
        if not settings.public_url:
            settings = settings.model_copy(update={"public_url": f"http://{host}:{port}"})
        upgrade(settings.database_url, SERVICES)
        if args.demo:
            from boxoffice.demo import seed

            lines = asyncio.run(_with_runtime(settings, seed))
            sys.stderr.write("Demo users (email / password):\n" + "\n".join(lines) + "\n")
        app = create_app(Runtime(settings))
        if args.distributed:
            from boxoffice.gateway.cluster import Cluster

            Runtime(settings).prepare_secrets()
            cluster = Cluster(settings, port, app.openapi(), on_stop_signal=deadline.arm)
            deadline.on_expiry.append(cluster.kill)
            return cluster.run()
        assert listener is not None
        sys.stderr.write(f"boxoffice is up: http://{host}:{port}  (API docs: /docs)\n")
        try:
            if args.reload:
                _serve_reloading(settings, listener, args.access_log)
            elif args.workers > 1:
                _serve_workers(settings, listener, args.access_log, args.workers, deadline)
            else:
                _serve(app, settings, listener, args.access_log, deadline)
        except SystemExit:
            if not deadline.armed:
                raise
            # uvicorn re-raised the stop signal after stopping gracefully: that is success.
    return 0


class _Server(uvicorn.Server):
    """uvicorn's server, whose first stop signal also arms the stop deadline."""

    def __init__(self, config: uvicorn.Config, deadline: StopDeadline | None) -> None:
        super().__init__(config)
        self.deadline = deadline

    def handle_exit(self, sig: int, frame: Any) -> None:
        if self.deadline is not None:
            self.deadline.arm()
        super().handle_exit(sig, frame)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        tune_gc()  # after the app's start-up, so that its objects are frozen too


class _Workers(Multiprocess):
    """uvicorn's worker supervisor, whose stop signals also arm the stop deadline (its own
    wait for the workers has no limit)."""

    def __init__(self, config: uvicorn.Config, listener: socket.socket, deadline: StopDeadline):
        super().__init__(config, sockets=[listener])
        self.deadline = deadline
        deadline.on_expiry.append(self.kill_workers)

    def kill_workers(self) -> None:
        for worker in self.processes:
            worker.kill()

    def handle_int(self) -> None:
        self.deadline.arm()
        super().handle_int()

    def handle_term(self) -> None:
        self.deadline.arm()
        super().handle_term()


def _prepare_children(settings: Settings) -> None:
    """Before worker processes start: the secrets made once, and the server URLs (embedded ones
    included) in the environment, from which the workers read their settings afresh."""
    Runtime(settings).prepare_secrets()
    os.environ.update(
        {
            "BOXOFFICE_DATABASE_URL": settings.database_url,
            "BOXOFFICE_REDIS_URL": settings.redis_url,
            "BOXOFFICE_NATS_URL": settings.nats_url,
            "BOXOFFICE_SMTP_URL": settings.smtp_url,
            "BOXOFFICE_PUBLIC_URL": settings.public_url,
            "BOXOFFICE_DEV_INBOX": str(settings.dev_inbox).lower(),
        }
    )


def _with_mail_sink(stack: ExitStack, settings: Settings) -> Settings:
    """No SMTP server set: the development sink under var/mail takes the mail, and admins
    read it in the development inbox (docs/operations.md#mail)."""
    if settings.smtp_url:
        return settings
    from boxoffice.kernel.mailsink import MailSink, sink_dir

    sink = MailSink(sink_dir(settings.var_dir.resolve()))
    url = sink.start()
    stack.callback(sink.stop)
    return settings.model_copy(update={"smtp_url": url, "dev_inbox": True})


def _serve_reloading(settings: Settings, listener: socket.socket, access_log: bool) -> None:
    """`boxoffice up --reload` (`make dev`): the all-in-one shape in a worker process that
    uvicorn starts again whenever a Python or Lua file under src/ changes."""
    _prepare_children(settings)
    config = uvicorn.Config(
        "boxoffice.cli:worker_app",
        factory=True,
        fd=listener.fileno(),
        access_log=access_log,
        reload=True,
        reload_dirs=[str(Path(__file__).resolve().parent.parent)],
        reload_includes=["*.py", "*.lua"],
        **_uvicorn_options(settings),
    )
    ChangeReload(config, target=uvicorn.Server(config).run, sockets=[config.bind_socket()]).run()


def _serve_workers(
    settings: Settings,
    listener: socket.socket,
    access_log: bool,
    workers: int,
    deadline: StopDeadline,
) -> None:
    """Several all-in-one processes on one port. Each runs every service with its consumers,
    relays and sweepers, which are safe to run as replicas (docs/operations.md)."""
    _prepare_children(settings)
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # /metrics adds up every worker
        metrics = settings.var_dir.resolve() / "prometheus"
        shutil.rmtree(metrics, ignore_errors=True)
        metrics.mkdir(parents=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
    config = uvicorn.Config(
        "boxoffice.cli:worker_app",
        factory=True,
        workers=workers,
        fd=listener.fileno(),
        access_log=access_log,
        # A worker that is not serving within uvicorn's default 5 s is killed and started
        # again; on two busy cores an import-heavy start takes longer, and the worker never came.
        timeout_worker_healthcheck=60,
        **_uvicorn_options(settings),
    )
    _Workers(config, config.bind_socket(), deadline).run()


def worker_app() -> FastAPI:
    """The app of one process of `boxoffice up --workers N`."""
    settings = Settings()
    setup_logging("all-in-one", settings.log_level)
    setup_tracing("all-in-one")
    app = create_app(Runtime(settings))
    # uvicorn's workers run its own server, not _Server: tune here, in the worker, after the
    # imports (the app's start-up objects stay unfrozen, a few of them).
    tune_gc()
    return app


def _uvicorn_options(settings: Settings) -> dict[str, Any]:
    """How every boxoffice process runs uvicorn: uvloop, httptools, our own logging, and
    in-flight requests finished on SIGTERM (live streams are ended at once). uvicorn's own proxy
    headers are off: by default it believes X-Forwarded-For from any local client; the app
    decides whom to trust instead (kernel.web.client_address, setting behind_proxy)."""
    return {
        "proxy_headers": False,
        "log_level": settings.log_level.lower(),
        "loop": "uvloop",
        "http": NoDelayHttp,
        "timeout_graceful_shutdown": GRACE_SECONDS,
        "log_config": None,
    }


def _serve(
    app: FastAPI,
    settings: Settings,
    listener: socket.socket,
    access_log: bool,
    deadline: StopDeadline | None = None,
) -> None:
    """uvicorn with uvloop and httptools on a bound socket; it finishes in-flight requests on
    SIGTERM."""
    config = uvicorn.Config(
        app, fd=listener.fileno(), access_log=access_log, **_uvicorn_options(settings)
    )
    server = _Server(config, deadline)
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises Ctrl-C once it stopped
        server.run()
    if not server.started:
        raise SystemExit(3)  # the app failed to start (uvicorn's STARTUP_FAILURE)


def cmd_serve(args: argparse.Namespace) -> int:
    if _refused():
        return 2
    settings = Settings()
    missing = [n for n in ("database_url", "redis_url", "nats_url") if not getattr(settings, n)]
    if missing:
        sys.stderr.write(f"serve needs {', '.join('BOXOFFICE_' + m.upper() for m in missing)}\n")
        return 2
    try:
        listener = claim_port(args.host or settings.host, args.port or settings.port)
    except PortTaken as taken:
        sys.stderr.write(f"{taken}\n")
        return 1
    with listener:
        _serve(create_app(Runtime(settings, args.services)), settings, listener, args.access_log)
    return 0


def cmd_migrate(_: argparse.Namespace) -> int:
    with ExitStack() as stack:
        upgrade(_settings_with_infra(stack).database_url, SERVICES)
    return 0


def cmd_makemigration(args: argparse.Namespace) -> int:
    from boxoffice.kernel.migrate import make_revision

    with ExitStack() as stack:
        made = make_revision(
            BY_NAME[args.service], _settings_with_infra(stack).database_url, args.message
        )
    sys.stderr.write(
        f"wrote {made}; read it through before committing\n"
        if made
        else f"no changes: {args.service}'s migrations match its table definitions\n"
    )
    return 0


def cmd_seed_demo(_: argparse.Namespace) -> int:
    from boxoffice.demo import seed

    with ExitStack() as stack:
        settings = _settings_with_infra(stack)
        upgrade(settings.database_url, SERVICES)
        lines = asyncio.run(_with_runtime(settings, seed))
    sys.stderr.write("Demo users (email / password):\n" + "\n".join(lines) + "\n")
    return 0


def cmd_create_admin(args: argparse.Namespace) -> int:
    async def create(runtime: Runtime) -> bool:
        return await runtime.services.get(IdentityService).ensure_user(
            args.email, args.password, args.name, ["admin"]
        )

    with ExitStack() as stack:
        settings = _settings_with_infra(stack)
        upgrade(settings.database_url, SERVICES)
        created = asyncio.run(_with_runtime(settings, create))
    sys.stderr.write(f"admin {args.email} {'created' if created else 'already exists'}\n")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    """The benchmark suite is a package of its own (bench/, a workspace member that `make
    install` installs); a production install has no bench, and says so."""
    try:
        from boxoffice_bench.runner import main as bench
    except ModuleNotFoundError as missing:
        if missing.name != "boxoffice_bench":
            raise
        sys.stderr.write(
            "boxoffice bench: the benchmark suite (package boxoffice-bench, bench/ in the "
            "repository) is not installed; run `make install` in a checkout\n"
        )
        return 2
    code: int = bench(args.bench_args)
    return code


def cmd_audit(args: argparse.Namespace) -> int:
    from boxoffice.audit import run

    settings = Settings()
    # Beside `make run`: the embedded servers it started, unless URLs are given.
    embedded = running_urls(settings.var_dir)
    database_url = (
        args.database_url or settings.database_url or (embedded.database_url if embedded else "")
    )
    redis_url = args.redis_url or settings.redis_url or (embedded.redis_url if embedded else "")
    if not database_url:
        sys.stderr.write(
            "audit needs BOXOFFICE_DATABASE_URL (or --database-url), or a running `boxoffice up`"
            " with embedded servers under BOXOFFICE_VAR_DIR\n"
        )
        return 2
    code, text = run(
        database_url,
        redis_url or None,
        args.show,
        grace_seconds=args.grace,
        as_json=args.json,
    )
    (sys.stdout if code < 2 else sys.stderr).write(text + "\n")
    return code


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
        "--reload",
        action="store_true",
        help="restart the all-in-one process when a file under src/ changes (development)",
    )
    up.add_argument(
        "--distributed",
        action="store_true",
        help="one process per service (inventory and booking twice; setting topology), "
        "nginx in front",
    )
    up.set_defaults(func=cmd_up)
    serve = sub.add_parser("serve", help="run services together as one process (distributed)")
    serve.add_argument("services", nargs="+", choices=NAMES, metavar="SERVICE")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--access-log", action="store_true")
    serve.set_defaults(func=cmd_serve)
    sub.add_parser("migrate", help="apply every service's migrations").set_defaults(
        func=cmd_migrate
    )
    makemigration = sub.add_parser(
        "makemigration",
        help="write a service's next migration from its table definitions (Alembic autogenerate)",
    )
    makemigration.add_argument("service", choices=NAMES)
    makemigration.add_argument("-m", "--message", required=True)
    makemigration.set_defaults(func=cmd_makemigration)
    sub.add_parser("seed-demo", help="create demo users, venue and shows").set_defaults(
        func=cmd_seed_demo
    )
    admin = sub.add_parser("create-admin", help="create an admin user")
    admin.add_argument("--email", required=True)
    admin.add_argument("--password", required=True)
    admin.add_argument("--name", default="Administrator")
    admin.set_defaults(func=cmd_create_admin)
    audit = sub.add_parser(
        "audit", help="check the booking invariants in every store (exit 1 on a violation)"
    )
    audit.add_argument("--show", type=uuid.UUID, help="only this show (default: every show)")
    audit.add_argument("--json", action="store_true", help="a JSON report instead of a table")
    audit.add_argument("--database-url", help="default: BOXOFFICE_DATABASE_URL")
    audit.add_argument(
        "--redis-url", help="default: BOXOFFICE_REDIS_URL; without one, holds are not checked"
    )
    audit.add_argument(
        "--grace",
        type=float,
        default=5.0,
        help="seconds a hold may outlive its TTL before it counts (sweeps run every second)",
    )
    audit.set_defaults(func=cmd_audit)
    # The bench parses its own arguments (`boxoffice bench --help`).
    bench = sub.add_parser(
        "bench", help="run the benchmark scenarios (docs/benchmarks.md)", add_help=False
    )
    bench.set_defaults(func=cmd_bench)
    args, rest = parser.parse_known_args(argv)
    if rest and args.command != "bench":
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    args.bench_args = rest
    process = "+".join(getattr(args, "services", None) or ["all-in-one"])
    setup_logging(process, os.environ.get("BOXOFFICE_LOG_LEVEL", "INFO"))
    setup_tracing(process)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
