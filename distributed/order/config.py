"""The order service's settings, read once from environment variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from service_kit.settings import ServiceSettings, env_int, env_str, environment

UNIT = "order"


@dataclass(frozen=True)
class Settings(ServiceSettings):
    # Each peer's base URL: the mesh's listener for that peer locally and in compose,
    # the peer's Kubernetes Service on kind (where the Istio sidecar intercepts the call).
    inventory_url: str  # INVENTORY_URL
    payment_url: str  # PAYMENT_URL
    fulfillment_url: str  # FULFILLMENT_URL
    notification_url: str  # NOTIFICATION_URL
    peer_timeout_s: int  # PEER_TIMEOUT_S: the client's own limit; the mesh's are usually shorter

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = environment() if env is None else env
        return cls(
            **ServiceSettings.read(env, default_port=8120),  # type: ignore[arg-type]
            inventory_url=env_str(env, "INVENTORY_URL"),
            payment_url=env_str(env, "PAYMENT_URL"),
            fulfillment_url=env_str(env, "FULFILLMENT_URL"),
            notification_url=env_str(env, "NOTIFICATION_URL"),
            peer_timeout_s=env_int(env, "PEER_TIMEOUT_S", 30, minimum=1, maximum=600),
        )
