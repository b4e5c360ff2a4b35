"""Kill and restart a unit, as the crash scenario does: only under the local launcher.

Killing is `shopdemo kill` (SIGKILL, by the pid and start time the launcher
recorded); restarting is `shopdemo up --variant <its variant>`, run as the launcher
itself so that the unit gets exactly the environment the launcher gives it and stays
the launcher's (not the console's) process. In compose or on Kubernetes the console
has no launcher: these actions are shown as unavailable, with the platform's own
command instead.
"""

from __future__ import annotations

import os
import subprocess
import sys

from console.topology import variant_of_unit
from shop.errors import Conflict, DependencyFailed, InvalidRequest
from shopdemo.config import LauncherConfig
from shopdemo.processes import kill_hard
from shopdemo.state import StackState
from shopdemo.units import VARIANTS

RESTART_TIMEOUT_S = 150

UNAVAILABLE = (
    "kill and restart need the local launcher: the console was not started by `shopdemo up`"
    " (no SHOPDEMO_HOME). In compose use `docker compose kill SERVICE` and"
    " `docker compose start SERVICE`."
)


def killable_units() -> list[str]:
    return [unit.name for variant in VARIANTS.values() for unit in variant.units]


def check_unit_name(name: str) -> str:
    if name not in killable_units():
        raise InvalidRequest(
            f"unknown unit {name!r}; a unit of a variant: {', '.join(killable_units())}", "unit"
        )
    return name


def kill_unit(launcher: LauncherConfig | None, name: str) -> str:
    launcher = _require(launcher)
    record = StackState.load(launcher.state_file).units.get(check_unit_name(name))
    if record is None or not kill_hard(record):
        raise Conflict(f"{name} is not running, so there is nothing to kill")
    return f"{name}: killed with SIGKILL (pid {record.pid}), as a crash would"


def restart_unit(launcher: LauncherConfig | None, name: str) -> str:
    launcher = _require(launcher)
    variant = variant_of_unit(check_unit_name(name))
    assert variant is not None
    try:
        finished = subprocess.run(
            [sys.executable, "-m", "shopdemo.cli", "up", "--variant", variant],
            env=os.environ | _launcher_env(launcher),
            capture_output=True,
            text=True,
            timeout=RESTART_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        raise DependencyFailed(
            f"`shopdemo up --variant {variant}` did not finish in {RESTART_TIMEOUT_S} s"
        ) from None
    if finished.returncode != 0:
        raise DependencyFailed(
            f"`shopdemo up --variant {variant}` failed: {finished.stderr.strip()[-600:]}"
        )
    lines = [line for line in finished.stdout.splitlines() if line.startswith(name + ":")]
    return "; ".join(lines) or f"`shopdemo up --variant {variant}` found {name} running"


def _launcher_env(launcher: LauncherConfig) -> dict[str, str]:
    return {
        "SHOPDEMO_HOME": str(launcher.home),
        "SHOPDEMO_HOST": launcher.host,
        "SHOPDEMO_PORT_BASE": str(launcher.port_base),
        "SHOPDEMO_PG_PORT": str(launcher.pg_port),
        "SHOPDEMO_KAFKA_PORT": str(launcher.kafka_port),
    }


def _require(launcher: LauncherConfig | None) -> LauncherConfig:
    if launcher is None:
        raise Conflict(UNAVAILABLE)
    return launcher
