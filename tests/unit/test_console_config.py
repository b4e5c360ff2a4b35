"""The console's settings: only environment variables, the launcher's wiring complete."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.config import Settings, parse_pairs
from console.topology import columns
from service_kit.settings import ConfigError
from shopdemo.config import LauncherConfig
from shopdemo.console_wiring import console_env
from shopdemo.postgres import ServerInfo
from shopdemo.units import VARIANTS, Addresses, find_unit
from tests.deploy.unit_environment import RecordingEnvironment


def test_pairs_are_name_equals_value_and_values_may_hold_equals_signs():
    assert parse_pairs("X", "a=http://h:1/?q=1, b=y,") == {"a": "http://h:1/?q=1", "b": "y"}


@pytest.mark.parametrize("raw", ["monolith", "=http://x", "monolith="])
def test_a_pair_without_a_name_or_a_value_is_refused_with_the_variable_named(raw):
    with pytest.raises(ConfigError, match="CONSOLE_VARIANTS"):
        parse_pairs("CONSOLE_VARIANTS", raw)


def test_the_variants_are_required():
    with pytest.raises(ConfigError, match="CONSOLE_VARIANTS is required"):
        Settings.from_env({})


def test_an_unknown_variant_or_unit_is_refused():
    with pytest.raises(ConfigError, match="unknown variant"):
        Settings.from_env({"CONSOLE_VARIANTS": "microservices=http://x:1"})
    with pytest.raises(ConfigError, match="unknown unit"):
        Settings.from_env(
            {"CONSOLE_VARIANTS": "monolith=http://x:1", "CONSOLE_UNITS": "db=http://y"}
        )


def test_without_the_launchers_home_the_console_offers_no_kill_or_restart():
    settings = Settings.from_env({"CONSOLE_VARIANTS": "monolith=http://monolith:8000"})
    assert settings.launcher is None
    assert settings.port == 8000 and settings.variants == {"monolith": "http://monolith:8000"}


def test_the_launchers_wiring_names_every_variant_unit_and_database(tmp_path):
    config = LauncherConfig(home=tmp_path, host="127.0.0.1", port_base=30000, pg_port=30999)
    at = Addresses(config.host, config.port_base, config.project_root)
    server = ServerInfo("127.0.0.1", 30999, "postgres", "secret", pid=None)
    env = RecordingEnvironment(console_env(config, at, server))

    settings = Settings.from_env(env)

    assert settings.variants == {name: at.url(v.public_offset) for name, v in VARIANTS.items()}
    every_unit = [unit for variant in VARIANTS.values() for unit in variant.units]
    assert settings.units == {unit.name: at.url(unit.port_offset) for unit in every_unit}
    assert set(settings.database_urls) == {u.database for u in every_unit if u.database}
    assert settings.launcher == config
    assert Path(settings.policy_dir, "virtual-service-payment.yaml").is_file()
    assert {"CONSOLE_VARIANTS", "CONSOLE_UNITS", "CONSOLE_DATABASE_URLS"} <= env.asked


def test_each_column_knows_its_order_payment_and_stock_units():
    settings = Settings.from_env(
        {
            "CONSOLE_VARIANTS": "event_driven=http://e:1,distributed=http://d:1",
            "CONSOLE_UNITS": "mesh=http://mesh:9,distributed-payment=http://p:1",
        }
    )
    made = {column.variant: column for column in columns(settings)}
    assert list(made) == ["distributed", "event_driven"]  # the launcher's order
    assert made["distributed"].mesh_url == "http://mesh:9"
    assert made["distributed"].units == {
        "distributed-payment": "http://p:1",
        "mesh": "http://mesh:9",
    }
    assert made["event_driven"].order_database == "ev_order"
    assert find_unit(made["event_driven"].payment_unit).payment_processor
