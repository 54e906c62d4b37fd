"""`boxoffice up --distributed`: every service in its own process, nginx in front."""

from __future__ import annotations

import getpass
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

import httpx

from boxoffice.gateway.nginx import GatewayConfig, render
from boxoffice.kernel.config import Settings

log = logging.getLogger(__name__)

REPLICAS = {
    "identity": 1,
    "catalog": 1,
    "inventory": 2,
    "booking": 2,
    "payment": 1,
    "notification": 1,
}
WEB_DIR = Path(__file__).resolve().parent / "web"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
    max_body_bytes: int = Settings.model_fields["max_request_body_bytes"].default,
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
    def __init__(self, settings: Settings, port: int, openapi: dict[str, object]) -> None:
        self.settings = settings
        self.port = port
        self.openapi = openapi
        self.dir = settings.var_dir.resolve() / "cluster"
        self.processes: list[tuple[str, int, subprocess.Popen[bytes]]] = []
        self.nginx: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        (self.dir / "tmp").mkdir(parents=True, exist_ok=True)
        (self.dir / "logs").mkdir(exist_ok=True)
        ports = {name: [free_port() for _ in range(n)] for name, n in REPLICAS.items()}
        urls = {name: ",".join(f"http://127.0.0.1:{p}" for p in ps) for name, ps in ports.items()}
        s = self.settings
        env = {
            **os.environ,
            "BOXOFFICE_DATABASE_URL": s.database_url,
            "BOXOFFICE_REDIS_URL": s.redis_url,
            "BOXOFFICE_NATS_URL": s.nats_url,
            "BOXOFFICE_VAR_DIR": str(s.var_dir.resolve()),
            "BOXOFFICE_CATALOG_URLS": urls["catalog"],
            "BOXOFFICE_INVENTORY_URLS": urls["inventory"],
            # Eight processes share the database's connection limit (PostgreSQL's default 100).
            "BOXOFFICE_DB_POOL_SIZE": os.environ.get("BOXOFFICE_DB_POOL_SIZE", "4"),
        }
        for name, replica_ports in ports.items():
            for port in replica_ports:
                with (self.dir / "logs" / f"{name}-{port}.log").open("ab") as out:
                    process = subprocess.Popen(
                        [sys.executable, "-m", "boxoffice.cli", "serve", name, "--port", str(port)],
                        env=env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                self.processes.append((name, port, process))
        for name, port, process in self.processes:
            wait_ready(f"http://127.0.0.1:{port}/health/ready", process, f"{name}:{port}")
        openapi_file = self.dir / "openapi.json"
        openapi_file.write_text(json.dumps(self.openapi))
        self.nginx = start_nginx(
            self.dir, self.port, ports, WEB_DIR, openapi_file, s.max_request_body_bytes
        )
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
        (self.dir / "processes.json").write_text(
            json.dumps(
                [{"service": n, "port": p, "pid": proc.pid} for n, p, proc in self.processes]
                + [{"service": "nginx", "port": self.port, "pid": self.nginx.pid}],
                indent=1,
            )
        )
        wait_ready(f"http://127.0.0.1:{self.port}/health/ready", self.nginx, "nginx")

    def stop(self) -> None:
        everything = [proc for _, _, proc in self.processes]
        if self.nginx is not None:
            everything.insert(0, self.nginx)
        for process in everything:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM if process is not self.nginx else signal.SIGQUIT)
        deadline = time.monotonic() + 15
        for process in everything:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def run(self) -> int:
        """Start everything, then wait for Ctrl-C or SIGTERM and stop everything."""
        stopping = False

        def on_signal(_signum: int, _frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

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
                time.sleep(0.2)
        finally:
            self.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 0
