"""CPU seconds used by a process and its descendants (Linux /proc), so a run on a shared machine
can be read as CPU per request: that figure moves far less with other people's load than
throughput does."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _stats() -> dict[int, tuple[int, float]]:
    """pid → (parent pid, CPU seconds) of every process."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK)
    return out


def tree_cpu_seconds(pid: int) -> float:
    """user + system CPU of pid and every process below it (0.0 when it is gone)."""
    stats = _stats()
    children: dict[int, list[int]] = {}
    for p, (parent, _) in stats.items():
        children.setdefault(parent, []).append(p)
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        if p in stats:
            total += stats[p][1]
        todo += children.get(p, [])
    return total


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of pid and every process below it (0 when it is gone); pages shared
    between them (forked workers) are counted once per process, so this is an upper bound."""
    stats = _stats()
    children: dict[int, list[int]] = {}
    for p, (parent, _) in stats.items():
        children.setdefault(parent, []).append(p)
    page = os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        with contextlib.suppress(OSError, ValueError, IndexError):
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * page
        todo += children.get(p, [])
    return total
