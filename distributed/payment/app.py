"""The payment service's HTTP API (called by the order service, through the mesh)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from distributed.payment import handlers
from distributed.payment.config import UNIT, Settings
from distributed.payment.repository import PaymentRepository
from distributed.payment.schema import prepare_database
from service_kit.json_body import read_json_body
from service_kit.payment_admin import payment_fault_router
from service_kit.service import create_service
from service_kit.unit_of_work import SqlUnitOfWork
from shop.contracts import parse_charge_request
from shop.order_request import parse_order_id, parse_uuid
from shop.payment_provider import SimulatedCardProcessor


def create_app(settings: Settings, processor: SimulatedCardProcessor | None = None) -> FastAPI:
    service = create_service(UNIT, settings, prepare_database, "Charges and refunds.")
    app = service.app
    processor = processor or SimulatedCardProcessor()
    app.include_router(payment_fault_router(processor))

    def new_unit_of_work() -> SqlUnitOfWork[PaymentRepository]:
        return SqlUnitOfWork(service.pool, PaymentRepository)

    @app.post("/payments", status_code=201)
    async def charge(request: Request) -> JSONResponse:
        wanted = parse_charge_request(await read_json_body(request))
        payment = await handlers.charge(new_unit_of_work, processor, wanted)
        return JSONResponse(payment, status_code=201)

    @app.post("/payments/{payment_id}/refund")
    async def refund(payment_id: str) -> dict[str, Any]:
        return await handlers.refund(new_unit_of_work, parse_uuid(payment_id, "payment_id"))

    @app.get("/payments")
    async def for_order(order_id: str) -> list[dict[str, Any]]:
        return await handlers.payments_for_order(new_unit_of_work, parse_order_id(order_id))

    return app
