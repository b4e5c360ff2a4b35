"""The notification service's HTTP API (called by the order service, through the mesh)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from distributed.notification import handlers
from distributed.notification.config import UNIT, Settings
from distributed.notification.repository import NotificationRepository
from distributed.notification.schema import prepare_database
from service_kit.json_body import read_json_body
from service_kit.service import create_service
from service_kit.unit_of_work import SqlUnitOfWork
from shop.contracts import parse_notification_request
from shop.order_request import parse_order_id


def create_app(settings: Settings) -> FastAPI:
    service = create_service(UNIT, settings, prepare_database, "Customer notifications.")
    app = service.app

    def new_unit_of_work() -> SqlUnitOfWork[NotificationRepository]:
        return SqlUnitOfWork(service.pool, NotificationRepository)

    @app.post("/notifications", status_code=201)
    async def notify(request: Request) -> JSONResponse:
        wanted = parse_notification_request(await read_json_body(request))
        return JSONResponse(await handlers.notify(new_unit_of_work, wanted), 201)

    @app.get("/notifications")
    async def for_order(order_id: str) -> list[dict[str, Any]]:
        return await handlers.notifications_for_order(new_unit_of_work, parse_order_id(order_id))

    return app
