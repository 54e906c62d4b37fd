"""The bench's measures of a waiting room's order (boxoffice_bench.fairness)."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from boxoffice_bench.fairness import kendall_tau, order_check


def brute_tau(x: list[float], y: list[float]) -> float:
    concordant = discordant = tied_x = tied_y = 0
    for i, j in itertools.combinations(range(len(x)), 2):
        dx, dy = x[i] - x[j], y[i] - y[j]
        if dx == 0 and dy == 0:
            continue
        if dx == 0:
            tied_x += 1
        elif dy == 0:
            tied_y += 1
        elif (dx > 0) == (dy > 0):
            concordant += 1
        else:
            discordant += 1
    return (concordant - discordant) / math.sqrt(
        (concordant + discordant + tied_x) * (concordant + discordant + tied_y)
    )


def test_tau_is_one_for_the_same_order_minus_one_reversed_and_nan_when_undefined() -> None:
    xs = list(range(1000))
    assert kendall_tau(xs, [2 * v for v in xs]) == pytest.approx(1.0)
    assert kendall_tau(xs, xs[::-1]) == pytest.approx(-1.0)
    assert math.isnan(kendall_tau([1], [1]))
    assert math.isnan(kendall_tau([1, 2, 3], [5, 5, 5]))
    with pytest.raises(ValueError):
        kendall_tau([1, 2], [1])


@pytest.mark.parametrize("seed", range(20))
def test_tau_matches_the_pairwise_definition_with_and_without_ties(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(2, 60)
    spread = rng.choice([3, 10, 1000])
    x = [float(rng.randrange(spread)) for _ in range(n)]
    y = [float(rng.randrange(spread)) for _ in range(n)]
    if len(set(x)) < 2 or len(set(y)) < 2:
        return
    assert kendall_tau(x, y) == pytest.approx(brute_tau(x, y))


def test_tau_of_unrelated_orders_is_near_zero() -> None:
    rng = random.Random(7)
    xs = list(range(20_000))
    ys = xs[:]
    rng.shuffle(ys)
    assert abs(kendall_tau(xs, ys)) < 0.02


def test_order_check_counts_the_overtaken_and_the_skipped() -> None:
    place = {"a": 0, "b": 1, "c": 2, "d": 3, "e": 4}
    # one step lets a and b in, the next c; d comes before ... nobody overtakes
    assert order_check(place, {"a": 1.0, "b": 1.0, "c": 2.0}).overtaken == 0
    in_order = order_check(place, {"a": 1.0, "b": 1.0, "c": 2.0})
    assert (in_order.admitted, in_order.skipped, in_order.overtaken_share) == (3, 0, 0.0)
    # c goes first, then a and b: both were overtaken; d is skipped by e
    late = order_check(place, {"c": 1.0, "a": 2.0, "b": 2.0, "e": 3.0})
    assert (late.overtaken, late.skipped) == (2, 1)
    assert late.overtaken_share == pytest.approx(0.5)
    # customers without a known place are left out
    assert order_check({"a": 0}, {"a": 1.0, "zz": 0.5}).admitted == 1
    assert math.isnan(order_check({}, {}).overtaken_share)


def test_causal_inversions_count_only_joins_served_out_of_a_known_order() -> None:
    from boxoffice_bench.fairness import causal_inversions

    # a answered before b was sent: b must come after a
    assert causal_inversions([(0.0, 1.0, 0), (2.0, 3.0, 1)]) == 0
    assert causal_inversions([(0.0, 1.0, 1), (2.0, 3.0, 0)]) == 1
    # overlapping joins may be served in either order
    assert causal_inversions([(0.0, 2.0, 1), (1.0, 3.0, 0)]) == 0
    assert causal_inversions([]) == 0
