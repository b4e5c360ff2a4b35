"""The order service's HTTP API: the distributed variant's public API, same as the monolith's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import httpx
from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse

from distributed.order.config import UNIT, Settings
from distributed.order.handlers import OrderFlow
from distributed.order.peers import Peers
from distributed.order.repository import OrderRepository
from distributed.order.schema import prepare_database
from service_kit.http_errors import order_response
from service_kit.json_body import read_json_body
from service_kit.openapi import ORDER_REQUEST_BODY
from service_kit.service import create_service
from service_kit.unit_of_work import SqlUnitOfWork
from shop.order_request import parse_idempotency_key, parse_order_id, parse_order_request


def create_app(settings: Settings) -> FastAPI:
    urls = {
        "inventory": settings.inventory_url.rstrip("/"),
        "payment": settings.payment_url.rstrip("/"),
        "fulfillment": settings.fulfillment_url.rstrip("/"),
        "notification": settings.notification_url.rstrip("/"),
    }
    holder: dict[str, OrderFlow] = {}

    @asynccontextmanager
    async def http_client() -> AsyncIterator[None]:
        # One shared client per process: building one per call costs ~23 ms here.
        # Otherwise httpx's defaults, as most teams leave them.
        timeout = httpx.Timeout(settings.peer_timeout_s, connect=2.0)
        async with httpx.AsyncClient(timeout=timeout) as client:
            holder["flow"] = OrderFlow(new_unit_of_work, Peers(client, urls))
            yield

    service = create_service(
        UNIT,
        settings,
        prepare_database,
        "Distributed monolith: saves the order, then calls every other service in turn.",
        resources=http_client,
    )
    app, metrics = service.app, service.metrics

    def new_unit_of_work() -> SqlUnitOfWork[OrderRepository]:
        return SqlUnitOfWork(service.pool, OrderRepository)

    @app.get("/products")
    async def products() -> list[dict[str, Any]]:
        return await holder["flow"].products()

    @app.post("/orders", openapi_extra=ORDER_REQUEST_BODY, status_code=201)
    async def place_order(
        request: Request,
        idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
    ) -> JSONResponse:
        key = parse_idempotency_key(idempotency_key)
        order_request = parse_order_request(await read_json_body(request))
        placed = await holder["flow"].place(order_request, key)
        if not placed.replayed:
            metrics.order_finished(placed.view.status.value)
        return order_response(placed.view, placed.replayed)

    @app.get("/orders/{order_id}")
    async def get_order(order_id: str) -> dict[str, Any]:
        return (await holder["flow"].view(parse_order_id(order_id))).to_json()

    return app
