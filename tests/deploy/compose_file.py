"""docker-compose.yml as the deployment tests read it, with the unit -> service mapping.

The compose services of the units carry the units' own names (shopdemo/units.py), so the
tests find each unit's service without a second list.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from shopdemo.units import Unit

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
SCHEMA = ROOT.parent / "shared" / "schemas" / "compose-spec.json"
INIT_SCRIPTS = ROOT / "containers" / "postgres-init"
CONTAINER_PORT = 8080
PORT_BASE = 8000  # the local launcher's default SHOPDEMO_PORT_BASE


@cache
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def services() -> dict[str, dict[str, Any]]:
    return compose()["services"]


def service_for(unit: Unit) -> dict[str, Any]:
    return services()[unit.name]


def environment(service: dict[str, Any]) -> dict[str, str]:
    raw = service.get("environment", {})
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) for item in raw)
    return {name: str(value) for name, value in raw.items()}


def published(service: dict[str, Any]) -> dict[int, int]:
    """Host port -> container port, from the short "HOST:CONTAINER" form the file uses."""
    pairs = {}
    for entry in service.get("ports", []):
        host, _, container = str(entry).rpartition(":")
        pairs[int(host)] = int(container)
    return pairs


def healthcheck_port(service: dict[str, Any]) -> int:
    command = " ".join(service["healthcheck"]["test"])
    found = re.search(r"http://127\.0\.0\.1:(\d+)/", command)
    assert found, f"the healthcheck asks no local HTTP port: {command}"
    return int(found.group(1))


def mapping_entries(raw: str) -> dict[str, str]:
    """ "a=1,b=2" as {"a": "1", "b": "2"} (MESH_LISTENERS, MESH_UPSTREAMS)."""
    return dict(item.strip().split("=", 1) for item in raw.split(",") if item.strip())
