"""What the launcher tells the workshop console: every variant's URLs, databases and folders.

The console reads only environment variables, with names that make the same sense in
compose (`CONSOLE_VARIANTS=monolith=http://monolith:8000,...`). The launcher names
every variant, running or not: the console shows a column for those that answer, so a
later `shopdemo up --variant ...` needs no console restart. A unit database that does
not exist yet simply cannot be read until its unit first starts.
"""

from __future__ import annotations

from shopdemo.config import LauncherConfig
from shopdemo.postgres import ServerInfo
from shopdemo.state import unit_password
from shopdemo.units import VARIANTS, Addresses


def console_env(config: LauncherConfig, at: Addresses, server: ServerInfo) -> dict[str, str]:
    units = [unit for variant in VARIANTS.values() for unit in variant.units]
    databases = [unit.database for unit in units if unit.database is not None]
    return {
        "CONSOLE_VARIANTS": _pairs(
            (variant.name, at.url(variant.public_offset)) for variant in VARIANTS.values()
        ),
        "CONSOLE_UNITS": _pairs((unit.name, at.url(unit.port_offset)) for unit in units),
        # Each unit's own role, as the audit connects: the console can read what the unit can.
        "CONSOLE_DATABASE_URLS": _pairs(
            (
                name,
                server.url(
                    database=name,
                    user=name,
                    password=unit_password(config.credentials_file, name),
                ),
            )
            for name in databases
        ),
        "CONSOLE_REPORTS_DIR": str(config.project_root / "reports"),
        "CONSOLE_POLICY_DIR": str(config.project_root / "istio"),
        # The launcher's own settings: given them, the console offers kill and restart.
        "SHOPDEMO_HOME": str(config.home),
        "SHOPDEMO_HOST": config.host,
        "SHOPDEMO_PORT_BASE": str(config.port_base),
        "SHOPDEMO_PG_PORT": str(config.pg_port),
        "SHOPDEMO_KAFKA_PORT": str(config.kafka_port),
    }


def _pairs(items) -> str:
    return ",".join(f"{name}={value}" for name, value in items)
