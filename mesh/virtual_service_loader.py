"""A VirtualService's spec, read strictly into routes with Istio's defaults filled in.

Supported: hosts, and http routes with name, match (uri exact/prefix, method
exact), one destination, timeout, retries and fault. Istio's own validation
rules for these fields are applied too (attempts 0 with a retry policy, an
unknown retryOn condition), so a file the proxy accepts is one Istio accepts.
"""

from __future__ import annotations

import http
from typing import Any

from mesh.policy_fields import UNSUPPORTED, Fields
from mesh.policy_model import (
    GRPC_RETRY_CONDITIONS,
    HTTP_RETRY_CONDITIONS,
    ISTIO_DEFAULT_RETRY,
    FaultPolicy,
    HttpRoute,
    RequestMatch,
    RetryPolicy,
    short_host,
)

# Envoy conditions Istio accepts but the proxy does not implement.
_UNSUPPORTED_RETRY_CONDITIONS = frozenset(
    {
        "retriable-4xx",
        "retriable-headers",
        "envoy-ratelimited",
        "reset-before-request",
        "http3-post-connect-failure",
    }
)
_KNOWN_STATUS_CODES = frozenset(int(status) for status in http.HTTPStatus)

_SPEC_EXPLANATIONS = {
    "tcp": "only HTTP routes are proxied",
    "tls": "only plain HTTP routes are proxied",
    "gateways": "the proxy applies routes to mesh traffic only, as a sidecar does",
    "exportTo": "every resource applies to the one local namespace",
}
_ROUTE_EXPLANATIONS = {
    "mirror": "traffic mirroring is not modelled",
    "mirrors": "traffic mirroring is not modelled",
    "redirect": "every route must forward to its destination",
    "directResponse": "every route must forward to its destination",
    "rewrite": "requests are forwarded unchanged",
    "headers": "requests are forwarded with their headers unchanged",
}


def read_virtual_service(spec: Fields, name: str) -> tuple[tuple[str, ...], tuple[HttpRoute, ...]]:
    hosts = tuple(
        host
        for value, path in spec.items("hosts", required=True)
        if (host := read_host(value, path, spec.problems))
    )
    if "hosts" in spec and not hosts and not spec.problems:
        spec.problem("hosts", "must name at least one host")
    routes = tuple(
        route
        for index, (value, path) in enumerate(spec.items("http", required=True))
        if (route := _read_route(Fields(value, path, spec.problems), name, index))
    )
    spec.finish(_SPEC_EXPLANATIONS)
    return hosts, routes


def read_host(value: Any, path: str, problems: list[str]) -> str | None:
    if not isinstance(value, str) or not value:
        problems.append(f"{path} must be a host name, got {value!r}")
        return None
    if "*" in value:
        problems.append(f"{path} {UNSUPPORTED}: wildcard hosts ({value!r}); name one service")
        return None
    host = short_host(value)
    if not host.replace("-", "").isalnum() or host != host.lower():
        problems.append(f"{path} {value!r} is not a Kubernetes service name")
        return None
    return host


def _read_route(route: Fields, vs_name: str, index: int) -> HttpRoute | None:
    route_name = route.string("name")
    matches = tuple(
        _read_match(Fields(value, path, route.problems)) for value, path in route.items("match")
    )
    destination = _read_destination(route)
    timeout_s = route.duration("timeout")
    retries = route.mapping("retries")
    retry = _read_retries(retries) if retries is not None else ISTIO_DEFAULT_RETRY
    fault_fields = route.mapping("fault")
    fault = _read_fault(fault_fields) if fault_fields is not None else None
    route.finish(_ROUTE_EXPLANATIONS)
    if destination is None or retry is None:
        return None
    return HttpRoute(
        label=f"{vs_name}/{route_name or index}",
        matches=matches,
        destination=destination,
        timeout_s=timeout_s,
        retry=retry,
        fault=fault,
    )


def _read_match(match: Fields) -> RequestMatch:
    match.string("name")
    exact = prefix = method = None
    uri = match.mapping("uri")
    if uri is not None:
        exact = uri.string("exact")
        prefix = uri.string("prefix")
        uri.finish({"regex": "only exact and prefix URI matches are supported"})
        if (exact is None) == (prefix is None):
            uri.problem(None, "must have exactly one of exact or prefix")
    method_fields = match.mapping("method")
    if method_fields is not None:
        method = method_fields.string("exact", required=True)
        method_fields.finish(
            {
                "prefix": "only exact method matches are supported",
                "regex": "only exact method matches are supported",
            }
        )
    match.finish()
    return RequestMatch(uri_exact=exact, uri_prefix=prefix, method=method)


def _read_destination(route: Fields) -> str | None:
    targets = list(route.items("route", required=True))
    if len(targets) != 1:
        if targets:
            route.problem(
                "route",
                f"{UNSUPPORTED}: {len(targets)} destinations (traffic splitting); give exactly one",
            )
        return None
    value, path = targets[0]
    target = Fields(value, path, route.problems)
    weight = target.integer("weight", maximum=100)
    if weight is not None and weight != 100:
        target.problem(
            "weight", f"{UNSUPPORTED}: weight {weight} (traffic splitting); use 100 or leave it out"
        )
    destination = target.mapping("destination", required=True)
    target.finish({"headers": "requests are forwarded with their headers unchanged"})
    if destination is None:
        return None
    host_value = destination.raw("host")
    host = (
        read_host(host_value, f"{destination.path}.host", route.problems)
        if host_value is not None
        else None
    )
    if host_value is None:
        destination.problem("host", "is required")
    port = destination.mapping("port")
    if port is not None:
        # The k8s Service port (8080 in the project's files); locally, MESH_UPSTREAMS
        # says where the host is, whatever the port.
        port.integer("number", minimum=1, maximum=65535, required=True)
        port.finish()
    destination.finish({"subset": "subsets need several versions of a service; each host has one"})
    return host


def _read_retries(retries: Fields) -> RetryPolicy | None:
    attempts = retries.integer("attempts", maximum=2**31 - 1)
    per_try_timeout_s = retries.duration("perTryTimeout")
    retry_on_text = retries.raw("retryOn")
    retries.finish(
        {
            "backoff": "retries back off as Envoy's default does (25 ms base, capped at 250 ms)",
            "retryRemoteLocalities": "there is one locality",
            "retryIgnorePreviousHosts": "each host has one endpoint",
        }
    )
    if not attempts:
        # Istio's validation refuses a retry policy on a route whose retries are off.
        if per_try_timeout_s is not None or retry_on_text is not None:
            retries.problem(
                None,
                "sets a retry policy while attempts is 0 (retries off); Istio refuses that too",
            )
        return RetryPolicy(0, frozenset(), frozenset(), None)
    if retry_on_text is None:
        return RetryPolicy(
            attempts,
            ISTIO_DEFAULT_RETRY.retry_on,
            ISTIO_DEFAULT_RETRY.retriable_status_codes,
            per_try_timeout_s,
        )
    parsed = _read_retry_on(retry_on_text, retries)
    if parsed is None:
        return None
    retry_on, codes = parsed
    return RetryPolicy(attempts, retry_on, codes, per_try_timeout_s)


def _read_retry_on(text: Any, retries: Fields) -> tuple[frozenset[str], frozenset[int]] | None:
    if not isinstance(text, str) or not text.strip():
        retries.problem("retryOn", f"must be a comma-separated list of conditions, got {text!r}")
        return None
    conditions: set[str] = set()
    codes: set[int] = set()
    for token in (part.strip() for part in text.split(",")):
        if not token:
            continue
        if token.isdecimal() and int(token) in _KNOWN_STATUS_CODES:
            codes.add(int(token))
        elif token in HTTP_RETRY_CONDITIONS or token in GRPC_RETRY_CONDITIONS:
            conditions.add(token)
        elif token in _UNSUPPORTED_RETRY_CONDITIONS:
            retries.problem("retryOn", f"condition {token!r} {UNSUPPORTED}")
            return None
        else:
            retries.problem("retryOn", f"condition {token!r} is not a valid retryOn policy")
            return None
    if codes:
        # As Istio does: status codes in retryOn imply the retriable-status-codes condition.
        conditions.add("retriable-status-codes")
    elif "retriable-status-codes" in conditions:
        retries.problem(
            "retryOn",
            "lists retriable-status-codes without any status code, which in Istio retries on "
            "nothing; add the codes to the list, e.g. retriable-status-codes,503",
        )
        return None
    return frozenset(conditions), frozenset(codes)


def _read_fault(fault: Fields) -> FaultPolicy | None:
    delay_s = abort_status = None
    delay_percent = abort_percent = 0.0
    delay = fault.mapping("delay")
    if delay is not None:
        delay_s = delay.duration("fixedDelay", required=True)
        delay_percent = _read_percentage(delay)
        delay.finish(
            {"exponentialDelay": "only fixedDelay is supported", "percent": "use percentage.value"}
        )
    abort = fault.mapping("abort")
    if abort is not None:
        abort_status = abort.integer("httpStatus", minimum=200, maximum=599, required=True)
        abort_percent = _read_percentage(abort)
        abort.finish(
            {
                "grpcStatus": "only httpStatus aborts are supported",
                "http2Error": "only httpStatus aborts are supported",
                "percent": "use percentage.value",
            }
        )
    fault.finish()
    if delay is None and abort is None:
        fault.problem(None, "must have a delay or an abort")
        return None
    return FaultPolicy(delay_s, delay_percent, abort_status, abort_percent)


def _read_percentage(owner: Fields) -> float:
    # Required here: Istio's default when it is left out differs between delay and
    # abort and between versions, and a fault that silently never fires misleads.
    percentage = owner.mapping("percentage", required=True)
    if percentage is None:
        return 0.0
    value = percentage.number("value", 0.0, 100.0)
    percentage.finish()
    return value or 0.0
