"""The event-driven order service's settings, read once from environment variables."""

from __future__ import annotations

from collections.abc import Mapping

from event_driven.settings import EventServiceSettings

UNIT = "order"


def settings_from_env(env: Mapping[str, str] | None = None) -> EventServiceSettings:
    return EventServiceSettings.read_env(default_port=8003, env=env)
