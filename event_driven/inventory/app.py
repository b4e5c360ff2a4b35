"""The event-driven inventory service: its consumer and relay, and a small read API."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from event_driven.inventory.config import UNIT
from event_driven.inventory.handlers import handle
from event_driven.inventory.repository import InventoryReads
from event_driven.inventory.schema import prepare_database
from event_driven.settings import EventServiceSettings
from service_kit.event_worker import event_worker
from service_kit.events.topics import ORDERS, PAYMENTS
from service_kit.service import create_service
from shop.errors import NotFound
from shop.order_request import parse_order_id


def create_app(settings: EventServiceSettings) -> FastAPI:
    worker = event_worker(
        UNIT, settings.database_url, settings.kafka_bootstrap_servers, [ORDERS, PAYMENTS], handle
    )
    service = create_service(
        UNIT,
        settings,
        prepare_database,
        "Reserves stock on OrderPlaced, releases it on PaymentFailed.",
        resources=worker.running,
        ready_check=worker.ready,
    )

    @service.app.get("/products")
    async def products() -> list[dict[str, Any]]:
        async with service.pool.connection() as connection:
            return await InventoryReads(connection).products()

    @service.app.get("/reservations/{order_id}")
    async def reservation(order_id: str) -> dict[str, Any]:
        async with service.pool.connection() as connection:
            row = await InventoryReads(connection).reservation(parse_order_id(order_id))
        if row is None:
            raise NotFound(f"no reservation for order {order_id}")
        return {key: str(value) if value is not None else None for key, value in row.items()}

    return service.app
