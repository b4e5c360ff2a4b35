"""The console's HTTP API and page: thin routes that check input, call one module, answer.

Every action answers {"done": "<what it did>", ...}; a refused one answers the
domain's error body ({"detail", "code", "field"}) with 409, 422 or 502, and leaves
the previous state (see payment_fault.py and mesh_policies.py for how).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from console import mesh_policies, order_timeline, payment_fault, reports, unit_control
from console.actions import chosen_variants, object_body, payment_units, running_columns
from console.config import UNIT, Settings
from console.databases import Databases, DatabaseUnavailable
from console.order_placement import OrderBook, order_body
from console.steady_load import SteadyLoad, parse_rate
from console.topology import columns as make_columns
from console.watcher import Watcher
from service_kit.http_errors import install_error_handlers
from service_kit.json_body import read_json_body
from service_kit.metrics import Metrics, install_metrics
from shop.catalog import CATALOG
from shop.order_request import parse_order_id
from shop.payment_provider import NO_FAULT

STATIC = Path(__file__).resolve().parent / "static"
TOKENS = ("tok_ok", "tok_declined", "tok_insufficient_funds", "tok_provider_error")


def create_app(settings: Settings) -> FastAPI:
    columns = make_columns(settings)
    http = httpx.Client(timeout=10.0)
    databases = Databases(settings.database_urls)
    watcher = Watcher(columns, databases, http, settings.refresh_ms / 1000, settings.audit_every_s)
    load = SteadyLoad()
    book = OrderBook()
    mesh_url = settings.units.get("mesh")

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        watcher.start()
        yield
        if load.running:
            await run_in_threadpool(load.stop)
        watcher.stop()
        databases.close()
        http.close()

    app = FastAPI(title="Shop: workshop console", lifespan=lifespan)
    install_error_handlers(app)
    install_metrics(app, Metrics(UNIT))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    def running() -> list:
        return running_columns(columns, watcher.current())

    def done(message: str | list[str], **extra: Any) -> dict[str, Any]:
        watcher.refresh_now()
        return {"done": message, **extra}

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "unit": UNIT}

    @app.get("/readyz")
    def readyz() -> dict[str, str]:
        return {"status": "ready", "unit": UNIT}

    @app.get("/api/state")
    def state() -> dict[str, Any]:
        return {
            **watcher.current(),
            "refresh_ms": settings.refresh_ms,
            "configured": [column.variant for column in columns],
            "load": load.status(),
            "launcher": {
                "available": settings.launcher is not None,
                "reason": None if settings.launcher else unit_control.UNAVAILABLE,
            },
            "mesh": {"available": mesh_url is not None},
        }

    @app.get("/api/catalog")
    def catalog() -> dict[str, Any]:
        return {
            "products": [
                {"sku": p.sku, "name": p.name, "price_cents": p.price_cents, "scarce": p.scarce}
                for p in CATALOG
            ],
            "payment_tokens": list(TOKENS),
            "units": unit_control.killable_units(),
        }

    @app.post("/api/orders")
    async def place(request: Request) -> dict[str, Any]:
        raw = object_body(await read_json_body(request), {"variants", "order"})
        body = order_body(raw.get("order"))
        targets = chosen_variants(raw.get("variants"), columns, running())
        group = await run_in_threadpool(book.place, http, targets, body)
        said = [
            f"{r['variant']}: {r.get('status') or r.get('error')} (HTTP {r.get('http_status')})"
            for r in group["results"]
        ]
        return done(said, **group)

    @app.get("/api/orders/recent")
    def recent_orders() -> list[dict[str, Any]]:
        return book.recent()

    @app.get("/api/orders/{order_id}")
    def order(order_id: str) -> dict[str, Any]:
        order_id = str(parse_order_id(order_id))
        up = {column.variant: column.base_url for column in running()}
        variant, found = order_timeline.find_order(http, up, order_id)
        return {
            "order": order_timeline.describe(variant, found),
            "others": _companions(variant, found, up),
        }

    def _companions(variant: str, found: dict, up: dict[str, str]) -> list[dict[str, Any]]:
        """The same order placed by the console on the other variants, or else each one's
        latest order with the same status."""
        group = book.group_of(found["id"]) or {}
        others = []
        for column in columns:
            if column.variant == variant or column.variant not in up:
                continue
            other_id = group.get(column.variant)
            how = "the same order, placed by the console"
            if other_id is None:
                how = f"its latest {found['status']} order"
                try:
                    other_id = databases.latest_order_with_status(
                        column.order_database, found["status"]
                    )
                except DatabaseUnavailable:
                    other_id = None
            view = other_id and order_timeline.read_order(http, up[column.variant], other_id)
            if view:
                others.append({**order_timeline.describe(column.variant, view), "chosen_as": how})
        return others

    @app.post("/api/load")
    async def start_load(request: Request) -> dict[str, Any]:
        raw = object_body(await read_json_body(request), {"variants", "rate_per_s"})
        rate = parse_rate(raw.get("rate_per_s"))
        targets = chosen_variants(raw.get("variants"), columns, running())
        return done(load.start(targets, rate), load=load.status())

    @app.delete("/api/load")
    async def stop_load() -> dict[str, Any]:
        message = await run_in_threadpool(load.stop)
        return done(message, load=load.status())

    @app.put("/api/payment-fault")
    async def set_fault(request: Request) -> dict[str, Any]:
        fault = payment_fault.parse_payment_fault(await read_json_body(request))
        units = payment_units(running())
        return done(await run_in_threadpool(payment_fault.apply_everywhere, http, units, fault))

    @app.delete("/api/payment-fault")
    async def clear_fault() -> dict[str, Any]:
        units = payment_units(running())
        return done(await run_in_threadpool(payment_fault.apply_everywhere, http, units, NO_FAULT))

    @app.post("/api/units/{name}/kill")
    def kill(name: str) -> dict[str, Any]:
        return done(unit_control.kill_unit(settings.launcher, name))

    @app.post("/api/units/{name}/restart")
    def restart(name: str) -> dict[str, Any]:
        return done(unit_control.restart_unit(settings.launcher, name))

    @app.get("/api/mesh/policies")
    def policies() -> dict[str, Any]:
        return {"files": mesh_policies.list_policies(settings.policy_dir)}

    @app.post("/api/mesh/apply")
    async def apply_policy(request: Request) -> dict[str, Any]:
        raw = object_body(await read_json_body(request), {"file"})
        answer = await run_in_threadpool(
            mesh_policies.apply_policy, http, mesh_url, settings.policy_dir, raw.get("file")
        )
        return done(f"mesh: applied {answer['applied']}", **answer)

    @app.post("/api/mesh/reset")
    def reset_mesh() -> dict[str, Any]:
        mesh_policies.reset_policies(http, mesh_url)
        return done(f"mesh: policies reset to the files in {settings.policy_dir.name}/")

    @app.get("/api/reports")
    def report_list() -> list[dict[str, Any]]:
        return reports.list_reports(settings.reports_dir)

    @app.get("/reports/{name}/{file}", include_in_schema=False)
    def report_file(name: str, file: str) -> FileResponse:
        return FileResponse(reports.report_file(settings.reports_dir, name, file))

    return app
