"""Orders/s and acknowledgement p95 over the last minute, from real /metrics text."""

from __future__ import annotations

import pytest
from prometheus_client import generate_latest

from console.metric_window import SampleWindow, bucket_quantile, order_counters
from service_kit.metrics import Metrics


def metrics_text(latencies_s: list[float], statuses: list[str] | None = None) -> str:
    """What a unit's /metrics says after answering POST /orders with these latencies."""
    metrics = Metrics("monolith")
    for index, latency in enumerate(latencies_s):
        status = (statuses or ["201"] * len(latencies_s))[index]
        metrics.requests.labels("monolith", "POST", "/orders", status).inc()
        metrics.latency.labels("monolith", "POST", "/orders").observe(latency)
    metrics.requests.labels("monolith", "GET", "/products", "200").inc(50)
    return generate_latest(metrics.registry).decode()


def test_order_counters_count_only_post_orders_of_every_status():
    counters = order_counters(metrics_text([0.003, 0.004, 0.2], ["201", "402", "409"]))
    assert counters["posts"] == 3
    assert counters["le=+Inf"] == 3
    assert counters["le=0.005"] == 2


def test_p95_is_interpolated_inside_the_bucket_that_holds_it():
    # 100 answers: 90 under 5 ms, 10 between 50 and 100 ms. The 95th lies halfway into
    # the 50-100 ms bucket: Prometheus' histogram_quantile gives 75 ms.
    counters = order_counters(metrics_text([0.004] * 90 + [0.08] * 10))
    assert bucket_quantile(0.95, counters) == pytest.approx(0.075)
    assert bucket_quantile(0.5, counters) == pytest.approx(0.0025 + 0.0025 * 50 / 90)


def test_a_quantile_beyond_the_largest_bucket_is_that_buckets_bound():
    assert bucket_quantile(0.95, order_counters(metrics_text([45.0] * 3))) == 30.0


def test_no_answers_have_no_quantile():
    assert bucket_quantile(0.95, order_counters(metrics_text([]))) is None


def test_the_window_spans_about_a_minute_and_gives_the_growth():
    window = SampleWindow(window_s=60)
    for second in range(0, 121, 2):
        window.add(float(second), {"posts": second * 10.0})
    seconds, growth = window.delta()
    assert 60 <= seconds <= 62
    assert growth["posts"] / seconds == pytest.approx(10.0)


def test_a_restarted_unit_starts_a_new_window_instead_of_a_negative_rate():
    window = SampleWindow()
    window.add(0.0, {"posts": 500.0})
    window.add(2.0, {"posts": 520.0})
    window.add(4.0, {"posts": 3.0})  # the process was killed and started again
    assert window.delta() is None
    window.add(6.0, {"posts": 13.0})
    assert window.delta() == (2.0, {"posts": 10.0})


def test_after_nobody_watched_for_longer_than_the_window_old_samples_are_dropped():
    window = SampleWindow(window_s=60)
    window.add(0.0, {"posts": 0.0})
    window.add(2.0, {"posts": 100.0})
    window.add(600.0, {"posts": 100.0})
    assert window.delta() is None
