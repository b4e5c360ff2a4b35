"""The k8s/ manifests as `kubectl kustomize k8s` renders them, and readers the k8s tests share.

Rendering needs kubectl (it works offline); the tests that use it skip, with the reason,
where kubectl is not installed. Values come from the rendered objects themselves: an
environment variable built from a Secret is resolved through that Secret, so a test sees
what the container would see.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from shopdemo.units import VARIANTS, Unit

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "k8s"
KIND_UP = K8S / "kind-up.sh"
KIND_DOWN = K8S / "kind-down.sh"
KIND_CLUSTER = K8S / "kind-cluster.yaml"
ISTIO_INSTALL = K8S / "istio-install.yaml"

NAMESPACES = {
    "monolith": "shop-monolith",
    "distributed": "shop-distributed",
    "event_driven": "shop-event-driven",
}
# Real Istio replaces the local mesh proxy on kind: that unit has no workload there.
MESH_UNIT = "mesh"
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "Job")

needs_kubectl = pytest.mark.skipif(
    shutil.which("kubectl") is None,
    reason="kubectl is not installed: `kubectl kustomize k8s` renders the manifests checked here",
)


@functools.cache
def rendered() -> tuple[dict[str, Any], ...]:
    kubectl = shutil.which("kubectl")
    assert kubectl is not None, "rendered() needs kubectl; mark the test with needs_kubectl"
    result = subprocess.run(
        [kubectl, "kustomize", str(K8S)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, f"kubectl kustomize k8s failed:\n{result.stderr}"
    return tuple(document for document in yaml.safe_load_all(result.stdout) if document)


def objects(kind: str, namespace: str | None = None) -> list[dict[str, Any]]:
    return [
        o
        for o in rendered()
        if o["kind"] == kind and (namespace is None or o["metadata"].get("namespace") == namespace)
    ]


def find(kind: str, namespace: str, name: str) -> dict[str, Any] | None:
    matches = [o for o in objects(kind, namespace) if o["metadata"]["name"] == name]
    assert len(matches) <= 1, f"{kind} {namespace}/{name} is rendered {len(matches)} times"
    return matches[0] if matches else None


def workloads() -> list[dict[str, Any]]:
    return [o for o in rendered() if o["kind"] in WORKLOAD_KINDS]


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    return workload["spec"]["template"]["spec"]


def label(workload: dict[str, Any]) -> str:
    meta = workload["metadata"]
    return f"{workload['kind']} {meta.get('namespace')}/{meta['name']}"


def variant_of(unit: Unit) -> str:
    return next(name for name, variant in VARIANTS.items() if unit in variant.units)


def deployment_for(unit: Unit) -> dict[str, Any] | None:
    """The unit's Deployment: in its variant's namespace, named by the last part of its module
    (`distributed.order` -> order in shop-distributed)."""
    return find("Deployment", NAMESPACES[variant_of(unit)], unit.module.rsplit(".", 1)[-1])


def app_container(deployment: dict[str, Any]) -> dict[str, Any]:
    containers = pod_spec(deployment)["containers"]
    assert len(containers) == 1, f"{label(deployment)}: one container expected"
    return containers[0]


def container_env(container: dict[str, Any], namespace: str) -> dict[str, str]:
    """Each variable as the container sees it: Secret references looked up in the rendered
    Secrets, `$(NAME)` expanded from earlier variables, as the kubelet does."""
    resolved: dict[str, str] = {}
    for entry in container.get("env", []):
        if "value" in entry:
            value = re.sub(
                r"\$\((\w+)\)",
                lambda m: resolved.get(m.group(1), m.group(0)),
                str(entry["value"]),
            )
        else:
            value = _secret_value(entry["valueFrom"]["secretKeyRef"], namespace)
        resolved[entry["name"]] = value
    return resolved


def _secret_value(reference: dict[str, str], namespace: str) -> str:
    secret = find("Secret", namespace, reference["name"])
    assert secret is not None, f"Secret {namespace}/{reference['name']} is not rendered"
    data = secret.get("stringData", {})
    assert reference["key"] in data, (
        f"Secret {namespace}/{reference['name']}: no {reference['key']}"
    )
    return str(data[reference["key"]])


def service_ports(service: dict[str, Any]) -> list[dict[str, Any]]:
    return service["spec"]["ports"]


def selects(service: dict[str, Any], workload: dict[str, Any]) -> bool:
    selector = service["spec"].get("selector", {})
    pod_labels = workload["spec"]["template"]["metadata"].get("labels", {})
    return bool(selector) and all(pod_labels.get(k) == v for k, v in selector.items())


def script_setting(name: str, script: Path = KIND_UP) -> str:
    """A setting of a kind script: `NAME="value"` or `NAME="${NAME:-value}"` (the default)."""
    match = re.search(rf'^{name}="(?:\$\{{{name}:-)?([^"}}]+)}}?"$', script.read_text(), re.M)
    assert match, f"{script.name} sets no {name}"
    return match.group(1)


def kubernetes_version() -> str:
    """The Kubernetes version of kind-up.sh's node image (`kindest/node:v1.33.1` -> 1.33.1):
    the version the manifests are validated against."""
    tag = script_setting("KIND_NODE_IMAGE").rsplit(":v", 1)[-1]
    assert re.fullmatch(r"\d+\.\d+\.\d+", tag), f"unexpected node image tag {tag!r}"
    return tag


def memory_mib(quantity: str) -> float:
    units = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024}
    for suffix, factor in units.items():
        if quantity.endswith(suffix):
            return float(quantity[: -len(suffix)]) * factor
    return int(quantity) / 2**20
