"""Rates and percentiles over the last minute, from counters sampled over time.

The units' `/metrics` (and the mesh's counters) only ever grow, from the moment a
process started. The console samples them every few seconds; the difference between
the newest sample and the one a minute older is what happened in that minute. A
counter that went down means the process restarted: the samples before are dropped.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping

from prometheus_client.parser import text_string_to_metric_families

WINDOW_S = 60.0
ORDER_ROUTE = "/orders"


class SampleWindow:
    """Timestamped samples of named counters; `delta()` spans about the last WINDOW_S."""

    def __init__(self, window_s: float = WINDOW_S) -> None:
        self.window_s = window_s
        self._samples: deque[tuple[float, dict[str, float]]] = deque()

    def add(self, at: float, values: Mapping[str, float]) -> None:
        if self._samples:
            last_at, last = self._samples[-1]
            if at - last_at > self.window_s:
                self._samples.clear()  # nobody watched for a while: start a fresh window
            elif any(values.get(name, 0.0) < value for name, value in last.items()):
                self._samples.clear()  # a restarted process counts from zero again
        self._samples.append((at, dict(values)))
        # Keep one sample at or before the window's start, so the delta spans the window.
        while len(self._samples) > 2 and self._samples[1][0] <= at - self.window_s:
            self._samples.popleft()

    def clear(self) -> None:
        self._samples.clear()

    def delta(self) -> tuple[float, dict[str, float]] | None:
        """(seconds covered, growth of each counter), or None before two samples."""
        if len(self._samples) < 2:
            return None
        (start, first), (end, last) = self._samples[0], self._samples[-1]
        if end <= start:
            return None
        return end - start, {name: value - first.get(name, 0.0) for name, value in last.items()}


def order_counters(metrics_text: str) -> dict[str, float]:
    """POST /orders answered (any status) and its latency histogram's cumulative buckets.

    Keys: `posts`, and `le=<upper bound>` for each bucket (`le=+Inf` is every answer).
    """
    values: dict[str, float] = {"posts": 0.0}
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            labels = sample.labels
            if labels.get("method") != "POST" or labels.get("route") != ORDER_ROUTE:
                continue
            if sample.name == "shop_http_requests_total":
                values["posts"] += sample.value
            elif sample.name == "shop_http_request_duration_seconds_bucket":
                values[f"le={labels['le']}"] = sample.value
    return values


def bucket_quantile(q: float, growth: Mapping[str, float]) -> float | None:
    """The q-quantile (seconds) of a histogram's growth, estimated as Prometheus does.

    Linear interpolation inside the bucket that holds the rank: an estimate whose error
    is at most that bucket's width (e.g. 25 to 50 ms). None when nothing was observed.
    """
    buckets = sorted(
        (float(name[3:]), count) for name, count in growth.items() if name.startswith("le=")
    )
    if not buckets or buckets[-1][1] <= 0:
        return None
    rank = q * buckets[-1][1]
    lower_bound, lower_count = 0.0, 0.0
    for upper_bound, count in buckets:
        if count >= rank:
            if math.isinf(upper_bound):
                return lower_bound  # beyond the largest finite bucket: its bound is all we know
            if count == lower_count:
                return upper_bound
            share = (rank - lower_count) / (count - lower_count)
            return lower_bound + (upper_bound - lower_bound) * share
        lower_bound, lower_count = upper_bound, count
    return None
