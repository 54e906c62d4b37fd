"""The results as a Markdown table in docs/benchmarks.md (between markers, so the hand-written
parts of that file stay), with the command, machine, date and git revision."""

from __future__ import annotations

import math
import os
import platform
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from boxoffice_bench.stats import Row, fmt_ms, fmt_rate

START = "<!-- bench:results:start -->"
END = "<!-- bench:results:end -->"


def markers(section: str) -> tuple[str, str]:
    """The markers of a results block: "results" (the last full run) or a scenario's own
    section (e.g. "waiting-room"), so a run of one scenario keeps the others' figures."""
    return f"<!-- bench:{section}:start -->", f"<!-- bench:{section}:end -->"


def machine() -> dict[str, str]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        ram = f"{kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "ram": ram,
        "python": platform.python_version(),
    }


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def git_revision() -> str:
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return rev + (" (+ uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def table(rows: list[Row]) -> str:
    lines = [
        "| scenario | measured | throughput | p50 ms | p95 ms | p99 ms | errors | notes |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        rate = f"{fmt_rate(r.throughput)} {r.unit}".strip() if not math.isnan(r.throughput) else "–"
        lines.append(
            f"| {r.scenario} | {r.target} | {rate} | {fmt_ms(r.latency.get('p50_ms', math.nan))}"
            f" | {fmt_ms(r.latency.get('p95_ms', math.nan))}"
            f" | {fmt_ms(r.latency.get('p99_ms', math.nan))} | {r.errors} | {r.note} |"
        )
    return "\n".join(lines)


def render(
    meta: dict[str, Any], rows: list[Row], summary: list[str], section: str = "results"
) -> str:
    start, end = markers(section)
    m = meta["machine"]
    head = [
        start,
        f"Command: `{meta['command']}`  ",
        f"Date: {meta['date']} · git {meta['revision']} · machine: {m['nproc']} cores "
        f"({m['cpu']}), {m['ram']} RAM, Python {m['python']} · load average before / after: "
        f"{meta['load_before']} / {meta['load_after']}",
    ]
    if meta.get("settings"):
        head[-1] += "  "
        head.append(
            "Settings of the systems it started: "
            + ", ".join(f"`{k}={v}`" for k, v in meta["settings"].items())
        )
    head.append("")
    body = [table(rows), ""]
    if summary:
        body += ["Side by side (medians of the repeated runs):", ""]
        body += [f"- {line}" for line in summary]
        body.append("")
    return "\n".join([*head, *body, end])


def write(path: Path, block: str, section: str = "results", heading: str = "") -> None:
    """Replace the section's results block of `path` (or append one, under `heading`)."""
    start, end = markers(section)
    text = path.read_text() if path.exists() else "# Benchmarks\n\n"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip("\n") + "\n\n" + (f"{heading}\n\n" if heading else "") + block
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text if text.endswith("\n") else text + "\n")


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
