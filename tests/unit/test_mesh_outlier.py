"""Outlier detection for a one-endpoint host (with a stepped clock), and the pool's limits."""

from __future__ import annotations

import asyncio

import pytest

from mesh.outlier import OutlierDetector
from mesh.policy_model import OutlierPolicy, PoolLimits
from mesh.upstream_pool import PoolOverflow, UpstreamPool

POLICY = OutlierPolicy(
    consecutive_5xx=3, interval_s=10.0, base_ejection_s=30.0, max_ejection_percent=100
)


def eject(detector: OutlierDetector, now: float) -> bool:
    return [detector.record(503, now) for _ in range(3)][-1]


def test_the_third_consecutive_5xx_ejects():
    detector = OutlierDetector(POLICY, now=0.0)

    assert [detector.record(code, 1.0) for code in (500, 503, 504)] == [False, False, True]
    assert detector.is_ejected(1.0)
    assert detector.ejections == 1


def test_a_success_in_between_starts_the_count_again():
    detector = OutlierDetector(POLICY, now=0.0)

    for code in (500, 503, 200, 500, 503):
        detector.record(code, 1.0)

    assert not detector.is_ejected(1.0)


def test_a_one_endpoint_host_is_not_ejected_below_max_ejection_percent_100():
    detector = OutlierDetector(OutlierPolicy(3, 10.0, 30.0, max_ejection_percent=10), now=0.0)

    assert not eject(detector, 1.0)
    assert not detector.is_ejected(1.0)


def test_the_endpoint_returns_at_the_first_interval_tick_after_the_ejection_time():
    detector = OutlierDetector(POLICY, now=0.0)
    eject(detector, now=5.0)

    assert detector.is_ejected(39.9)  # 30 s have passed at 35 s, but the next tick is at 40 s
    assert not detector.is_ejected(40.0)


def test_a_second_ejection_soon_after_lasts_twice_as_long():
    detector = OutlierDetector(POLICY, now=0.0)
    eject(detector, now=5.0)
    assert not detector.is_ejected(40.0)

    eject(detector, now=41.0)

    assert detector.is_ejected(100.0)  # 60 s from 41 s: the tick at 110 s lets it back
    assert not detector.is_ejected(110.0)
    assert detector.ejections == 2


def test_healthy_intervals_shrink_the_ejection_time_again():
    detector = OutlierDetector(POLICY, now=0.0)
    eject(detector, now=5.0)
    assert not detector.is_ejected(40.0)
    # Healthy ticks at 50 s (the multiplier drops from 1 to 0) and on.

    eject(detector, now=200.0)

    assert not detector.is_ejected(230.0)


def test_zero_consecutive_errors_disables_ejection():
    detector = OutlierDetector(OutlierPolicy(0, 10.0, 30.0, 100), now=0.0)

    assert not eject(detector, 1.0)


def test_the_pool_lends_up_to_max_connections_then_queues_then_overflows():
    async def scenario():
        pool = UpstreamPool("127.0.0.1", 9, PoolLimits(max_connections=1, max_pending_requests=1))
        first = await pool.acquire()
        waiting = asyncio.ensure_future(pool.acquire())
        await asyncio.sleep(0)
        with pytest.raises(PoolOverflow):
            await pool.acquire()
        pool.release(first)
        handed_on = await waiting
        return first, handed_on, pool

    first, handed_on, pool = asyncio.run(scenario())

    assert handed_on is first
    assert (pool.in_use, pool.waiting) == (1, 0)


def test_a_waiter_that_gives_up_leaves_the_queue():
    async def scenario():
        pool = UpstreamPool("127.0.0.1", 9, PoolLimits(max_connections=1, max_pending_requests=5))
        await pool.acquire()
        waiting = asyncio.ensure_future(pool.acquire())
        await asyncio.sleep(0)
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)
        return pool.waiting

    assert asyncio.run(scenario()) == 0


def test_without_limits_the_pool_never_overflows():
    async def scenario():
        pool = UpstreamPool("127.0.0.1", 9)
        connections = [await pool.acquire() for _ in range(500)]
        return len(set(connections))

    assert asyncio.run(scenario()) == 500
