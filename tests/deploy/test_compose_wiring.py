"""docker-compose.yml agrees with the units it runs: their variables, ports, mesh and image."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mesh.policy_model import short_host
from shopdemo.units import MESH_HOSTS, VARIANTS, Unit
from tests.deploy.compose_file import (
    CONTAINER_PORT,
    PORT_BASE,
    ROOT,
    environment,
    healthcheck_port,
    mapping_entries,
    published,
    service_for,
    services,
)
from tests.deploy.unit_environment import (
    LAUNCHER_ONLY,
    all_units,
    console_unit,
    variables_read,
)

# Compose runs the workshop console too (k8s does not; see test_k8s_units.py).
UNITS = [*all_units(), console_unit()]


def _ids(unit: Unit) -> str:
    return unit.name


@pytest.mark.parametrize("unit", UNITS, ids=_ids)
def test_every_variable_the_unit_reads_is_set_in_its_compose_service(unit):
    settings = environment(service_for(unit))
    wanted = {name for name in variables_read(unit) if not name.startswith(LAUNCHER_ONLY)}
    missing = sorted(wanted - set(settings))
    assert not missing, f"{unit.name} reads {missing}, which its compose service does not set"
    # Only `shopdemo up` can kill and restart units; in compose the console says so.
    assert not [name for name in settings if name.startswith(LAUNCHER_ONLY)]


@pytest.mark.parametrize("unit", UNITS, ids=_ids)
def test_the_unit_listens_where_its_healthcheck_asks_and_its_port_is_published(unit):
    service = service_for(unit)
    port = int(environment(service)["PORT"])
    assert port == CONTAINER_PORT
    assert environment(service)["HOST"] == "0.0.0.0"
    assert healthcheck_port(service) == port
    # On the host, at the local launcher's default port, so the README's commands work as is.
    assert published(service).get(PORT_BASE + unit.port_offset) == port


@pytest.mark.parametrize("unit", UNITS, ids=_ids)
def test_the_unit_runs_its_own_module(unit):
    assert service_for(unit)["command"] == ["python", "-m", unit.module]


def test_each_variant_answers_on_the_host_at_the_local_launchers_public_port():
    public = {}
    for service in services().values():
        public.update(published(service))
    assert {name: PORT_BASE + v.public_offset for name, v in VARIANTS.items()} == {
        "monolith": 8001,
        "distributed": 8002,
        "event_driven": 8003,
    }
    for variant in VARIANTS.values():
        assert PORT_BASE + variant.public_offset in public, variant.name


def _istio_hosts() -> set[str]:
    hosts = set()
    for path in sorted((ROOT / "istio").glob("*.yaml")):
        spec = yaml.safe_load(path.read_text())["spec"]
        hosts.update(spec.get("hosts", []))
        if "host" in spec:
            hosts.add(spec["host"])
    return {short_host(host) for host in hosts}


def _mesh() -> dict[str, str]:
    return environment(services()["mesh"])


def test_the_mesh_listens_for_every_istio_host_on_the_local_launchers_ports():
    listeners = mapping_entries(_mesh()["MESH_LISTENERS"])
    assert set(listeners) == _istio_hosts()
    expected = {host: str(PORT_BASE + listener) for host, (listener, _) in MESH_HOSTS.items()}
    assert listeners == expected
    # The distributed variant's public API is the mesh's order listener, published as is.
    order = int(listeners["order"])
    assert published(services()["mesh"])[order] == order


def test_the_mesh_forwards_every_istio_host_to_a_compose_service_on_its_port():
    upstreams = mapping_entries(_mesh()["MESH_UPSTREAMS"])
    assert set(upstreams) == _istio_hosts()
    for host, address in upstreams.items():
        name, _, port = address.rpartition(":")
        assert name == f"distributed-{host}", address
        assert int(environment(services()[name])["PORT"]) == int(port)


def test_the_mesh_reads_the_istio_folder_that_the_image_holds():
    assert _mesh()["MESH_POLICY_DIR"] == "/app/istio"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "WORKDIR /app" in dockerfile
    assert "COPY istio ./istio" in dockerfile


def test_the_distributed_order_service_calls_its_peers_through_the_mesh_listeners():
    listeners = mapping_entries(_mesh()["MESH_LISTENERS"])
    order = environment(services()["distributed-order"])
    for host in ("inventory", "payment", "fulfillment", "notification"):
        assert order[f"{host.upper()}_URL"] == f"http://mesh:{listeners[host]}"


def test_every_python_service_runs_the_one_image_the_dockerfile_builds():
    built = {name: s for name, s in services().items() if "build" in s}
    unit_names = {unit.name for unit in UNITS}
    assert unit_names <= set(built), "every unit's service builds the project image"
    assert {str(s["build"]) for s in built.values()} == {"."}
    assert len({s["image"] for s in built.values()}) == 1
    assert (ROOT / Path("Dockerfile")).is_file()
    assert (ROOT / ".dockerignore").is_file()


def test_kafka_is_the_version_the_maven_project_pins():
    from shopdemo.kafka import kafka_version

    assert services()["kafka"]["image"] == f"apache/kafka:{kafka_version()}"


def test_the_console_watches_every_variant_unit_and_database_where_compose_runs_them():
    console = environment(services()["console"])
    variants = mapping_entries(console["CONSOLE_VARIANTS"])
    listeners = mapping_entries(_mesh()["MESH_LISTENERS"])
    assert variants == {
        "monolith": "http://monolith:8080",
        "distributed": f"http://mesh:{listeners['order']}",
        "event_driven": "http://event-driven-order:8080",
    }
    units = mapping_entries(console["CONSOLE_UNITS"])
    assert units == {
        **{unit.name: f"http://{unit.name}:8080" for unit in all_units()},
        "mesh": "http://mesh:8080",
    }
    databases = mapping_entries(console["CONSOLE_DATABASE_URLS"])
    assert databases == {
        unit.database: environment(service_for(unit))["DATABASE_URL"]
        for unit in all_units()
        if unit.database is not None
    }
    assert console["CONSOLE_POLICY_DIR"] == "/app/istio"
    assert "COPY console ./console" in (ROOT / "Dockerfile").read_text()
