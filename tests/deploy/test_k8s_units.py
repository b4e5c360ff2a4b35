"""Each unit's Deployment runs that unit, with every variable it reads, on one port, from
the one image kind-up.sh builds, and its database and Kafka addresses name Services that
exist beside it."""

from __future__ import annotations

import importlib.util
import re
from urllib.parse import urlsplit

import pytest

from tests.deploy.k8s_manifests import (
    MESH_UNIT,
    NAMESPACES,
    ROOT,
    app_container,
    container_env,
    deployment_for,
    find,
    label,
    needs_kubectl,
    objects,
    pod_spec,
    script_setting,
    selects,
    service_ports,
    variant_of,
    workloads,
)
from tests.deploy.unit_environment import all_units, variables_read

pytestmark = needs_kubectl

# all_units() leaves out the workshop console: it runs under `shopdemo up` and in compose, not
# on kind (README, "Not built yet").
KIND_UNITS = [unit for unit in all_units() if unit.name != MESH_UNIT]
by_name = pytest.mark.parametrize("unit", KIND_UNITS, ids=lambda unit: unit.name)


def _namespace(unit) -> str:
    return NAMESPACES[variant_of(unit)]


def _env(unit) -> dict[str, str]:
    return container_env(app_container(deployment_for(unit)), _namespace(unit))


def _service_for(namespace: str, host: str, port: int) -> dict:
    service = find("Service", namespace, host)
    assert service is not None, f"no Service {host} in {namespace}"
    assert port in [p["port"] for p in service_ports(service)], f"{host} has no port {port}"
    return service


def test_the_mesh_proxy_has_no_workload_on_kind_because_real_istio_replaces_it():
    # Exempt from the checks below: its variables (MESH_LISTENERS, ...) wire the local
    # proxy, which Istio's sidecars replace on a cluster.
    assert all(w["metadata"]["name"] != MESH_UNIT for w in workloads())


def test_every_deployment_belongs_to_a_unit():
    expected = {(_namespace(u), u.module.rsplit(".", 1)[-1]) for u in KIND_UNITS}
    rendered = {(d["metadata"]["namespace"], d["metadata"]["name"]) for d in objects("Deployment")}

    assert rendered == expected


@by_name
def test_the_container_command_starts_the_unit(unit):
    assert app_container(deployment_for(unit))["command"] == ["python", "-m", unit.module]


@by_name
def test_every_variable_the_unit_reads_is_set_in_its_deployment(unit):
    env = _env(unit)

    assert variables_read(unit) - set(env) == set()
    assert all(env[name] != "" for name in variables_read(unit))


@by_name
def test_port_env_container_port_probe_ports_and_service_target_port_agree(unit):
    deployment = deployment_for(unit)
    container = app_container(deployment)
    service = find("Service", _namespace(unit), deployment["metadata"]["name"])
    port = int(_env(unit)["PORT"])

    assert _env(unit)["HOST"] == "0.0.0.0"
    assert port == 8080
    assert [p["containerPort"] for p in container["ports"]] == [port]
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": port}
    assert service is not None and selects(service, deployment)
    assert [(p["name"], p["port"], p["targetPort"]) for p in service_ports(service)] == [
        ("http", 8080, port)
    ]


def test_every_app_container_runs_the_one_image_that_kind_up_builds_and_never_pulls_it():
    image = script_setting("IMAGE")
    apps = [
        (label(w), c) for w in workloads() for c in pod_spec(w)["containers"] if c["name"] == "app"
    ]

    assert len(apps) == len(KIND_UNITS) + 1  # and the Job that creates the Kafka topics
    assert {c["image"] for _, c in apps} == {image}
    assert {c["imagePullPolicy"] for _, c in apps} == {"Never"}


@by_name
def test_the_database_url_points_at_a_postgresql_service_in_the_same_namespace(unit):
    url = urlsplit(_env(unit)["DATABASE_URL"])
    namespace = _namespace(unit)
    service = _service_for(namespace, url.hostname, url.port)
    servers = [s for s in objects("StatefulSet", namespace) if selects(service, s)]

    assert url.scheme == "postgresql+psycopg"
    assert len(servers) == 1
    server = pod_spec(servers[0])["containers"][0]
    assert server["image"] == "postgres:18"
    # The server creates the database and role at its first start from its Secret: the
    # URL must name what that Secret creates.
    (secret_ref,) = server["envFrom"]
    secret = find("Secret", namespace, secret_ref["secretRef"]["name"])["stringData"]
    assert (url.username, url.password, url.path) == (
        secret["POSTGRES_USER"],
        secret["POSTGRES_PASSWORD"],
        "/" + secret["POSTGRES_DB"],
    )
    assert url.username == unit.database  # the database and role names used locally too


@pytest.mark.parametrize("variant", ["distributed", "event_driven"])
def test_each_service_of_a_split_variant_has_a_database_server_of_its_own(variant):
    units = [u for u in KIND_UNITS if variant_of(u) == variant]
    hosts = {urlsplit(_env(u)["DATABASE_URL"]).hostname for u in units}

    assert len(hosts) == len(units) == 5


@pytest.mark.parametrize("unit", [u for u in KIND_UNITS if u.needs_kafka], ids=lambda u: u.name)
def test_kafka_bootstrap_servers_point_at_the_kafka_service_in_the_same_namespace(unit):
    namespace = _namespace(unit)
    for address in _env(unit)["KAFKA_BOOTSTRAP_SERVERS"].split(","):
        host, port = address.rsplit(":", 1)
        service = _service_for(namespace, host, int(port))
        brokers = [s for s in objects("StatefulSet", namespace) if selects(service, s)]
        assert [b["spec"]["template"]["spec"]["containers"][0]["image"] for b in brokers] == [
            "apache/kafka:4.4.0"
        ]


def test_the_distributed_order_service_calls_its_peers_through_their_services():
    order = next(u for u in KIND_UNITS if u.name == "distributed-order")
    env = _env(order)

    for peer in ("inventory", "payment", "fulfillment", "notification"):
        url = urlsplit(env[f"{peer.upper()}_URL"])
        assert (url.scheme, url.hostname) == ("http", peer)
        _service_for(NAMESPACES["distributed"], url.hostname, url.port)


def test_the_topic_job_reaches_the_same_kafka_as_the_services():
    job = find("Job", NAMESPACES["event_driven"], "kafka-topics")
    env = container_env(pod_spec(job)["containers"][0], NAMESPACES["event_driven"])

    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"


def test_every_workload_command_names_a_module_of_the_repository():
    for workload in workloads():
        for container in pod_spec(workload)["containers"]:
            if container["name"] != "app":
                continue
            python, flag, module = container["command"]
            assert (python, flag) == ("python", "-m"), label(workload)
            assert importlib.util.find_spec(module) is not None, f"{label(workload)}: {module}"


def test_the_pods_run_as_the_user_the_dockerfile_creates():
    dockerfile = ROOT / "Dockerfile"
    if not dockerfile.is_file():
        pytest.skip("no Dockerfile yet: the image's user cannot be compared")
    uid = int(re.search(r"--uid (\d+)", dockerfile.read_text()).group(1))
    app_pods = [w for w in workloads() if pod_spec(w)["containers"][0]["name"] == "app"]

    assert {pod_spec(w)["securityContext"]["runAsUser"] for w in app_pods} == {uid}
