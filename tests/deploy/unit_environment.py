"""Which environment variables each deployable unit reads, found by asking its settings loader.

Every unit reads its configuration through one loader in `<unit module>.config`
(`Settings.from_env(env)` or `settings_from_env(env)`). Handing that loader a
mapping that records every name looked up tells the deployment tests exactly
what compose and k8s must set, without a second list to keep in step.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from shopdemo.units import CONSOLE, VARIANTS, Unit

ROOT = Path(__file__).resolve().parents[2]

# Values that every loader accepts; only the names matter to the tests.
_PLAUSIBLE = {
    "DATABASE_URL": "postgresql+psycopg://unit:secret@postgres:5432/unit",
    "HOST": "0.0.0.0",
    "PORT": "8000",
    "DB_POOL_SIZE": "4",
    "KAFKA_BOOTSTRAP_SERVERS": "kafka:9092",
    "PEER_TIMEOUT_S": "30",
    "MESH_POLICY_DIR": str(ROOT / "istio"),
    "MESH_LISTENERS": "order=8080",
    "MESH_UPSTREAMS": "order=order:8000",
    "CONSOLE_VARIANTS": "monolith=http://monolith:8080",
}

# The console reads these only to offer kill and restart under the local launcher; a
# deployment leaves them unset, and the console says those controls need `shopdemo up`.
LAUNCHER_ONLY = "SHOPDEMO_"


class RecordingEnvironment(Mapping[str, str]):
    """A mapping that remembers every name a loader asked for, set or not."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = dict(values)
        self.asked: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.asked.add(name)
        if name in self._values:
            return self._values[name]
        if name.endswith("_URL"):
            return "http://peer:8000"
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def settings_loader(unit: Unit) -> Callable[[Mapping[str, str]], object]:
    config = importlib.import_module(f"{unit.module}.config")
    if hasattr(config, "settings_from_env"):
        return config.settings_from_env
    return config.Settings.from_env


def variables_read(unit: Unit) -> set[str]:
    env = RecordingEnvironment(_PLAUSIBLE)
    settings_loader(unit)(env)
    return env.asked


def all_units() -> list[Unit]:
    """The variants' units; the workshop console apart (see console_unit)."""
    return [unit for variant in VARIANTS.values() for unit in variant.units]


def console_unit() -> Unit:
    return CONSOLE
