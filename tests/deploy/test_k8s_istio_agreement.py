"""k8s/ agrees with istio/: what the mesh policy names exists on the cluster.

istio/ is the one source of truth for the mesh; these tests check the manifests
against it, never the other way round.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.deploy.k8s_manifests import (
    ISTIO_INSTALL,
    NAMESPACES,
    ROOT,
    find,
    needs_kubectl,
    objects,
    selects,
    service_ports,
)

pytestmark = needs_kubectl

ISTIO = ROOT / "istio"
MESH_NAMESPACE = NAMESPACES["distributed"]


def _documents(paths) -> list[tuple[Path, dict]]:
    return [(p, d) for p in paths for d in yaml.safe_load_all(p.read_text()) if d]


def _host_ports() -> set[tuple[str, int, str]]:
    """(host, port, file) for every host a top-level or scenario file routes to; a
    VirtualService's own `hosts` use the port of its routes' destinations."""
    found = set()
    for path, doc in _documents(sorted(ISTIO.glob("*.yaml")) + sorted(ISTIO.glob("scenarios/*"))):
        spec = doc["spec"]
        if doc["kind"] == "VirtualService":
            destinations = [
                route["destination"] for http in spec["http"] for route in http["route"]
            ]
            for destination in destinations:
                found.add((destination["host"], destination["port"]["number"], path.name))
            for host in spec["hosts"]:
                for destination in destinations:
                    found.add((host, destination["port"]["number"], path.name))
        elif doc["kind"] == "DestinationRule":
            found.add((spec["host"], 8080, path.name))
    return found


def _principals() -> set[str]:
    return {
        principal
        for _, doc in _documents(sorted(ISTIO.glob("kind/authorization-policy-*.yaml")))
        for rule in doc["spec"]["rules"]
        for source in rule["from"]
        for principal in source["source"]["principals"]
    }


def test_istio_names_the_five_hosts_of_the_distributed_variant():
    hosts = {host for host, _, _ in _host_ports()}

    assert hosts == {"order", "inventory", "payment", "fulfillment", "notification"}


@pytest.mark.parametrize("host, port, source", sorted(_host_ports()))
def test_every_istio_host_is_a_service_in_shop_distributed_with_the_port_istio_uses(
    host, port, source
):
    service = find("Service", MESH_NAMESPACE, host)

    assert service is not None, f"{source} names {host}, which is no Service in {MESH_NAMESPACE}"
    assert port in [p["port"] for p in service_ports(service)]


def test_every_distributed_service_port_is_named_http_with_app_protocol_http():
    for service in objects("Service", MESH_NAMESPACE):
        if service["metadata"]["name"].startswith("postgres-"):
            continue
        for port in service_ports(service):
            assert (port["name"], port["appProtocol"]) == ("http", "http"), service["metadata"]


@pytest.mark.parametrize("principal", sorted(_principals()))
def test_every_principal_in_istio_kind_is_a_service_account_that_exists(principal):
    _, namespace, _, account = principal.removeprefix("cluster.local/").split("/")

    if namespace == "istio-system":
        # The ingress gateway's, created by istioctl from k8s/istio-install.yaml: its
        # account is the gateway's name with -service-account.
        operator = yaml.safe_load(ISTIO_INSTALL.read_text())
        gateways = operator["spec"]["components"]["ingressGateways"]
        assert account in {f"{g['name']}-service-account" for g in gateways if g["enabled"]}
    else:
        assert find("ServiceAccount", namespace, account) is not None, principal


def test_the_order_service_runs_as_the_service_account_the_policies_admit():
    deployment = find("Deployment", MESH_NAMESPACE, "order")

    assert "cluster.local/ns/shop-distributed/sa/order" in _principals()
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == "order"


@pytest.mark.parametrize("path", sorted(ISTIO.glob("kind/authorization-policy-*.yaml")))
def test_every_authorization_policy_selects_exactly_the_one_service_it_is_named_for(path):
    policy = yaml.safe_load(path.read_text())
    wanted = policy["spec"]["selector"]["matchLabels"]
    matching = [
        w
        for w in objects("Deployment", MESH_NAMESPACE) + objects("StatefulSet", MESH_NAMESPACE)
        if all(w["spec"]["template"]["metadata"]["labels"].get(k) == v for k, v in wanted.items())
    ]

    assert [w["metadata"]["name"] for w in matching] == [policy["metadata"]["name"]]


def test_every_distributed_service_selects_its_own_deployment():
    for service in objects("Service", MESH_NAMESPACE):
        selected = [
            w
            for w in objects("Deployment", MESH_NAMESPACE) + objects("StatefulSet", MESH_NAMESPACE)
            if selects(service, w)
        ]
        assert [w["metadata"]["name"] for w in selected] == [service["metadata"]["name"]]


def test_the_gateway_route_to_order_is_the_same_as_istios_order_route():
    ingress = find("VirtualService", MESH_NAMESPACE, "order-ingress")
    mesh = yaml.safe_load((ISTIO / "virtual-service-order.yaml").read_text())

    assert ingress["spec"]["gateways"] == ["shop"]
    assert ingress["spec"]["http"] == mesh["spec"]["http"]


def test_the_gateway_selects_the_ingress_gateway_that_istio_install_creates():
    gateway = find("Gateway", MESH_NAMESPACE, "shop")

    # istioctl labels the pods of the gateway named istio-ingressgateway istio=ingressgateway.
    assert gateway["spec"]["selector"] == {"istio": "ingressgateway"}
    assert [s["port"]["protocol"] for s in gateway["spec"]["servers"]] == ["HTTP"]
