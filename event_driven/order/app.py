"""The event-driven order service: the variant's public API, same shape as the others,
except that POST /orders answers 202 at once and the order becomes final later."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse

from event_driven.order import handlers
from event_driven.order.config import UNIT
from event_driven.order.repository import OrderWrites
from event_driven.order.schema import prepare_database
from event_driven.settings import EventServiceSettings
from service_kit.event_worker import event_worker
from service_kit.events.topics import INVENTORY, NOTIFICATIONS, PAYMENTS, SHIPMENTS
from service_kit.http_errors import order_response
from service_kit.json_body import read_json_body
from service_kit.openapi import ORDER_REQUEST_BODY
from service_kit.service import create_service
from service_kit.unit_of_work import SqlUnitOfWork
from shop.order_request import parse_idempotency_key, parse_order_id, parse_order_request


def create_app(settings: EventServiceSettings) -> FastAPI:
    service = create_service(
        UNIT,
        settings,
        prepare_database,
        "Event-driven: accepts orders at once (202); a saga over Kafka finishes them.",
        # The worker is made below, once the service's metrics exist for its handler.
        resources=lambda: worker.running(),
        ready_check=lambda: worker.ready(),
    )
    worker = event_worker(
        UNIT,
        settings.database_url,
        settings.kafka_bootstrap_servers,
        [INVENTORY, PAYMENTS, SHIPMENTS, NOTIFICATIONS],
        handlers.saga_follower(service.metrics.order_finished),
    )
    app = service.app

    def new_unit_of_work() -> SqlUnitOfWork[OrderWrites]:
        return SqlUnitOfWork(service.pool, OrderWrites)

    @app.get("/products")
    async def products() -> list[dict[str, Any]]:
        return await handlers.list_products(new_unit_of_work)

    @app.post("/orders", openapi_extra=ORDER_REQUEST_BODY, status_code=202)
    async def place_order(
        request: Request,
        idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
    ) -> JSONResponse:
        key = parse_idempotency_key(idempotency_key)
        order_request = parse_order_request(await read_json_body(request))
        placed = await handlers.place_order(new_unit_of_work, order_request, key)
        return order_response(placed.view, placed.replayed)

    @app.get("/orders/{order_id}")
    async def get_order(order_id: str) -> dict[str, Any]:
        return (await handlers.get_order(new_unit_of_work, parse_order_id(order_id))).to_json()

    return app
