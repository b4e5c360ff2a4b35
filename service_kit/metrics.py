"""Prometheus metrics: a cheap ASGI middleware for HTTP figures and a /metrics route.

Routes are labelled by their template (/orders/{order_id}), never by the raw
path, so an order id never becomes a label value.
"""

from __future__ import annotations

import time

from fastapi import FastAPI, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class Metrics:
    """One registry per app, so two apps in one test process do not collide."""

    def __init__(self, unit: str):
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "shop_http_requests",
            "HTTP requests answered",
            ["unit", "method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "shop_http_request_duration_seconds",
            "Time from request received to response sent",
            ["unit", "method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.orders = Counter(
            "shop_orders",
            "Orders that reached a final status, by status",
            ["unit", "status"],
            registry=self.registry,
        )
        self.unit = unit

    def order_finished(self, status: str) -> None:
        self.orders.labels(self.unit, status).inc()


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            method = scope["method"]
            unit = self.metrics.unit
            self.metrics.requests.labels(unit, method, template, str(status)).inc()
            self.metrics.latency.labels(unit, method, template).observe(
                time.perf_counter() - started
            )


def install_metrics(app: FastAPI, metrics: Metrics) -> None:
    app.add_middleware(MetricsMiddleware, metrics=metrics)

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
