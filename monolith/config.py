"""The monolith's settings, read once from environment variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from service_kit.settings import env_int, env_str, environment

UNIT = "monolith"


@dataclass(frozen=True)
class Settings:
    database_url: (
        str  # DATABASE_URL, e.g. postgresql+psycopg://monolith:pw@127.0.0.1:54329/monolith
    )
    host: str  # HOST
    port: int  # PORT
    db_pool_size: int  # DB_POOL_SIZE: connections kept open to PostgreSQL

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = environment() if env is None else env
        return cls(
            database_url=env_str(env, "DATABASE_URL"),
            host=env_str(env, "HOST", "127.0.0.1"),
            port=env_int(env, "PORT", 8001, minimum=1, maximum=65535),
            db_pool_size=env_int(env, "DB_POOL_SIZE", 10, minimum=1, maximum=200),
        )
