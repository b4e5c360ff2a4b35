"""The monolith's HTTP API: thin routes that parse, call a handler and map the result."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse

from monolith import handlers
from monolith.config import UNIT, Settings
from monolith.schema import prepare_database
from monolith.unit_of_work import SqlUnitOfWork
from service_kit.http_errors import order_response
from service_kit.json_body import read_json_body
from service_kit.openapi import ORDER_REQUEST_BODY
from service_kit.payment_admin import payment_fault_router
from service_kit.service import create_service
from shop.order_request import parse_idempotency_key, parse_order_id, parse_order_request
from shop.payment_provider import SimulatedCardProcessor


def create_app(settings: Settings, processor: SimulatedCardProcessor | None = None) -> FastAPI:
    service = create_service(
        UNIT,
        settings,
        prepare_database,
        "Phase 1: one app, one database, one transaction per order.",
    )
    app, metrics = service.app, service.metrics
    processor = processor or SimulatedCardProcessor()
    app.include_router(payment_fault_router(processor))

    def new_unit_of_work() -> SqlUnitOfWork:
        return SqlUnitOfWork(service.pool)

    @app.get("/products")
    async def products() -> list[dict[str, Any]]:
        rows = await handlers.list_products(new_unit_of_work)
        return [
            {"sku": r.sku, "name": r.name, "price_cents": r.price_cents, "stock": r.stock}
            for r in rows
        ]

    @app.post("/orders", openapi_extra=ORDER_REQUEST_BODY, status_code=201)
    async def place_order(
        request: Request,
        idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
    ) -> JSONResponse:
        key = parse_idempotency_key(idempotency_key)
        order_request = parse_order_request(await read_json_body(request))
        placed = await handlers.place_order(new_unit_of_work, processor, order_request, key)
        if not placed.replayed:
            metrics.order_finished(placed.view.status.value)
        return order_response(placed.view, placed.replayed)

    @app.get("/orders/{order_id}")
    async def get_order(order_id: str) -> dict[str, Any]:
        view = await handlers.get_order(new_unit_of_work, parse_order_id(order_id))
        return view.to_json()

    return app
