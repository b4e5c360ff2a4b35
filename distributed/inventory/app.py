"""The inventory service's HTTP API (called by the order service, through the mesh)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from distributed.inventory import handlers
from distributed.inventory.config import UNIT, Settings
from distributed.inventory.repository import InventoryRepository
from distributed.inventory.schema import prepare_database
from service_kit.json_body import read_json_body
from service_kit.service import create_service
from service_kit.unit_of_work import SqlUnitOfWork
from shop.contracts import parse_reservation_request
from shop.order_request import parse_order_id, parse_uuid


def create_app(settings: Settings) -> FastAPI:
    service = create_service(UNIT, settings, prepare_database, "Stock: reserve and release.")
    app = service.app

    def new_unit_of_work() -> SqlUnitOfWork[InventoryRepository]:
        return SqlUnitOfWork(service.pool, InventoryRepository)

    @app.get("/products")
    async def products() -> list[dict[str, Any]]:
        return await handlers.list_products(new_unit_of_work)

    @app.post("/reservations", status_code=201)
    async def reserve(request: Request) -> JSONResponse:
        wanted = parse_reservation_request(await read_json_body(request))
        reservation = await handlers.reserve(new_unit_of_work, wanted.order_id, wanted.lines)
        return JSONResponse(reservation, status_code=201)

    @app.post("/reservations/{reservation_id}/release")
    async def release(reservation_id: str) -> dict[str, Any]:
        return await handlers.release(
            new_unit_of_work, parse_uuid(reservation_id, "reservation_id")
        )

    @app.get("/reservations")
    async def for_order(order_id: str) -> list[dict[str, Any]]:
        return await handlers.reservations_for_order(new_unit_of_work, parse_order_id(order_id))

    return app
