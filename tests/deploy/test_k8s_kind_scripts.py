"""The kind cluster config and scripts: host ports 8001-8003 lead to the three ways in,
and the scripts parse (they need kind, Istio and a container engine to run, which a test
machine may lack, so they are checked, not run)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from tests.deploy.k8s_manifests import (
    ISTIO_INSTALL,
    KIND_CLUSTER,
    KIND_DOWN,
    KIND_UP,
    NAMESPACES,
    needs_kubectl,
    objects,
    service_ports,
)

SCRIPTS = [KIND_UP, KIND_DOWN]
# The README's curl commands use these host ports, as `shopdemo up` does locally.
HOST_PORTS = {"monolith": 8001, "distributed": 8002, "event_driven": 8003}


def _host_to_node_ports() -> dict[int, int]:
    cluster = yaml.safe_load(KIND_CLUSTER.read_text())
    (node,) = cluster["nodes"]
    return {m["hostPort"]: m["containerPort"] for m in node["extraPortMappings"]}


def _gateway_http_node_port() -> int:
    spec = yaml.safe_load(ISTIO_INSTALL.read_text())["spec"]
    (gateway,) = spec["components"]["ingressGateways"]
    (http,) = [p for p in gateway["k8s"]["service"]["ports"] if p["port"] == 80]
    return http["nodePort"]


def test_the_kind_config_maps_exactly_the_three_variant_ports_on_loopback():
    cluster = yaml.safe_load(KIND_CLUSTER.read_text())
    mappings = cluster["nodes"][0]["extraPortMappings"]

    assert sorted(_host_to_node_ports()) == sorted(HOST_PORTS.values())
    assert {m["listenAddress"] for m in mappings} == {"127.0.0.1"}


@needs_kubectl
@pytest.mark.parametrize("variant", ["monolith", "event_driven"])
def test_host_ports_8001_and_8003_reach_the_public_order_services(variant):
    node_port = _host_to_node_ports()[HOST_PORTS[variant]]
    exposed = [
        (s["metadata"]["name"], p["targetPort"])
        for s in objects("Service", NAMESPACES[variant])
        for p in service_ports(s)
        if p.get("nodePort") == node_port
    ]

    assert exposed == [("monolith" if variant == "monolith" else "order", 8080)]


def test_host_port_8002_reaches_the_istio_ingress_gateway():
    assert _host_to_node_ports()[HOST_PORTS["distributed"]] == _gateway_http_node_port()


@needs_kubectl
def test_the_distributed_variant_has_no_node_port_of_its_own():
    # Its way in is the gateway: istio/kind/ admits only the gateway's identity at order.
    node_ports = [
        p for s in objects("Service", NAMESPACES["distributed"]) for p in service_ports(s)
    ]

    assert all("nodePort" not in p for p in node_ports)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_the_kind_script_is_valid_bash_with_strict_mode(script):
    result = subprocess.run(
        ["bash", "-n", str(script)], capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stderr
    assert "set -euo pipefail" in script.read_text()


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_the_kind_script_passes_shellcheck(script):
    result = subprocess.run(
        ["shellcheck", str(script)], capture_output=True, text=True, timeout=60, check=False
    )

    assert result.returncode == 0, result.stdout


def test_kind_up_checks_every_tool_it_uses_before_it_starts():
    text = KIND_UP.read_text()

    assert "for tool in kind kubectl istioctl; do" in text
    assert "docker or podman" in text


def test_kind_up_creates_the_cluster_from_the_config_and_installs_istio_from_its_file():
    text = KIND_UP.read_text()

    assert '--config "$ROOT/k8s/kind-cluster.yaml"' in text
    assert '-f "$ROOT/k8s/istio-install.yaml"' in text
    assert 'apply -k "$ROOT/k8s"' in text
    assert '-f "$ROOT/istio/"' in text and '-f "$ROOT/istio/kind/"' in text
