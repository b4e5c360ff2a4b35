"""The monolith's HTTP API: thin routes that parse, call a handler and map the result."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from monolith import handlers
from monolith.config import UNIT, Settings
from monolith.schema import prepare_database
from monolith.unit_of_work import SqlUnitOfWork
from service_kit.http_errors import install_error_handlers, order_response
from service_kit.json_body import read_json_body
from service_kit.metrics import Metrics, install_metrics
from service_kit.openapi import ORDER_REQUEST_BODY
from service_kit.payment_admin import payment_fault_router
from service_kit.sql import psycopg_conninfo
from shop.order_request import parse_idempotency_key, parse_order_id, parse_order_request
from shop.payment_provider import SimulatedCardProcessor


def create_app(settings: Settings, processor: SimulatedCardProcessor | None = None) -> FastAPI:
    pool = AsyncConnectionPool(
        psycopg_conninfo(settings.database_url),
        min_size=settings.db_pool_size,
        max_size=settings.db_pool_size,
        kwargs={"row_factory": dict_row},
        open=False,
    )
    processor = processor or SimulatedCardProcessor()
    metrics = Metrics(UNIT)
    state = {"ready": False}

    def new_unit_of_work() -> SqlUnitOfWork:
        return SqlUnitOfWork(pool)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await prepare_database(settings.database_url)
        await pool.open(wait=True)
        state["ready"] = True
        yield
        state["ready"] = False
        await pool.close()

    app = FastAPI(
        title="Shop: monolith",
        description="Phase 1: one app, one database, one transaction per order.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    install_metrics(app, metrics)
    app.include_router(payment_fault_router(processor))

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

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "unit": UNIT}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        if not state["ready"]:
            return JSONResponse({"status": "starting", "unit": UNIT}, status_code=503)
        try:
            async with pool.connection(timeout=2) as connection:
                await connection.execute("SELECT 1")
        except Exception as error:  # any database failure means: do not send traffic here
            return JSONResponse(
                {"status": "database unavailable", "unit": UNIT, "error": str(error)[:200]},
                status_code=503,
            )
        return JSONResponse({"status": "ready", "unit": UNIT})

    return app
