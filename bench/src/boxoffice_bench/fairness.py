"""Pure measures of a waiting room's order: who was let in ahead of whom, and how closely one
order follows another (Kendall's tau-b, O(n log n))."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


def _swaps(values: list[float]) -> int:
    """Inversions of values (pairs i < j with values[i] > values[j]), by merge sort."""
    n = len(values)
    if n < 2:
        return 0
    swaps = 0
    width = 1
    src = list(values)
    dst = [0.0] * n
    while width < n:
        for lo in range(0, n, 2 * width):
            mid, hi = min(lo + width, n), min(lo + 2 * width, n)
            i, j, k = lo, mid, lo
            while i < mid and j < hi:
                if src[j] < src[i]:
                    dst[k] = src[j]
                    swaps += mid - i
                    j += 1
                else:
                    dst[k] = src[i]
                    i += 1
                k += 1
            dst[k : k + mid - i] = src[i:mid]
            k += mid - i
            dst[k : k + hi - j] = src[j:hi]
        src, dst = dst, src
        width *= 2
    return swaps


def _tied_pairs(values: Sequence[object]) -> int:
    counts: dict[object, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return sum(c * (c - 1) // 2 for c in counts.values())


def kendall_tau(x: Sequence[float], y: Sequence[float]) -> float:
    """Kendall's tau-b of two paired sequences (ties allowed; Knight's algorithm): 1 when y
    keeps x's order, -1 when it reverses it, about 0 when unrelated; nan under two pairs or
    when either side is all ties."""
    n = len(x)
    if n != len(y):
        raise ValueError("x and y must be of the same length")
    if n < 2:
        return math.nan
    pairs = sorted(zip(x, y, strict=True))
    n0 = n * (n - 1) // 2
    n1 = _tied_pairs([p[0] for p in pairs])
    n2 = _tied_pairs([p[1] for p in pairs])
    n3 = _tied_pairs(pairs)
    # pairs tied in x are sorted by y, so they add no inversion
    swaps = _swaps([p[1] for p in pairs])
    denominator = math.sqrt((n0 - n1) * (n0 - n2))
    if denominator == 0:
        return math.nan
    return (n0 - n1 - n2 + n3 - 2 * swaps) / denominator


@dataclass(frozen=True)
class OrderCheck:
    admitted: int  # with a known place
    overtaken: int  # admitted after someone who stood behind them
    skipped: int  # not admitted, though someone behind them was

    @property
    def overtaken_share(self) -> float:
        return self.overtaken / self.admitted if self.admitted else math.nan


def order_check(place: Mapping[str, int], admitted_at: Mapping[str, float]) -> OrderCheck:
    """Who was let in out of their place in line. `place`: each customer's place (0 first) as
    they were told it; `admitted_at`: when each customer let in was let in (customers let in
    by one step share a time, and none of them counts as ahead of another)."""
    let_in = sorted((at, place[c]) for c, at in admitted_at.items() if c in place)
    overtaken = 0
    behind = -1  # the furthest place let in at an earlier time
    i = 0
    while i < len(let_in):
        j = i
        while j < len(let_in) and let_in[j][0] == let_in[i][0]:
            j += 1
        step = [p for _, p in let_in[i:j]]
        overtaken += sum(1 for p in step if p < behind)
        behind = max(behind, *step)
        i = j
    last = max((p for _, p in let_in), default=-1)
    skipped = sum(1 for c, p in place.items() if c not in admitted_at and p < last)
    return OrderCheck(len(let_in), overtaken, skipped)


def causal_inversions(joins: Sequence[tuple[float, float, int]]) -> int:
    """Joins `(sent, answered, place)`: how many customers got a place ahead of someone whose
    join had been answered before theirs was even sent. Concurrent joins may be served in
    either order; these may not, in a first-come line (0 when it is one)."""
    answered = sorted((a, p) for _, a, p in joins)
    inversions = 0
    furthest = -1  # the furthest place among the joins answered so far
    i = 0
    for sent, _, place in sorted(joins):
        while i < len(answered) and answered[i][0] < sent:
            furthest = max(furthest, answered[i][1])
            i += 1
        if place < furthest:
            inversions += 1
    return inversions
