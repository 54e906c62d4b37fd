"""Latency samples and the figures reported for them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list (q in 0..100)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass
class Latencies:
    """Seconds per operation; reported in milliseconds."""

    samples: list[float] = field(default_factory=list)

    def add(self, seconds: float) -> None:
        self.samples.append(seconds)

    def extend(self, other: Latencies) -> None:
        self.samples.extend(other.samples)

    def __len__(self) -> int:
        return len(self.samples)

    def summary(self) -> dict[str, float]:
        values = sorted(self.samples)
        return {
            "count": len(values),
            "p50_ms": percentile(values, 50) * 1000,
            "p95_ms": percentile(values, 95) * 1000,
            "p99_ms": percentile(values, 99) * 1000,
            "max_ms": (values[-1] * 1000) if values else math.nan,
        }


@dataclass
class Row:
    """One line of a results table."""

    scenario: str
    target: str  # what was measured, e.g. "full path (all-in-one)"
    throughput: float  # per second
    unit: str  # what the throughput counts, e.g. "holds/s"
    latency: dict[str, float]
    errors: int
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "target": self.target,
            "throughput": self.throughput,
            "unit": self.unit,
            "latency": self.latency,
            "errors": self.errors,
            "note": self.note,
            "extra": self.extra,
        }


def fmt_ms(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def fmt_rate(value: float) -> str:
    if math.isnan(value):
        return "–"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"
