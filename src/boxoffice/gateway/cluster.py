"""`boxoffice up --distributed`: every service in its own process, nginx in front."""

from __future__ import annotations

import getpass
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import httpx

from boxoffice.gateway.nginx import GatewayConfig, render
from boxoffice.kernel.config import Settings, default
from boxoffice.kernel.lifecycle import free_port
from boxoffice.services import NAMES, SERVICES

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent / "web"
# Services stop within GRACE_SECONDS plus their own shutdown; after this they are killed.
STOP_SECONDS = 6.0
# A child that died is started again after 1, 2, 4 … (at most 30) s; one that had run for a
# minute starts again at 1 s.
RESTART_BACKOFF = (1.0, 30.0)
STABLE_SECONDS = 60.0


@dataclass(frozen=True)
class ProcessGroup:
    """Services that share a process, and how many replicas of the process run."""

    services: tuple[str, ...]
    replicas: int

    @property
    def name(self) -> str:
        return "+".join(self.services)


def process_groups(settings: Settings) -> list[ProcessGroup]:
    """The processes of the distributed shape: the groups of the setting `topology`, and every
    service it does not name alone, with the replicas its registration gives (registry order)."""
    groups = [ProcessGroup(tuple(g.services), g.replicas) for g in settings.topology]
    named = [name for group in groups for name in group.services]
    if unknown := sorted(set(named) - set(NAMES)):
        raise SystemExit(f"BOXOFFICE_TOPOLOGY names unknown services: {', '.join(unknown)}")
    if twice := sorted({name for name in named if named.count(name) > 1}):
        raise SystemExit(f"BOXOFFICE_TOPOLOGY names a service twice: {', '.join(twice)}")
    groups += [ProcessGroup((s.name,), s.replicas) for s in SERVICES if s.name not in named]
    return sorted(groups, key=lambda group: min(NAMES.index(name) for name in group.services))


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    if not found:
        raise SystemExit("nginx is needed for the distributed shape: apt-get install nginx")
    return found


def start_nginx(
    directory: Path,
    port: int,
    upstreams: dict[str, list[int]],
    web_dir: Path,
    openapi_file: Path,
    max_body_bytes: int = default("max_request_body_bytes"),
) -> subprocess.Popen[bytes]:
    """nginx with the generated gateway configuration, working in `directory`."""
    conf = directory / "nginx.conf"
    conf.write_text(
        render(
            GatewayConfig(
                port=port,
                upstreams=upstreams,
                web_dir=web_dir,
                openapi_file=openapi_file,
                prefix=directory,
                worker_user=getpass.getuser() if os.geteuid() == 0 else "",
                max_body_bytes=max_body_bytes,
            )
        )
    )
    return subprocess.Popen(
        [nginx_binary(), "-p", str(directory), "-c", str(conf), "-e", str(directory / "error.log")]
    )


def wait_ready(
    url: str, process: subprocess.Popen[bytes], what: str, timeout: float = 120.0
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with code {process.returncode} while starting")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{what} was not ready within {timeout:.0f}s ({url})")


class Cluster:
    def __init__(
        self,
        settings: Settings,
        port: int,
        openapi: dict[str, object],
        *,
        on_stop_signal: Callable[[], None] = lambda: None,
    ) -> None:
        self.settings = settings
        self.port = port
        self.openapi = openapi
        self.on_stop_signal = on_stop_signal
        self.dir = settings.var_dir.resolve() / "cluster"
        self.processes: list[tuple[str, int, subprocess.Popen[bytes]]] = []
        self.nginx: subprocess.Popen[bytes] | None = None
        self._env: dict[str, str] = {}
        self._ports: dict[str, list[int]] = {}
        self._started: dict[tuple[str, int], float] = {}
        self._crashes: dict[tuple[str, int], int] = {}
        self._due: dict[tuple[str, int], float] = {}

    def start(self) -> None:
        (self.dir / "tmp").mkdir(parents=True, exist_ok=True)
        (self.dir / "logs").mkdir(exist_ok=True)
        groups = process_groups(self.settings)
        group_ports = {g.name: [free_port() for _ in range(g.replicas)] for g in groups}
        # service → the ports of the processes that run it (nginx's upstreams)
        ports = {name: group_ports[g.name] for g in groups for name in g.services}
        s = self.settings
        env = {
            **os.environ,
            "BOXOFFICE_DATABASE_URL": s.database_url,
            "BOXOFFICE_REDIS_URL": s.redis_url,
            "BOXOFFICE_NATS_URL": s.nats_url,
            "BOXOFFICE_SMTP_URL": s.smtp_url,
            "BOXOFFICE_PUBLIC_URL": s.public_url,
            "BOXOFFICE_DEV_INBOX": str(s.dev_inbox).lower(),
            "BOXOFFICE_VAR_DIR": str(s.var_dir.resolve()),
            # Where the services that others call answer (setting <name>_urls, Runtime._peer).
            **{
                f"BOXOFFICE_{spec.name.upper()}_URLS": ",".join(
                    f"http://127.0.0.1:{p}" for p in ports[spec.name]
                )
                for spec in SERVICES
                if spec.client is not None
            },
            # Only nginx reaches the services; it sets X-Real-IP to the client's address.
            "BOXOFFICE_BEHIND_PROXY": "true",
            # Eight processes share the database's connection limit (PostgreSQL's default 100).
            "BOXOFFICE_DB_POOL_SIZE": os.environ.get("BOXOFFICE_DB_POOL_SIZE", "4"),
        }
        self._env, self._ports = env, ports
        for name, replica_ports in group_ports.items():
            for port in replica_ports:
                self.processes.append((name, port, self._spawn(name, port)))
        for name, port, process in self.processes:
            wait_ready(f"http://127.0.0.1:{port}/health/ready", process, f"{name}:{port}")
        (self.dir / "openapi.json").write_text(json.dumps(self.openapi))
        self.nginx = self._spawn("nginx", self.port)
        (self.dir / "prometheus-targets.json").write_text(
            json.dumps(
                [
                    {
                        "targets": [f"127.0.0.1:{p}"],
                        "labels": {"service": n, "shape": "distributed"},
                    }
                    for n, p, _ in self.processes
                ]
            )
        )
        self._write_processes()
        wait_ready(f"http://127.0.0.1:{self.port}/health/ready", self.nginx, "nginx")

    def _spawn(self, name: str, port: int) -> subprocess.Popen[bytes]:
        self._started[(name, port)] = time.monotonic()
        if name == "nginx":
            return start_nginx(
                self.dir,
                port,
                self._ports,
                WEB_DIR,
                self.dir / "openapi.json",
                self.settings.max_request_body_bytes,
            )
        with (self.dir / "logs" / f"{name}-{port}.log").open("ab") as out:
            return subprocess.Popen(
                [
                    *(sys.executable, "-m", "boxoffice.cli", "serve", *name.split("+")),
                    *("--port", str(port)),
                ],
                env=self._env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def _write_processes(self) -> None:
        assert self.nginx is not None
        (self.dir / "processes.json").write_text(
            json.dumps(
                [{"service": n, "port": p, "pid": proc.pid} for n, p, proc in self.processes]
                + [{"service": "nginx", "port": self.port, "pid": self.nginx.pid}],
                indent=1,
            )
        )

    def watch(self) -> None:
        """Notice a child that exited while nothing asked it to, say so, and start it again
        with backoff (minimal supervision; the same port, so nginx needs no reload)."""
        assert self.nginx is not None
        now = time.monotonic()
        children = [*self.processes, ("nginx", self.port, self.nginx)]
        for index, (name, port, process) in enumerate(children):
            key = (name, port)
            if (code := process.poll()) is None:
                continue
            if key not in self._due:
                ran = now - self._started[key]
                crashes = 0 if ran > STABLE_SECONDS else self._crashes.get(key, 0)
                self._crashes[key] = crashes + 1
                delay = min(RESTART_BACKOFF[0] * 2**crashes, RESTART_BACKOFF[1])
                self._due[key] = now + delay
                how = f"signal {-code}" if code < 0 else f"code {code}"
                log.error(
                    "%s (127.0.0.1:%d, pid %d) exited unexpectedly with %s after %.0fs; "
                    "restarting it in %.0fs (log: %s)",
                    name, port, process.pid, how, ran, delay,
                    self.dir / ("error.log" if name == "nginx" else f"logs/{name}-{port}.log"),
                )  # fmt: skip
            elif now >= self._due[key]:
                del self._due[key]
                again = self._spawn(name, port)
                if name == "nginx":
                    self.nginx = again
                else:
                    self.processes[index] = (name, port, again)
                self._write_processes()
                log.warning("%s (127.0.0.1:%d) started again, pid %d", name, port, again.pid)

    def stop(self) -> None:
        everything = [proc for _, _, proc in self.processes]
        if self.nginx is not None:
            everything.insert(0, self.nginx)
        for process in everything:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM if process is not self.nginx else signal.SIGQUIT)
        deadline = time.monotonic() + STOP_SECONDS
        for process in everything:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning(
                    "pid %d did not stop within %.0fs; killing it", process.pid, STOP_SECONDS
                )
                process.kill()
                process.wait()

    def kill(self) -> None:
        """Kill every child at once (the stop deadline passed)."""
        for process in [proc for _, _, proc in self.processes] + [self.nginx]:
            if process is not None and process.poll() is None:
                process.kill()

    def run(self) -> int:
        """Start everything, then wait for Ctrl-C or SIGTERM and stop everything."""
        stopping = False

        def on_signal(_signum: int, _frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True
            self.on_stop_signal()

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.start()
            sys.stderr.write(
                f"boxoffice (distributed) is up: http://127.0.0.1:{self.port}  (API docs: /docs)\n"
                + "".join(
                    f"  {n:<13} 127.0.0.1:{p}  pid {proc.pid}\n" for n, p, proc in self.processes
                )
            )
            while not stopping:
                self.watch()
                time.sleep(0.2)
        finally:
            self.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 0
