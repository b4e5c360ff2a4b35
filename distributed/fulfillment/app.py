"""The fulfillment service's HTTP API (called by the order service, through the mesh)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from distributed.fulfillment import handlers
from distributed.fulfillment.config import UNIT, Settings
from distributed.fulfillment.repository import FulfillmentRepository
from distributed.fulfillment.schema import prepare_database
from service_kit.json_body import read_json_body
from service_kit.service import create_service
from service_kit.unit_of_work import SqlUnitOfWork
from shop.contracts import parse_shipment_request
from shop.order_request import parse_order_id, parse_uuid


def create_app(settings: Settings) -> FastAPI:
    service = create_service(UNIT, settings, prepare_database, "Shipments (simulated).")
    app = service.app

    def new_unit_of_work() -> SqlUnitOfWork[FulfillmentRepository]:
        return SqlUnitOfWork(service.pool, FulfillmentRepository)

    @app.post("/shipments", status_code=201)
    async def create(request: Request) -> JSONResponse:
        wanted = parse_shipment_request(await read_json_body(request))
        return JSONResponse(await handlers.create_shipment(new_unit_of_work, wanted), 201)

    @app.post("/shipments/{shipment_id}/cancel")
    async def cancel(shipment_id: str) -> dict[str, Any]:
        shipment = parse_uuid(shipment_id, "shipment_id")
        return await handlers.cancel_shipment(new_unit_of_work, shipment)

    @app.get("/shipments")
    async def for_order(order_id: str) -> list[dict[str, Any]]:
        return await handlers.shipments_for_order(new_unit_of_work, parse_order_id(order_id))

    return app
