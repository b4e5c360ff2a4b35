"""What `shopdemo up` can start: each variant, its deployable units, and how they are wired.

A unit is one process with its own port and, if it keeps state, its own
database (and database role of the same name). The launcher passes it the
same environment variables that compose and k8s set; only the values differ.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Addresses:
    """Where things listen locally: every port is the base port plus a fixed offset."""

    host: str
    port_base: int
    project_root: Path

    def port(self, offset: int) -> int:
        return self.port_base + offset

    def url(self, offset: int) -> str:
        return f"http://{self.host}:{self.port(offset)}"


@dataclass(frozen=True)
class Unit:
    name: str  # process and log name, e.g. "monolith", "distributed-order", "mesh"
    module: str  # started as `python -m <module>`
    port_offset: int  # its own port (for the mesh: the admin port)
    database: str | None = None  # its database and its role share this name
    extra_env: Callable[[Addresses], dict[str, str]] = field(default=lambda _: {})
    needs_kafka: bool = False  # gets KAFKA_BOOTSTRAP_SERVERS; the launcher starts a broker
    payment_processor: bool = False  # serves /admin/payment-fault (shopdemo fault)


@dataclass(frozen=True)
class Variant:
    name: str
    units: tuple[Unit, ...]
    public_offset: int  # where its public API answers (for the distributed variant: the mesh)


# The distributed variant's Istio hosts: (mesh listener offset, service port offset).
# Service-to-service calls go to the listener; the mesh forwards them to the service.
MESH_HOSTS = {
    "order": (2, 120),
    "inventory": (111, 121),
    "payment": (112, 122),
    "fulfillment": (113, 123),
    "notification": (114, 124),
}
MESH_ADMIN_OFFSET = 100


def _order_peers(at: Addresses) -> dict[str, str]:
    return {
        f"{host.upper()}_URL": at.url(MESH_HOSTS[host][0])
        for host in ("inventory", "payment", "fulfillment", "notification")
    }


def _mesh_wiring(at: Addresses) -> dict[str, str]:
    return {
        "MESH_POLICY_DIR": str(at.project_root / "istio"),
        "MESH_LISTENERS": ",".join(
            f"{host}={at.port(listener)}" for host, (listener, _) in MESH_HOSTS.items()
        ),
        "MESH_UPSTREAMS": ",".join(
            f"{host}={at.host}:{at.port(service)}" for host, (_, service) in MESH_HOSTS.items()
        ),
    }


def _distributed_service(host: str) -> Unit:
    return Unit(
        name=f"distributed-{host}",
        module=f"distributed.{host}",
        port_offset=MESH_HOSTS[host][1],
        database=f"dist_{host}",
        extra_env=_order_peers if host == "order" else (lambda _: {}),
        payment_processor=host == "payment",
    )


# The event-driven services talk only through Kafka: no mesh, no peer URLs.
EVENT_DRIVEN_PORTS = {
    "order": 3,
    "inventory": 131,
    "payment": 132,
    "fulfillment": 133,
    "notification": 134,
}


def _event_driven_service(name: str) -> Unit:
    return Unit(
        name=f"event-driven-{name}",
        module=f"event_driven.{name}",
        port_offset=EVENT_DRIVEN_PORTS[name],
        database=f"ev_{name}",
        needs_kafka=True,
        payment_processor=name == "payment",
    )


VARIANTS: dict[str, Variant] = {
    "monolith": Variant(
        "monolith",
        (Unit("monolith", "monolith", 1, database="monolith", payment_processor=True),),
        public_offset=1,
    ),
    "distributed": Variant(
        "distributed",
        (
            *(_distributed_service(host) for host in MESH_HOSTS),
            Unit("mesh", "mesh", MESH_ADMIN_OFFSET, extra_env=_mesh_wiring),
        ),
        public_offset=MESH_HOSTS["order"][0],
    ),
    "event_driven": Variant(
        "event_driven",
        tuple(_event_driven_service(name) for name in EVENT_DRIVEN_PORTS),
        public_offset=EVENT_DRIVEN_PORTS["order"],
    ),
}


# The workshop console (console/): part of no variant, started by every `shopdemo up`.
# Its environment names every variant's units, so it is built in shopdemo/console_wiring.py.
CONSOLE = Unit("console", "console", port_offset=0)


def find_unit(name: str) -> Unit | None:
    if name == CONSOLE.name:
        return CONSOLE
    for variant in VARIANTS.values():
        for unit in variant.units:
            if unit.name == name:
                return unit
    return None
