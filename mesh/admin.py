"""The admin API on PORT: health, metrics, the policy in force, and the counters.

PUT /admin/policies takes one resource as YAML and applies it like
`kubectl apply` (replace the resource of the same kind and name, or add it),
after the same checks as at start; a refused resource changes nothing.
POST /admin/policies/reset returns to the start-up state: the files of
MESH_POLICY_DIR, and no host ejected.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from mesh.http_server import IncomingRequest, OutgoingResponse
from mesh.policy_fields import PolicyError
from mesh.policy_loader import load_resource, summary
from mesh.policy_set import canonical_kind
from mesh.proxy import MeshProxy

_JSON = (("content-type", "application/json"),)
_PROMETHEUS = (("content-type", "text/plain; version=0.0.4; charset=utf-8"),)


def _json(status: int, body: Any) -> OutgoingResponse:
    return OutgoingResponse(status, _JSON, json.dumps(body).encode())


def _error(status: int, detail: str, code: str, **extra: Any) -> OutgoingResponse:
    return _json(status, {"detail": detail, "code": code, **extra})


class AdminApi:
    def __init__(self, proxy: MeshProxy):
        self._proxy = proxy

    async def __call__(self, request: IncomingRequest) -> OutgoingResponse:
        url = urlsplit(request.target)
        parts = [unquote(part) for part in url.path.strip("/").split("/")]
        method = request.method
        route = (method, *parts)
        if route == ("GET", "healthz"):
            return _json(200, {"status": "ok"})
        if route == ("GET", "readyz"):
            ready = self._proxy.ready
            return _json(200 if ready else 503, {"status": "ready" if ready else "starting"})
        if route == ("GET", "metrics"):
            return OutgoingResponse(
                200, _PROMETHEUS, self._proxy.counters.prometheus_text().encode()
            )
        if parts[:2] == ["admin", "policies"]:
            return self._policies(method, parts[2:], request, parse_qs(url.query))
        if parts == ["admin", "counters"] and method == "GET":
            return _json(200, self._proxy.counters.as_json())
        if parts == ["admin", "counters", "reset"] and method == "POST":
            self._proxy.counters.reset()
            return _json(200, {"status": "reset"})
        return _error(404, f"no admin route {method} {url.path}", "not_found")

    def _policies(
        self, method: str, rest: list[str], request: IncomingRequest, query: dict[str, list[str]]
    ) -> OutgoingResponse:
        proxy = self._proxy
        if not rest and method == "GET":
            return _json(200, proxy.policies.describe())
        if not rest and method == "PUT":
            source = query.get("source", ["PUT /admin/policies"])[0]
            try:
                text = request.body.decode("utf-8")
                resource = load_resource(text, source)
                policies, action = proxy.policies.applying(resource)
            except UnicodeDecodeError:
                return _error(422, "the body must be YAML in UTF-8", "invalid_policy")
            except PolicyError as error:
                return _error(422, str(error), "invalid_policy", problems=error.messages)
            proxy.install(policies)
            return _json(200, {"action": action, "resource": summary(resource)})
        if rest == ["reset"] and method == "POST":
            try:
                policies = proxy.reset()
            except PolicyError as error:
                return _error(422, str(error), "invalid_policy", problems=error.messages)
            return _json(200, {"action": "reset", "policies": policies.describe()})
        if len(rest) == 2 and method == "DELETE":
            kind = canonical_kind(rest[0])
            if kind is None:
                return _error(
                    404,
                    f"unknown kind {rest[0]!r} (VirtualService or DestinationRule)",
                    "not_found",
                )
            try:
                policies = proxy.policies.without(kind, rest[1])
            except KeyError:
                return _error(404, f"no {kind} named {rest[1]!r} is applied", "not_found")
            proxy.install(policies)
            return _json(200, {"action": "deleted", "kind": kind, "name": rest[1]})
        return _error(405, f"{method} is not allowed here", "method_not_allowed")
