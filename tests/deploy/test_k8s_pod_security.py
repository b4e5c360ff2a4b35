"""Every pod runs as a fixed non-root user with nothing it does not need, and every
container says how much CPU and memory it asks for and may use; the README states the
memory the whole cluster requests, and that figure is the manifests' own."""

from __future__ import annotations

import re

import yaml

from tests.deploy.k8s_manifests import (
    ISTIO_INSTALL,
    ROOT,
    label,
    memory_mib,
    needs_kubectl,
    pod_spec,
    workloads,
)

pytestmark = needs_kubectl


def _containers():
    return [
        (f"{label(w)} {c['name']}", w, c)
        for w in workloads()
        for c in pod_spec(w).get("initContainers", []) + pod_spec(w)["containers"]
    ]


def test_every_pod_runs_as_a_fixed_non_root_user_with_the_runtime_default_seccomp_profile():
    for workload in workloads():
        context = pod_spec(workload)["securityContext"]
        assert context["runAsNonRoot"] is True, label(workload)
        assert context["runAsUser"] > 0, label(workload)
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}, label(workload)


def test_every_container_drops_all_capabilities_and_cannot_escalate():
    for name, _, container in _containers():
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False, name
        assert context["capabilities"] == {"drop": ["ALL"]}, name
        assert context.get("privileged", False) is False, name


def test_pods_with_a_persistent_volume_set_fs_group_to_their_user():
    for workload in workloads():
        if workload["spec"].get("volumeClaimTemplates"):
            context = pod_spec(workload)["securityContext"]
            assert context["fsGroup"] == context["runAsUser"], label(workload)


def test_no_pod_shares_the_hosts_namespaces_or_mounts_a_host_path():
    for workload in workloads():
        spec = pod_spec(workload)
        assert not any(spec.get(k) for k in ("hostNetwork", "hostPID", "hostIPC")), label(workload)
        assert all("hostPath" not in v for v in spec.get("volumes", [])), label(workload)


def test_every_container_has_cpu_and_memory_requests_and_limits_and_requests_fit_the_limits():
    for name, _, container in _containers():
        resources = container["resources"]
        for kind in ("cpu", "memory"):
            assert kind in resources["requests"] and kind in resources["limits"], name
        requested = memory_mib(resources["requests"]["memory"])
        assert requested <= memory_mib(resources["limits"]["memory"]), name


def _running_memory_mib() -> float:
    """What the workloads that keep running request (the topic Job ends)."""
    return sum(
        memory_mib(c["resources"]["requests"]["memory"]) * w["spec"].get("replicas", 1)
        for _, w, c in _containers()
        if w["kind"] != "Job"
    )


def _istio_memory_mib() -> float:
    """istiod, the ingress gateway, and one sidecar per injected pod (the five services)."""
    spec = yaml.safe_load(ISTIO_INSTALL.read_text())["spec"]
    pilot = spec["components"]["pilot"]["k8s"]["resources"]["requests"]["memory"]
    (gateway,) = spec["components"]["ingressGateways"]
    sidecar = spec["values"]["global"]["proxy"]["resources"]["requests"]["memory"]
    return (
        memory_mib(pilot)
        + memory_mib(gateway["k8s"]["resources"]["requests"]["memory"])
        + 5 * memory_mib(sidecar)
    )


def test_the_readme_states_the_memory_the_manifests_and_istio_request():
    readme = (ROOT / "README.md").read_text()
    stated = re.search(r"request\s+(\d+)\s+MiB\s+of\s+memory;\s+Istio\s+adds\s+(\d+)\s+MiB", readme)

    assert stated, "the README's kind section states the requested memory"
    assert (int(stated.group(1)), int(stated.group(2))) == (
        round(_running_memory_mib()),
        round(_istio_memory_mib()),
    )
