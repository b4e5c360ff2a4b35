"""The policy in force: every applied resource, checked together, indexed by host.

A PolicySet never changes; applying or deleting a resource builds a new one,
which the proxy swaps in at once. A request keeps the set it started with, so
a change applies to requests that arrive after it, as with Istio.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mesh.policy_fields import PolicyError
from mesh.policy_loader import summary
from mesh.policy_model import (
    DESTINATION_RULE,
    ISTIO_DEFAULT_RETRY,
    VIRTUAL_SERVICE,
    DestinationRule,
    HttpRoute,
    Resource,
    VirtualService,
)

# kubectl-style spellings accepted in DELETE /admin/policies/{kind}/{name}.
_KIND_SPELLINGS = {
    "virtualservice": VIRTUAL_SERVICE,
    "virtualservices": VIRTUAL_SERVICE,
    "vs": VIRTUAL_SERVICE,
    "destinationrule": DESTINATION_RULE,
    "destinationrules": DESTINATION_RULE,
    "dr": DESTINATION_RULE,
}


def canonical_kind(spelling: str) -> str | None:
    return _KIND_SPELLINGS.get(spelling.lower())


@dataclass(frozen=True)
class PolicySet:
    known_hosts: frozenset[str]
    resources: Mapping[tuple[str, str], Resource] = field(default_factory=dict)
    _services_by_host: Mapping[str, VirtualService] = field(default_factory=dict, repr=False)
    _rules_by_host: Mapping[str, DestinationRule] = field(default_factory=dict, repr=False)
    _default_routes: Mapping[str, HttpRoute] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, resources: Iterable[Resource], known_hosts: Iterable[str]) -> PolicySet:
        """Check the resources together (names, hosts); PolicyError names each conflict."""
        hosts = frozenset(known_hosts)
        by_key: dict[tuple[str, str], Resource] = {}
        messages: list[str] = []
        for resource in resources:
            key = (resource.kind, resource.name)
            if key in by_key:
                messages.append(
                    f"{resource.source}: {resource.kind} {resource.name!r} is also defined in "
                    f"{by_key[key].source}; names must be unique per kind"
                )
            by_key[key] = resource
        services: dict[str, VirtualService] = {}
        rules: dict[str, DestinationRule] = {}
        for resource in by_key.values():
            if isinstance(resource, VirtualService):
                messages += _check_service(resource, hosts, services)
            elif isinstance(resource, DestinationRule):
                messages += _check_rule(resource, hosts, rules)
        if messages:
            raise PolicyError(messages)
        defaults = {host: _istio_default_route(host) for host in hosts}
        return cls(hosts, by_key, services, rules, defaults)

    def applying(self, resource: Resource) -> tuple[PolicySet, str]:
        """This set with ``resource`` added or replacing its namesake, and kubectl's word for it."""
        key = (resource.kind, resource.name)
        action = "configured" if key in self.resources else "created"
        others = [r for k, r in self.resources.items() if k != key]
        return PolicySet.build([*others, resource], self.known_hosts), action

    def without(self, kind: str, name: str) -> PolicySet:
        if (kind, name) not in self.resources:
            raise KeyError((kind, name))
        remaining = [r for k, r in self.resources.items() if k != (kind, name)]
        return PolicySet.build(remaining, self.known_hosts)

    def virtual_service_for(self, host: str) -> VirtualService | None:
        return self._services_by_host.get(host)

    def destination_rule_for(self, host: str) -> DestinationRule | None:
        return self._rules_by_host.get(host)

    def route_for(self, host: str, method: str, path: str) -> HttpRoute | None:
        """The first route of the host's VirtualService that accepts the request.

        No VirtualService: Istio's default route to the host itself. A VirtualService
        none of whose routes match: None, which Envoy answers with 404.
        """
        service = self._services_by_host.get(host)
        if service is None:
            return self._default_routes.get(host)
        for route in service.routes:
            if route.accepts(method, path):
                return route
        return None

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {VIRTUAL_SERVICE: {}, DESTINATION_RULE: {}}
        for (kind, name), resource in sorted(self.resources.items()):
            described[kind][name] = summary(resource)
        return described


def _check_service(
    service: VirtualService, known: frozenset[str], taken: dict[str, VirtualService]
) -> list[str]:
    messages = []
    for index, host in enumerate(service.hosts):
        where = f"{service.source}: spec.hosts[{index}]"
        if host not in known:
            messages.append(f"{where} {host!r} is not a host the mesh knows ({_listing(known)})")
        elif host in taken:
            messages.append(
                f"{where} {host!r} is already routed by VirtualService {taken[host].name!r} "
                f"({taken[host].source}); Istio does not merge VirtualServices for sidecars"
            )
        else:
            taken[host] = service
    for index, route in enumerate(service.routes):
        if route.destination not in known:
            messages.append(
                f"{service.source}: spec.http[{index}].route[0].destination.host "
                f"{route.destination!r} has no upstream in MESH_UPSTREAMS ({_listing(known)})"
            )
    return messages


def _check_rule(
    rule: DestinationRule, known: frozenset[str], taken: dict[str, DestinationRule]
) -> list[str]:
    where = f"{rule.source}: spec.host"
    if rule.host not in known:
        return [f"{where} {rule.host!r} has no upstream in MESH_UPSTREAMS ({_listing(known)})"]
    if rule.host in taken:
        return [
            f"{where} {rule.host!r} already has DestinationRule {taken[rule.host].name!r} "
            f"({taken[rule.host].source}); give each host one rule"
        ]
    taken[rule.host] = rule
    return []


def _istio_default_route(host: str) -> HttpRoute:
    return HttpRoute(
        label=f"default/{host}",
        matches=(),
        destination=host,
        timeout_s=None,
        retry=ISTIO_DEFAULT_RETRY,
        fault=None,
    )


def _listing(hosts: frozenset[str]) -> str:
    return "known: " + ", ".join(sorted(hosts)) if hosts else "none configured"
