"""The mesh proxy's settings, read once from environment variables.

MESH_LISTENERS says, for each Istio host, on which local port the proxy
accepts requests addressed to it; MESH_UPSTREAMS says where each host really
is (what Kubernetes DNS and the Service would resolve to).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mesh.policy_model import short_host
from service_kit.settings import ConfigError, env_int, env_str, environment

UNIT = "mesh"
PROJECT_ISTIO_DIR = Path(__file__).resolve().parents[1] / "istio"


@dataclass(frozen=True)
class Settings:
    host: str  # HOST: where the listeners and the admin API bind
    port: int  # PORT: the admin API (/healthz, /readyz, /metrics, /admin/...)
    policy_dir: Path  # MESH_POLICY_DIR: its top-level *.yaml files are applied at start
    listeners: Mapping[str, int]  # MESH_LISTENERS: order=8002,inventory=8111,...
    upstreams: Mapping[str, tuple[str, int]]  # MESH_UPSTREAMS: order=127.0.0.1:8120,...

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = environment() if env is None else env
        port = env_int(env, "PORT", 8100, minimum=1, maximum=65535)
        listeners = _parse_listeners(env_str(env, "MESH_LISTENERS"))
        upstreams = _parse_upstreams(env_str(env, "MESH_UPSTREAMS"))
        missing = sorted(set(listeners) - set(upstreams))
        if missing:
            raise ConfigError(
                "MESH_LISTENERS has hosts without an address in MESH_UPSTREAMS: "
                + ", ".join(missing)
            )
        if port in listeners.values():
            raise ConfigError(f"PORT={port} is also a listener port in MESH_LISTENERS")
        policy_dir = Path(env_str(env, "MESH_POLICY_DIR", str(PROJECT_ISTIO_DIR)))
        if not policy_dir.is_dir():
            raise ConfigError(f"MESH_POLICY_DIR={policy_dir} is not a folder")
        return cls(
            host=env_str(env, "HOST", "127.0.0.1"),
            port=port,
            policy_dir=policy_dir,
            listeners=listeners,
            upstreams=upstreams,
        )


def _entries(name: str, raw: str) -> list[tuple[str, str]]:
    entries = []
    for item in raw.split(","):
        item = item.strip()
        if not item:
            continue
        host, equals, value = item.partition("=")
        host = short_host(host.strip())
        if not equals or not host or not value.strip():
            raise ConfigError(f"{name}: {item!r} is not host=value (e.g. payment=8112)")
        if any(host == seen for seen, _ in entries):
            raise ConfigError(f"{name}: host {host!r} is listed twice")
        entries.append((host, value.strip()))
    if not entries:
        raise ConfigError(f"{name} lists no host")
    return entries


def _port(name: str, host: str, text: str) -> int:
    if not text.isdecimal() or not 1 <= int(text) <= 65535:
        raise ConfigError(f"{name}: {host}={text!r}: the port must be a number from 1 to 65535")
    return int(text)


def _parse_listeners(raw: str) -> dict[str, int]:
    listeners = {
        host: _port("MESH_LISTENERS", host, value)
        for host, value in _entries("MESH_LISTENERS", raw)
    }
    ports = list(listeners.values())
    duplicates = sorted({port for port in ports if ports.count(port) > 1})
    if duplicates:
        raise ConfigError(f"MESH_LISTENERS uses port {duplicates[0]} for two hosts")
    return listeners


def _parse_upstreams(raw: str) -> dict[str, tuple[str, int]]:
    upstreams = {}
    for host, value in _entries("MESH_UPSTREAMS", raw):
        address, colon, port = value.rpartition(":")
        if not colon or not address:
            raise ConfigError(
                f"MESH_UPSTREAMS: {host}={value!r} is not address:port (e.g. 127.0.0.1:8122)"
            )
        upstreams[host] = (address, _port("MESH_UPSTREAMS", host, port))
    return upstreams
