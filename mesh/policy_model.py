"""What the proxy understood from the Istio files: plain values, with Istio's defaults filled in.

Everything here is already checked; the forwarding code never looks at YAML.
Istio hosts are kept by their short name (`payment`, whether the file said
`payment` or `payment.shop-distributed.svc.cluster.local`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

VIRTUAL_SERVICE = "VirtualService"
DESTINATION_RULE = "DestinationRule"

# Envoy retry conditions that can match an HTTP/1.1 exchange. The gRPC ones
# (cancelled, deadline-exceeded, internal, resource-exhausted, unavailable) are
# accepted too, because Istio's default uses some of them, but they look at a
# grpc-status the proxied services never send, so they never match here.
HTTP_RETRY_CONDITIONS = frozenset(
    {
        "5xx",
        "gateway-error",
        "connect-failure",
        "reset",
        "refused-stream",
        "retriable-status-codes",
    }
)
GRPC_RETRY_CONDITIONS = frozenset(
    {"cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable"}
)


@dataclass(frozen=True)
class RetryPolicy:
    retries: int  # retries after the first attempt: Istio's `attempts`
    retry_on: frozenset[str]
    retriable_status_codes: frozenset[int]
    per_try_timeout_s: float | None


NO_RETRIES = RetryPolicy(0, frozenset(), frozenset(), None)

# What Istio installs on a route that has no `retries` block (also on a host
# with no VirtualService at all). The 503 is Istio's default up to 1.23; Istio
# 1.24 dropped it from the default (istio/istio#52111) so that a failing POST
# is not re-sent by default. The demo keeps 503, as the brief for this unit
# asks; see istio/README.md.
ISTIO_DEFAULT_RETRY = RetryPolicy(
    retries=2,
    retry_on=frozenset(
        {"connect-failure", "refused-stream", "unavailable", "cancelled", "retriable-status-codes"}
    ),
    retriable_status_codes=frozenset({503}),
    per_try_timeout_s=None,
)


@dataclass(frozen=True)
class FaultPolicy:
    delay_s: float | None
    delay_percent: float
    abort_status: int | None
    abort_percent: float


@dataclass(frozen=True)
class RequestMatch:
    """One entry of `match`: all its conditions must hold (an empty one matches everything)."""

    uri_exact: str | None = None
    uri_prefix: str | None = None
    method: str | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and method != self.method:
            return False
        if self.uri_exact is not None and path.split("?", 1)[0] != self.uri_exact:
            return False
        return self.uri_prefix is None or path.startswith(self.uri_prefix)


@dataclass(frozen=True)
class HttpRoute:
    label: str  # `<VirtualService name>/<route name or index>`, the counters' `route` label
    matches: tuple[RequestMatch, ...]  # any of them; empty: every request
    destination: str
    timeout_s: float | None
    retry: RetryPolicy
    fault: FaultPolicy | None

    def accepts(self, method: str, path: str) -> bool:
        return not self.matches or any(match.matches(method, path) for match in self.matches)

    # Istio's API reference (HTTPRoute.fault): "timeouts or retries will not be
    # enabled when faults are enabled on the client side". The proxy does the same.
    @property
    def effective_retry(self) -> RetryPolicy:
        return NO_RETRIES if self.fault is not None else self.retry

    @property
    def effective_timeout_s(self) -> float | None:
        return None if self.fault is not None else self.timeout_s


@dataclass(frozen=True)
class OutlierPolicy:
    consecutive_5xx: int  # 0 disables ejection
    interval_s: float
    base_ejection_s: float
    max_ejection_percent: int


# Envoy's defaults for the fields an outlierDetection block leaves out.
ENVOY_OUTLIER_DEFAULTS = OutlierPolicy(
    consecutive_5xx=5, interval_s=10.0, base_ejection_s=30.0, max_ejection_percent=10
)


@dataclass(frozen=True)
class PoolLimits:
    """None: unlimited, as Istio leaves it (it sets Envoy's circuit breakers to 2^32-1)."""

    max_connections: int | None = None
    max_pending_requests: int | None = None
    max_requests_per_connection: int | None = None


@dataclass(frozen=True)
class Resource:
    kind: str
    name: str
    namespace: str | None
    source: str  # the file (or admin request) it came from, for messages and GET /admin/policies
    manifest: Mapping[str, Any] = field(compare=False, repr=False)


@dataclass(frozen=True)
class VirtualService(Resource):
    hosts: tuple[str, ...] = ()
    routes: tuple[HttpRoute, ...] = ()


@dataclass(frozen=True)
class DestinationRule(Resource):
    host: str = ""
    limits: PoolLimits = PoolLimits()
    outlier: OutlierPolicy | None = None


def short_host(name: str) -> str:
    """`payment.shop-distributed.svc.cluster.local` and `payment` are the same Istio host."""
    return name.split(".", 1)[0]
