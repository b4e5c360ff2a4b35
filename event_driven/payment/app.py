"""The event-driven payment service: its consumer and relay, the fault knobs, a read API."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from event_driven.payment.config import UNIT
from event_driven.payment.handlers import make_handler
from event_driven.payment.repository import PaymentReads
from event_driven.payment.schema import prepare_database
from event_driven.settings import EventServiceSettings
from service_kit.event_worker import event_worker
from service_kit.events.topics import INVENTORY
from service_kit.payment_admin import payment_fault_router
from service_kit.service import create_service
from shop.errors import NotFound
from shop.order_request import parse_order_id
from shop.payment_provider import SimulatedCardProcessor


def create_app(
    settings: EventServiceSettings, processor: SimulatedCardProcessor | None = None
) -> FastAPI:
    processor = processor or SimulatedCardProcessor()
    worker = event_worker(
        UNIT,
        settings.database_url,
        settings.kafka_bootstrap_servers,
        [INVENTORY],
        make_handler(processor),
    )
    service = create_service(
        UNIT,
        settings,
        prepare_database,
        "Charges the card on StockReserved.",
        resources=worker.running,
        ready_check=worker.ready,
    )
    service.app.include_router(payment_fault_router(processor))

    @service.app.get("/payments/{order_id}")
    async def payment(order_id: str) -> dict[str, Any]:
        async with service.pool.connection() as connection:
            row = await PaymentReads(connection).for_order(parse_order_id(order_id))
        if row is None:
            raise NotFound(f"no payment for order {order_id}")
        return {key: value if isinstance(value, int) else str(value) for key, value in row.items()}

    return service.app
