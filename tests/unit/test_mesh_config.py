"""The mesh proxy's settings: read from the environment, refused early with a clear reason."""

from __future__ import annotations

import pytest

from mesh.config import PROJECT_ISTIO_DIR, Settings
from service_kit.settings import ConfigError

ENV = {
    "MESH_LISTENERS": "order=8002, payment=8112",
    "MESH_UPSTREAMS": (
        "order=127.0.0.1:8120,payment.shop-distributed.svc.cluster.local=10.0.0.7:8080"
    ),
}


def test_listeners_and_upstreams_are_read_per_istio_host():
    settings = Settings.from_env(ENV)

    assert settings.listeners == {"order": 8002, "payment": 8112}
    assert settings.upstreams == {"order": ("127.0.0.1", 8120), "payment": ("10.0.0.7", 8080)}
    assert (settings.host, settings.port) == ("127.0.0.1", 8100)
    assert settings.policy_dir == PROJECT_ISTIO_DIR


def test_a_listener_for_a_host_without_an_upstream_is_refused():
    env = {**ENV, "MESH_LISTENERS": "order=8002,shipping=8113"}

    with pytest.raises(ConfigError, match="without an address in MESH_UPSTREAMS: shipping"):
        Settings.from_env(env)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("MESH_LISTENERS", "order:8002", "is not host=value"),
        ("MESH_LISTENERS", "order=80x", "the port must be a number"),
        ("MESH_LISTENERS", "order=8002,payment=8002", "uses port 8002 for two hosts"),
        ("MESH_UPSTREAMS", "order=8120,payment=127.0.0.1:1", "is not address:port"),
        ("MESH_UPSTREAMS", "", "MESH_UPSTREAMS is required"),
        ("MESH_POLICY_DIR", "/nowhere/istio", "is not a folder"),
        ("PORT", "8002", "also a listener port"),
    ],
)
def test_a_bad_setting_is_refused_naming_the_variable(name, value, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({**ENV, name: value})
