"""Sampling every variant while someone looks: health, rates, orders, stock, mesh, audit.

One background thread refreshes a snapshot every CONSOLE_REFRESH_MS, but only while
the page asked for it in the last IDLE_AFTER_S seconds: with no page open the console
sends nothing, so it does not load the variants during `shopdemo compare` or a
benchmark. What it shows, and where each figure comes from:

- health: each unit's /readyz (ready, starting, or no answer);
- orders/s and acknowledgement p95: POST /orders in the order unit's /metrics,
  counter and histogram growth over the last minute (p95 interpolated in its bucket);
- placed -> final p95, orders by status, pending orders: the order database (the
  order's own timestamps, as `shopdemo compare` reports "done");
- stock: the database that keeps it; unpublished outbox events (event-driven);
- mesh attempts per order: the mesh's counters over the last minute per POST /orders;
- anomalies: the audit (`shopdemo.audit`), every CONSOLE_AUDIT_EVERY_S.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

import httpx

from console.databases import Databases, DatabaseUnavailable
from console.metric_window import SampleWindow, bucket_quantile, order_counters
from console.topology import Column
from shop.catalog import CATALOG
from shopdemo.audit.snapshot import AuditError
from shopdemo.audit.variant_audit import audit_variant
from shopdemo.compare.mesh_figures import summed_counters

IDLE_AFTER_S = 20.0
PENDING_AFTER_S = 30.0  # the audit's default for stuck_pending
# A few products: two plentiful ones and the scarce ones, where stock visibly moves.
SHOWN_SKUS = ("MUG-LOGO", "TSHIRT-BLK-M", *(p.sku for p in CATALOG if p.scarce))


class Watcher:
    def __init__(
        self,
        columns: list[Column],
        databases: Databases,
        http: httpx.Client,
        refresh_s: float,
        audit_every_s: float,
    ) -> None:
        self._columns = columns
        self._databases = databases
        self._http = http
        self._refresh_s = refresh_s
        self._audit_every_s = audit_every_s
        self._orders = {column.variant: SampleWindow() for column in columns}
        self._mesh = SampleWindow()
        self._audits: dict[str, dict[str, Any]] = {}
        self._audited_at = 0.0
        self._watched_until = 0.0
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._snapshot: dict[str, Any] = {"sampled_at": None, "columns": []}
        self._sampled_at = float("-inf")  # monotonic time of the snapshot
        self._sampling = threading.Lock()  # one sample at a time: the windows are shared
        self._thread = threading.Thread(target=self._run, name="console-watcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()
        self._thread.join(10)

    def watched(self) -> None:
        """The page asked: keep sampling for IDLE_AFTER_S more seconds."""
        idle = time.monotonic() > self._watched_until
        self._watched_until = time.monotonic() + IDLE_AFTER_S
        if idle:
            self._wake.set()

    def current(self) -> dict[str, Any]:
        """The latest snapshot; taken now if the last one is stale (the page just opened)."""
        self.watched()
        if time.monotonic() - self._sampled_at > 2 * self._refresh_s:
            self._refresh()
        return self._snapshot

    def refresh_now(self) -> None:
        """After an action: the next look at the page shows its effect."""
        self._refresh()

    def _run(self) -> None:
        while not self._stopped.is_set():
            if time.monotonic() <= self._watched_until:
                self._refresh()
                self._wake.wait(self._refresh_s)
            else:
                self._wake.wait()  # idle: nothing is sent until the page asks again
            self._wake.clear()

    def _refresh(self) -> None:
        with self._sampling:
            self._snapshot = self.sample()
            self._sampled_at = time.monotonic()

    def sample(self) -> dict[str, Any]:
        now = time.monotonic()
        due = now - self._audited_at >= self._audit_every_s
        columns = [self._sample_column(column, now, due) for column in self._columns]
        if due:
            self._audited_at = now
        return {"sampled_at": datetime.now(UTC).isoformat(), "columns": columns}

    def _sample_column(self, column: Column, now: float, audit_due: bool) -> dict[str, Any]:
        problems: list[str] = []
        units = [self._health(name, url) for name, url in column.units.items()]
        running = any(unit["health"] != "down" for unit in units) or self._answers(column)
        figures: dict[str, Any] = {
            "variant": column.variant,
            "base_url": column.base_url,
            "running": running,
            "units": units,
            "problems": problems,
        }
        if not running:
            self._orders[column.variant].clear()
            return figures
        figures["live"] = self._live_rates(column, now, problems)
        self._database_figures(column, figures, problems)
        figures["payment_fault"] = self._payment_fault(column, problems)
        if column.mesh_url:
            figures["mesh"] = self._mesh_figures(column, now, problems)
        if audit_due:
            self._audits[column.variant] = self._audit(column)
        figures["audit"] = self._audits.get(column.variant)
        return figures

    def _health(self, name: str, url: str) -> dict[str, Any]:
        try:
            response = self._http.get(f"{url}/readyz", timeout=1.0)
        except httpx.HTTPError:
            return {"name": name, "url": url, "health": "down"}
        health = "ready" if response.status_code == 200 else "starting"
        return {"name": name, "url": url, "health": health}

    def _answers(self, column: Column) -> bool:
        # Without unit URLs, the public API alone says whether the variant runs.
        if column.units:
            return False
        try:
            return self._http.get(f"{column.base_url}/healthz", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def _live_rates(self, column: Column, now: float, problems: list[str]) -> dict[str, Any]:
        window = self._orders[column.variant]
        url = column.units.get(column.order_unit)
        if url is not None:
            try:
                response = self._http.get(f"{url}/metrics", timeout=2.0)
                response.raise_for_status()
                window.add(now, order_counters(response.text))
            except httpx.HTTPError as error:
                problems.append(f"{column.order_unit}/metrics: {error}")
        delta = window.delta()
        if delta is None:
            return {"window_s": 0, "orders_per_s": None, "ack_p95_ms": None}
        seconds, growth = delta
        p95 = bucket_quantile(0.95, growth)
        return {
            "window_s": round(seconds),
            "orders_per_s": round(growth["posts"] / seconds, 2),
            "ack_p95_ms": None if p95 is None else round(p95 * 1000, 1),
        }

    def _database_figures(self, column: Column, figures: dict, problems: list[str]) -> None:
        try:
            orders = self._databases.order_figures(column.order_database, PENDING_AFTER_S * 2)
            figures["orders"] = {
                "by_status": orders.by_status,
                "pending": orders.by_status.get("PENDING", 0),
                "oldest_pending_s": orders.oldest_pending_s,
                "finished_last_minute": orders.finished_last_minute,
                "placed_to_final_p95_ms": orders.completion_p95_ms,
            }
            stock = self._databases.stock(column.stock_database)
            figures["stock"] = {sku: stock.get(sku) for sku in SHOWN_SKUS}
            if column.variant == "event_driven":
                figures["unpublished_events"] = sum(
                    self._databases.unpublished_events(db) for db in column.databases
                )
        except DatabaseUnavailable as error:
            problems.append(str(error))

    def _payment_fault(self, column: Column, problems: list[str]) -> dict | None:
        url = column.units.get(column.payment_unit)
        if url is None:
            return None
        try:
            response = self._http.get(f"{url}/admin/payment-fault", timeout=1.0)
            response.raise_for_status()
            return response.json()
        except httpx.HTTPError as error:
            problems.append(f"{column.payment_unit} payment fault: {error}")
            return None

    def _mesh_figures(self, column: Column, now: float, problems: list[str]) -> dict | None:
        try:
            response = self._http.get(f"{column.mesh_url}/admin/counters", timeout=2.0)
            response.raise_for_status()
            self._mesh.add(now, summed_counters(response.json()))
        except (httpx.HTTPError, KeyError, ValueError) as error:
            problems.append(f"mesh counters: {error}")
            return None
        mesh, orders = self._mesh.delta(), self._orders[column.variant].delta()
        if mesh is None:
            return {"attempts_per_order": None, "retries": 0}
        placed = orders[1]["posts"] if orders else 0
        return {
            "window_s": round(mesh[0]),
            "attempts_per_order": round(mesh[1]["attempts"] / placed, 2) if placed else None,
            "retries": int(mesh[1]["retries"]),
            "per_try_timeouts": int(mesh[1]["per_try_timeouts"]),
            "injected_faults": int(mesh[1]["injected_faults"]),
        }

    def _audit(self, column: Column) -> dict[str, Any]:
        at = datetime.now(UTC)
        try:
            report = audit_variant(column.variant, self._databases.connector(), at, PENDING_AFTER_S)
        except AuditError as error:
            return {"at": at.isoformat(), "error": str(error)}
        found = {kind.value: finding.count for kind, finding in report.found.items()}
        return {
            "at": at.isoformat(),
            "anomalies": found,
            "total": sum(found.values()),
            "examples": {
                kind.value: finding.examples[:2] for kind, finding in report.found.items()
            },
        }
