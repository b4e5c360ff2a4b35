"""What every event-driven service reads from its environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from service_kit.settings import ServiceSettings, env_str, environment


@dataclass(frozen=True)
class EventServiceSettings(ServiceSettings):
    kafka_bootstrap_servers: str  # KAFKA_BOOTSTRAP_SERVERS: host:port[,host:port...]

    @classmethod
    def read_env(
        cls, default_port: int, env: Mapping[str, str] | None = None
    ) -> EventServiceSettings:
        env = environment() if env is None else env
        return cls(
            **ServiceSettings.read(env, default_port=default_port),  # type: ignore[arg-type]
            kafka_bootstrap_servers=env_str(env, "KAFKA_BOOTSTRAP_SERVERS"),
        )
