"""The public show list's cache: a page is kept per filter and page for a short while, dropped
all at once by a committed change, and started over when it holds too many pages."""

from __future__ import annotations

import pytest

from boxoffice.catalog import browse
from boxoffice.catalog.browse import (
    BROWSE_CACHE_ENTRIES,
    BROWSE_CACHE_SECONDS,
    ShowFilter,
    ShowListCache,
    ShowPage,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(browse.time, "monotonic", clock)
    return clock


BERLIN = ShowFilter(city="Berlin")
PAGE = ShowPage(items=[], total=7)


@pytest.mark.usefixtures("clock")
def test_a_kept_page_answers_the_same_filter_and_page_only() -> None:
    cache = ShowListCache()
    cache.put(BERLIN, 20, 0, PAGE)
    assert cache.get(ShowFilter(city="Berlin"), 20, 0) is PAGE
    assert cache.get(ShowFilter(city="Paris"), 20, 0) is None
    assert cache.get(BERLIN, 20, 20) is None
    assert cache.get(BERLIN, 10, 0) is None


def test_a_page_is_kept_for_the_cache_time_only(clock: Clock) -> None:
    cache = ShowListCache()
    cache.put(BERLIN, 20, 0, PAGE)
    clock.now += BROWSE_CACHE_SECONDS - 0.01
    assert cache.get(BERLIN, 20, 0) is PAGE
    clock.now += 0.01
    assert cache.get(BERLIN, 20, 0) is None


@pytest.mark.usefixtures("clock")
def test_clear_drops_every_page() -> None:
    cache = ShowListCache()
    cache.put(BERLIN, 20, 0, PAGE)
    cache.put(ShowFilter(), 20, 0, PAGE)
    cache.clear()
    assert cache.get(BERLIN, 20, 0) is None
    assert cache.get(ShowFilter(), 20, 0) is None


@pytest.mark.usefixtures("clock")
def test_a_full_cache_starts_over() -> None:
    cache = ShowListCache()
    for offset in range(BROWSE_CACHE_ENTRIES):
        cache.put(BERLIN, 20, offset, PAGE)
    assert cache.get(BERLIN, 20, 0) is PAGE
    cache.put(BERLIN, 20, BROWSE_CACHE_ENTRIES, PAGE)
    assert cache.get(BERLIN, 20, 0) is None
    assert cache.get(BERLIN, 20, BROWSE_CACHE_ENTRIES) is PAGE
