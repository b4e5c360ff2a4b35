"""Reading environment variables with fail-fast, readable errors.

Every unit reads its configuration only through these helpers, from one
settings object, with the same variable names locally, in compose and in k8s.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


class ConfigError(RuntimeError):
    pass


def env_str(env: Mapping[str, str], name: str, default: str | None = None) -> str:
    value = env.get(name, default)
    if value is None or value == "":
        raise ConfigError(f"environment variable {name} is required but not set")
    return value


def env_int(
    env: Mapping[str, str], name: str, default: int, minimum: int = 0, maximum: int = 2**31
) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if not minimum <= value <= maximum:
        raise ConfigError(f"{name}={value} is out of range ({minimum}..{maximum})")
    return value


def environment() -> Mapping[str, str]:
    return os.environ


@dataclass(frozen=True)
class ServiceSettings:
    """What every unit with a database reads: the same names locally, in compose and in k8s."""

    database_url: str  # DATABASE_URL: postgresql+psycopg://user:password@host:port/database
    host: str  # HOST
    port: int  # PORT
    db_pool_size: int  # DB_POOL_SIZE: connections kept open to PostgreSQL

    @staticmethod
    def read(env: Mapping[str, str], default_port: int) -> dict[str, object]:
        """The common fields, for a unit's own from_env to extend."""
        return {
            "database_url": env_str(env, "DATABASE_URL"),
            "host": env_str(env, "HOST", "127.0.0.1"),
            "port": env_int(env, "PORT", default_port, minimum=1, maximum=65535),
            "db_pool_size": env_int(env, "DB_POOL_SIZE", 10, minimum=1, maximum=200),
        }
