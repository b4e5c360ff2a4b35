"""The notification service's settings, read once from environment variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from service_kit.settings import ServiceSettings, environment

UNIT = "notification"


@dataclass(frozen=True)
class Settings(ServiceSettings):
    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = environment() if env is None else env
        return cls(**ServiceSettings.read(env, default_port=8124))  # type: ignore[arg-type]
