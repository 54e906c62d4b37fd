"""`boxoffice up` as an operator runs it: with its own embedded servers, refusing a taken port at
once, stopping within SHUTDOWN_BOUND seconds on SIGTERM or Ctrl-C (live seat streams open,
several workers, either shape), and noticing a crashed service of the distributed shape."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest

from boxoffice.kernel.lifecycle import free_port
from tests.acceptance.conftest import wait_for

# Each test starts (and stops) a whole system of its own, the distributed shape included.
pytestmark = [pytest.mark.own_server, pytest.mark.timeout(600)]

SHUTDOWN_BOUND = 10.0  # seconds; docs/operations.md promises it (kernel/lifecycle.py)


@dataclass
class Up:
    process: subprocess.Popen[bytes]
    port: int
    var: Path
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def _env(var: Path) -> dict[str, str]:
    """No server URLs: `boxoffice up` starts embedded PostgreSQL, Redis and NATS under var/."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
    return {**env, "BOXOFFICE_VAR_DIR": str(var), "BOXOFFICE_LOG_LEVEL": "WARNING"}


def _launch(workdir: Path, *args: str, port: int | None = None) -> Up:
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    log = workdir / "up.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "boxoffice.cli", "up", "--port", str(port), *args],
            env=_env(workdir / "var"),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Up(process, port, workdir / "var", log)


def _start(workdir: Path, *args: str) -> Up:
    up = _launch(workdir, "--demo", *args)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if up.process.poll() is not None:
            raise AssertionError(f"boxoffice up exited:\n{up.output()[-3000:]}")
        if _ready(up.base_url):
            return up
        time.sleep(0.3)
    _kill_tree(up.process.pid)
    raise AssertionError(f"boxoffice up not ready in 240 s:\n{up.output()[-3000:]}")


def _ready(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/health/ready", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _kill_tree(pid: int) -> None:
    for proc in _tree(pid):
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()


def _alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    alive = []
    for proc in processes:
        try:
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                alive.append(proc)
        except psutil.NoSuchProcess:
            pass
    return alive


def _everything(up: Up) -> list[psutil.Process]:
    """The launcher, its workers or services, nginx, and the embedded servers (the postmaster
    is not our child: pg_ctl daemonizes it)."""
    processes = _tree(up.process.pid)
    postmaster = int((up.var / "pg" / "postmaster.pid").read_text().split()[0])
    return [*processes, psutil.Process(postmaster)]


@pytest.fixture
def streams() -> Iterator[list[threading.Thread]]:
    """Open live seat streams that read until the server ends them."""
    threads: list[threading.Thread] = []
    yield threads
    for thread in threads:
        thread.join(timeout=30)


def _open_streams(up: Up, threads: list[threading.Thread], count: int) -> None:
    shows = httpx.get(f"{up.base_url}/api/v1/shows", timeout=10).json()
    show_id = (shows["items"] if isinstance(shows, dict) else shows)[0]["id"]
    connected = threading.Semaphore(0)

    def follow() -> None:
        url = f"{up.base_url}/api/v1/shows/{show_id}/seats/stream"
        try:
            with httpx.stream("GET", url, timeout=httpx.Timeout(5, read=60)) as response:
                assert response.status_code == 200
                for _ in response.iter_bytes():
                    connected.release()
        except httpx.HTTPError:
            pass  # the server went away: what shutting down looks like from here

    for _ in range(count):
        thread = threading.Thread(target=follow, daemon=True)
        thread.start()
        threads.append(thread)
    for _ in range(count):
        assert connected.acquire(timeout=20), "a seat stream did not connect"


def _stop_within_bound(up: Up, sig: signal.Signals) -> float:
    everything = _everything(up)
    assert len(everything) >= 4  # launcher, redis, nats, postmaster (and more)
    began = time.monotonic()
    up.process.send_signal(sig)
    try:
        code = up.process.wait(SHUTDOWN_BOUND + 30)
    except subprocess.TimeoutExpired:
        _kill_tree(up.process.pid)
        raise AssertionError(
            f"still running 45 s after {sig.name}:\n{up.output()[-3000:]}"
        ) from None
    took = time.monotonic() - began
    assert took <= SHUTDOWN_BOUND, f"{sig.name} took {took:.1f}s:\n{up.output()[-3000:]}"
    assert code == 0, f"exit code {code}:\n{up.output()[-3000:]}"
    wait_for(lambda: not _alive(everything), timeout=3)
    logs = [up.log, *(up.var / "cluster" / "logs").glob("*.log")]
    for log in logs:
        text = log.read_text(errors="replace")
        assert "Traceback" not in text, f"{log}:\n{text[-3000:]}"
        assert not any(p in text for p in _passwords(up.var)), log
    return took


def _passwords(var: Path) -> list[str]:
    keys = var / "keys"
    return [(keys / n).read_text().strip() for n in ("redis-password", "nats-password")]


@pytest.mark.parametrize("shape", ["all-in-one", "distributed"])
def test_a_taken_port_is_named_in_one_line_and_nothing_is_started(
    tmp_path: Path, shape: str
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        up = _launch(tmp_path, *(["--distributed"] if shape == "distributed" else []), port=port)
        try:
            code = up.process.wait(30)
        except subprocess.TimeoutExpired:
            _kill_tree(up.process.pid)
            raise AssertionError(f"still running 30 s later:\n{up.output()[-3000:]}") from None
    assert code != 0
    lines = up.output().splitlines()
    assert len(lines) == 1, lines
    assert f"127.0.0.1:{port}" in lines[0] and "in use" in lines[0], lines
    assert not (up.var / "pg").exists()  # no embedded server started, no migration ran


def test_sigterm_stops_two_workers_with_open_streams_and_the_embedded_servers(
    tmp_path: Path, streams: list[threading.Thread]
) -> None:
    up = _start(tmp_path, "--workers", "2")
    _open_streams(up, streams, 3)
    _stop_within_bound(up, signal.SIGTERM)


def test_ctrl_c_stops_one_process_with_open_streams_and_the_embedded_servers(
    tmp_path: Path, streams: list[threading.Thread]
) -> None:
    up = _start(tmp_path)
    _open_streams(up, streams, 3)
    _stop_within_bound(up, signal.SIGINT)


def test_sigterm_stops_the_distributed_shape_with_open_streams(
    tmp_path: Path, streams: list[threading.Thread]
) -> None:
    up = _start(tmp_path, "--distributed")
    _open_streams(up, streams, 3)
    _stop_within_bound(up, signal.SIGTERM)


def test_a_crashed_service_of_the_distributed_shape_is_logged_and_restarted(
    tmp_path: Path,
) -> None:
    up = _start(tmp_path, "--distributed")
    try:
        listed = json.loads((up.var / "cluster" / "processes.json").read_text())
        victim = next(p for p in listed if p["service"] == "catalog")
        os.kill(victim["pid"], signal.SIGKILL)

        line = wait_for(
            lambda: next((ln for ln in up.output().splitlines() if "exited" in ln), None),
            timeout=15,
        )
        assert "catalog" in line and str(victim["port"]) in line and "restart" in line, line

        def restarted() -> dict[str, int] | None:
            now = json.loads((up.var / "cluster" / "processes.json").read_text())
            entry = next(p for p in now if p["service"] == "catalog")
            return entry if entry["pid"] != victim["pid"] else None

        entry = wait_for(restarted, timeout=60)
        assert entry["port"] == victim["port"]
        wait_for(lambda: _ready(f"http://127.0.0.1:{entry['port']}"), timeout=60, every=0.5)
        assert httpx.get(f"{up.base_url}/api/v1/shows", timeout=10).status_code == 200
    finally:
        _stop_within_bound(up, signal.SIGTERM)
