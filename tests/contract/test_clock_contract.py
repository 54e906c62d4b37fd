"""One contract for the clock port, run against the system clock and the tests' fake."""

from __future__ import annotations

from datetime import UTC, timedelta

from boxoffice.kernel.clock import Clock, SystemClock
from tests.fakes import FakeClock


class ClockContract:
    def clock(self) -> Clock:
        raise NotImplementedError

    def test_now_is_utc_aware(self) -> None:
        now = self.clock().now()
        assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
        assert now.astimezone(UTC) == now

    def test_time_never_goes_back(self) -> None:
        clock = self.clock()
        instants = [(clock.now(), clock.monotonic()) for _ in range(100)]
        assert instants == sorted(instants)


class TestSystemClock(ClockContract):
    def clock(self) -> Clock:
        return SystemClock()


class TestFakeClock(ClockContract):
    def clock(self) -> Clock:
        return FakeClock()

    def test_it_stands_still_until_advanced(self) -> None:
        clock = FakeClock()
        before, ticks = clock.now(), clock.monotonic()
        assert (clock.now(), clock.monotonic()) == (before, ticks)
        clock.advance(90)
        assert clock.now() - before == timedelta(seconds=90)
        assert clock.monotonic() - ticks == 90
