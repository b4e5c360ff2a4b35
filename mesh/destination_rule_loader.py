"""A DestinationRule's spec, read strictly: connection pool limits and outlier detection.

The seed article's DestinationRule puts `retryPolicy` under
`connectionPool.http` and uses `consecutiveErrors`; neither does what it seems
to (Istio has no retries in a DestinationRule, and replaced consecutiveErrors
by consecutive5xxErrors), so both are refused with a message saying where
the setting belongs.
"""

from __future__ import annotations

from mesh.policy_fields import Fields
from mesh.policy_model import ENVOY_OUTLIER_DEFAULTS, OutlierPolicy, PoolLimits
from mesh.virtual_service_loader import read_host

_SPEC_EXPLANATIONS = {
    "subsets": "subsets need several versions of a service; each host has one",
    "exportTo": "every resource applies to the one local namespace",
    "workloadSelector": "rules apply to every caller",
}
_POLICY_EXPLANATIONS = {
    "loadBalancer": "each host has one endpoint, so there is nothing to balance",
    "tls": "the local proxy speaks plain HTTP (mTLS is real Istio's job, see istio/kind/)",
    "portLevelSettings": "settings apply to the whole host",
    "retryPolicy": "retries belong in a VirtualService route (spec.http[].retries)",
}
_HTTP_POOL_EXPLANATIONS = {
    "retryPolicy": (
        "retries belong in a VirtualService route (spec.http[].retries), "
        "not in a DestinationRule's connection pool"
    ),
}
_OUTLIER_EXPLANATIONS = {
    "consecutiveErrors": (
        "consecutiveErrors was replaced by consecutive5xxErrors "
        "(Istio counts 5xx answers, including 502/503/504 from failed connections and timeouts)"
    ),
}


def read_destination_rule(spec: Fields) -> tuple[str | None, PoolLimits, OutlierPolicy | None]:
    host_value = spec.raw("host")
    host = (
        read_host(host_value, f"{spec.path}.host", spec.problems)
        if host_value is not None
        else None
    )
    if host_value is None:
        spec.problem("host", "is required")
    limits = PoolLimits()
    outlier = None
    policy = spec.mapping("trafficPolicy")
    if policy is not None:
        pool = policy.mapping("connectionPool")
        if pool is not None:
            limits = _read_pool(pool)
        outlier_fields = policy.mapping("outlierDetection")
        if outlier_fields is not None:
            outlier = _read_outlier(outlier_fields)
        policy.finish(_POLICY_EXPLANATIONS)
    spec.finish(_SPEC_EXPLANATIONS)
    return host, limits, outlier


def _read_pool(pool: Fields) -> PoolLimits:
    max_connections = max_pending = max_per_connection = None
    tcp = pool.mapping("tcp")
    if tcp is not None:
        max_connections = tcp.integer("maxConnections", minimum=1, maximum=2**31 - 1)
        tcp.finish()
    http_pool = pool.mapping("http")
    if http_pool is not None:
        max_pending = http_pool.integer("http1MaxPendingRequests", minimum=1, maximum=2**31 - 1)
        max_per_connection = http_pool.integer("maxRequestsPerConnection", maximum=2**31 - 1)
        http_pool.finish(_HTTP_POOL_EXPLANATIONS)
    pool.finish()
    return PoolLimits(
        max_connections=max_connections,
        max_pending_requests=max_pending,
        # Istio: 0 means unlimited.
        max_requests_per_connection=max_per_connection or None,
    )


def _read_outlier(outlier: Fields) -> OutlierPolicy:
    defaults = ENVOY_OUTLIER_DEFAULTS
    consecutive = outlier.integer("consecutive5xxErrors")
    interval_s = outlier.duration("interval")
    base_s = outlier.duration("baseEjectionTime")
    max_percent = outlier.integer("maxEjectionPercent", maximum=100)
    outlier.finish(_OUTLIER_EXPLANATIONS)
    return OutlierPolicy(
        consecutive_5xx=defaults.consecutive_5xx if consecutive is None else consecutive,
        interval_s=interval_s or defaults.interval_s,
        base_ejection_s=base_s or defaults.base_ejection_s,
        # Istio passes maxEjectionPercent on only when it is above 0.
        max_ejection_percent=max_percent or defaults.max_ejection_percent,
    )
