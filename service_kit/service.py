"""The parts every unit's app has: database pool, schema at start, errors, metrics, probes.

A unit's app.py calls create_service() and adds only its own routes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from service_kit.http_errors import install_error_handlers
from service_kit.metrics import Metrics, install_metrics
from service_kit.settings import ServiceSettings
from service_kit.sql import psycopg_conninfo


@dataclass(frozen=True)
class Service:
    app: FastAPI
    pool: AsyncConnectionPool
    metrics: Metrics


def create_service(
    unit: str,
    settings: ServiceSettings,
    prepare_database: Callable[[str], Awaitable[None]],
    description: str,
    resources: Callable[[], AbstractAsyncContextManager[object]] = nullcontext,
    ready_check: Callable[[], bool] = lambda: True,
) -> Service:
    """`resources` opens whatever else the unit needs while it runs (an HTTP client, the
    event relay and consumer); `ready_check` says whether they are ready for traffic."""
    pool = AsyncConnectionPool(
        psycopg_conninfo(settings.database_url),
        min_size=settings.db_pool_size,
        max_size=settings.db_pool_size,
        kwargs={"row_factory": dict_row},
        open=False,
    )
    metrics = Metrics(unit)
    state = {"ready": False}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await prepare_database(settings.database_url)
        await pool.open(wait=True)
        async with resources():
            state["ready"] = True
            yield
            state["ready"] = False
        await pool.close()

    app = FastAPI(title=f"Shop: {unit}", description=description, lifespan=lifespan)
    install_error_handlers(app)
    install_metrics(app, metrics)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "unit": unit}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        if not state["ready"] or not ready_check():
            return JSONResponse({"status": "starting", "unit": unit}, status_code=503)
        try:
            async with pool.connection(timeout=2) as connection:
                await connection.execute("SELECT 1")
        except Exception as error:  # any database failure means: send no traffic here
            return JSONResponse(
                {"status": "database unavailable", "unit": unit, "error": str(error)[:200]},
                status_code=503,
            )
        return JSONResponse({"status": "ready", "unit": unit})

    return Service(app, pool, metrics)


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    # One process on purpose: uvicorn's multi-worker mode answered ~43 ms late on the
    # project's 2-core machines, and in-process state (fault knobs, metrics) must be one.
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", access_log=False)
