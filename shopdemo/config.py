"""The launcher's own settings: where it keeps state, which ports it uses."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from service_kit.settings import env_int, env_str

_PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _default_home() -> Path:
    # In a checkout (the usual editable install) state lives in the repo's ignored .shopdemo/.
    if (_PROJECT_ROOT / "pyproject.toml").exists():
        return _PROJECT_ROOT / ".shopdemo"
    return Path.cwd() / ".shopdemo"


@dataclass(frozen=True)
class LauncherConfig:
    home: Path  # SHOPDEMO_HOME: state, logs and the embedded database's files
    host: str  # SHOPDEMO_HOST: the address every unit listens on
    port_base: int  # SHOPDEMO_PORT_BASE: unit ports are this plus the unit's offset
    pg_port: int  # SHOPDEMO_PG_PORT: the embedded PostgreSQL's port
    kafka_port: int = 59092  # SHOPDEMO_KAFKA_PORT: the embedded Kafka-compatible broker's port

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LauncherConfig:
        env = os.environ if env is None else env
        home = Path(env.get("SHOPDEMO_HOME") or _default_home()).resolve()
        return cls(
            home=home,
            host=env_str(env, "SHOPDEMO_HOST", "127.0.0.1"),
            port_base=env_int(env, "SHOPDEMO_PORT_BASE", 8000, minimum=1024, maximum=60000),
            pg_port=env_int(env, "SHOPDEMO_PG_PORT", 54329, minimum=1024, maximum=65535),
            kafka_port=env_int(env, "SHOPDEMO_KAFKA_PORT", 59092, minimum=1024, maximum=65535),
        )

    @property
    def state_file(self) -> Path:
        return self.home / "state.json"

    @property
    def credentials_file(self) -> Path:
        return self.home / "credentials.json"

    @property
    def pg_data(self) -> Path:
        return self.home / "pgdata"

    @property
    def broker_state(self) -> Path:
        return self.home / "tansu"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def project_root(self) -> Path:
        return _PROJECT_ROOT
