"""The proxy's counters per route and destination, as JSON and as Prometheus text.

Plain integers in dictionaries rather than prometheus_client objects: the data
path increments several counters per request, and a labelled prometheus_client
counter costs microseconds per increment that the per-hop budget cannot spare.
"""

from __future__ import annotations

import bisect
from collections import Counter
from typing import Any

LATENCY_BUCKETS_S = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
)  # fmt: skip


class RouteCounters:
    __slots__ = (
        "route",
        "destination",
        "requests",
        "attempts",
        "retries",
        "per_try_timeouts",
        "faults",
        "ejections",
        "overflows",
        "responses",
        "latency_buckets",
        "latency_sum_s",
    )

    def __init__(self, route: str, destination: str):
        self.route = route
        self.destination = destination
        self.requests = 0  # downstream requests received
        self.attempts = 0  # upstream tries, the first one included
        self.retries = 0
        self.per_try_timeouts = 0
        self.faults: Counter[str] = Counter()  # injected, by kind: delay, abort
        self.ejections = 0
        self.overflows = 0
        self.responses: Counter[int] = Counter()  # downstream answers by status (0: client left)
        self.latency_buckets = [0] * (len(LATENCY_BUCKETS_S) + 1)
        self.latency_sum_s = 0.0

    def observe_latency(self, seconds: float) -> None:
        self.latency_buckets[bisect.bisect_left(LATENCY_BUCKETS_S, seconds)] += 1
        self.latency_sum_s += seconds

    def as_json(self) -> dict[str, Any]:
        return {
            "route": self.route,
            "destination": self.destination,
            "requests": self.requests,
            "attempts": self.attempts,
            "retries": self.retries,
            "per_try_timeouts": self.per_try_timeouts,
            "faults": {"delay": self.faults["delay"], "abort": self.faults["abort"]},
            "ejections": self.ejections,
            "overflows": self.overflows,
            "responses": {str(code): n for code, n in sorted(self.responses.items())},
            "latency": {"count": sum(self.latency_buckets), "sum_s": round(self.latency_sum_s, 6)},
        }


class MeshCounters:
    def __init__(self) -> None:
        self._routes: dict[tuple[str, str], RouteCounters] = {}

    def for_route(self, route: str, destination: str) -> RouteCounters:
        key = (route, destination)
        counters = self._routes.get(key)
        if counters is None:
            counters = self._routes[key] = RouteCounters(route, destination)
        return counters

    def reset(self) -> None:
        self._routes.clear()

    def as_json(self) -> dict[str, Any]:
        routes = [c.as_json() for _, c in sorted(self._routes.items())]
        totals = {
            name: sum(route[name] for route in routes)
            for name in (
                "requests",
                "attempts",
                "retries",
                "per_try_timeouts",
                "ejections",
                "overflows",
            )
        }
        return {"routes": routes, "totals": totals}

    def prometheus_text(self) -> str:
        lines: list[str] = []
        simple = (
            ("mesh_requests_total", "Downstream requests received", "requests"),
            ("mesh_upstream_attempts_total", "Upstream tries, the first included", "attempts"),
            ("mesh_retries_total", "Upstream retries", "retries"),
            (
                "mesh_per_try_timeouts_total",
                "Upstream tries ended by perTryTimeout",
                "per_try_timeouts",
            ),
            ("mesh_ejections_total", "Outlier-detection ejections of the destination", "ejections"),
            ("mesh_overflows_total", "Requests refused by the connection pool limits", "overflows"),
        )
        routes = [c for _, c in sorted(self._routes.items())]
        for metric, help_text, attribute in simple:
            lines += [f"# HELP {metric} {help_text}", f"# TYPE {metric} counter"]
            lines += [f"{metric}{{{_labels(c)}}} {getattr(c, attribute)}" for c in routes]
        lines += [
            "# HELP mesh_injected_faults_total Faults injected",
            "# TYPE mesh_injected_faults_total counter",
        ]
        for c in routes:
            lines += [
                f'mesh_injected_faults_total{{{_labels(c)},kind="{kind}"}} {c.faults[kind]}'
                for kind in ("delay", "abort")
            ]
        lines += [
            "# HELP mesh_responses_total Downstream answers by status code",
            "# TYPE mesh_responses_total counter",
        ]
        for c in routes:
            lines += [
                f'mesh_responses_total{{{_labels(c)},code="{code}"}} {n}'
                for code, n in sorted(c.responses.items())
            ]
        metric = "mesh_request_duration_seconds"
        lines += [
            f"# HELP {metric} Downstream request received to response sent",
            f"# TYPE {metric} histogram",
        ]
        for c in routes:
            cumulative = 0
            for bound, count in zip((*LATENCY_BUCKETS_S, None), c.latency_buckets, strict=True):
                cumulative += count
                le = "+Inf" if bound is None else repr(bound)
                lines.append(f'{metric}_bucket{{{_labels(c)},le="{le}"}} {cumulative}')
            lines.append(f"{metric}_sum{{{_labels(c)}}} {c.latency_sum_s!r}")
            lines.append(f"{metric}_count{{{_labels(c)}}} {cumulative}")
        return "\n".join(lines) + "\n"


def _labels(counters: RouteCounters) -> str:
    return f'route="{_escape(counters.route)}",destination="{_escape(counters.destination)}"'


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
