"""SQL for the order service: async for the HTTP API, sync for the event handler."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection, Connection
from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert

from event_driven.order.tables import order_lines, order_timeline, orders, products
from service_kit.sql import compile_sql
from shop.order_view import OrderView, PaymentView, ShipmentView, TimelineEntry
from shop.pricing import PricedLine, line_records
from shop.status import OrderStatus

_CLAIM = compile_sql(
    insert(orders).on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(orders.c.id)
)
_ADD_LINE = compile_sql(insert(order_lines))
_ADD_ENTRY = compile_sql(
    insert(order_timeline).values(
        order_id=bindparam("order_id"),
        step=bindparam("step"),
        service=bindparam("service"),
        at=bindparam("at"),
        detail=bindparam("detail"),
    )
)
_ORDER = compile_sql(select(orders).where(orders.c.id == bindparam("order_id")))
_LOCK_ORDER = compile_sql(
    select(orders).where(orders.c.id == bindparam("order_id")).with_for_update()
)
_ORDER_BY_KEY = compile_sql(select(orders).where(orders.c.idempotency_key == bindparam("key")))
_LINES = compile_sql(
    select(order_lines)
    .where(order_lines.c.order_id == bindparam("order_id"))
    .order_by(order_lines.c.sku)
)
_TIMELINE = compile_sql(
    select(order_timeline)
    .where(order_timeline.c.order_id == bindparam("order_id"))
    .order_by(order_timeline.c.at, order_timeline.c.id)
)
_UPDATE = compile_sql(
    update(orders)
    .where(orders.c.id == bindparam("b_id"))
    .values(
        status=bindparam("status"),
        reason_code=bindparam("reason_code"),
        reason=bindparam("reason"),
        payment_amount_cents=bindparam("payment_amount_cents"),
        provider_reference=bindparam("provider_reference"),
        shipment_id=bindparam("shipment_id"),
        updated_at=bindparam("updated_at"),
    )
)
_CHANGE_STOCK = compile_sql(
    update(products)
    .where(products.c.sku == bindparam("b_sku"))
    .values(stock=products.c.stock + bindparam("b_change"))
)
_PRODUCTS = compile_sql(select(products).order_by(products.c.sku))


def to_view(
    order: dict[str, Any], lines: list[dict[str, Any]], timeline: list[dict[str, Any]]
) -> OrderView:
    return OrderView(
        id=order["id"],
        customer_id=order["customer_id"],
        status=OrderStatus(order["status"]),
        lines=tuple(
            PricedLine(r["sku"], r["name"], r["quantity"], r["unit_price_cents"]) for r in lines
        ),
        created_at=order["created_at"],
        updated_at=order["updated_at"],
        reason_code=order["reason_code"],
        reason=order["reason"],
        payment=None
        if order["provider_reference"] is None
        else PaymentView("CAPTURED", order["payment_amount_cents"], order["provider_reference"]),
        shipment=None
        if order["shipment_id"] is None
        else ShipmentView(order["shipment_id"], "CREATED"),
        timeline=tuple(
            TimelineEntry(e["step"], e["service"], e["at"], e["detail"]) for e in timeline
        ),
    )


class OrderWrites:
    """The HTTP side: place an order (its outbox event is appended by the caller)."""

    def __init__(self, connection: AsyncConnection[dict]):
        self._db = connection

    async def claim(self, order: dict[str, Any], lines: tuple[PricedLine, ...]) -> bool:
        if await (await self._db.execute(_CLAIM, order)).fetchone() is None:
            return False
        async with self._db.cursor() as cursor:
            await cursor.executemany(_ADD_LINE, line_records(order["id"], lines))
        return True

    async def add_entry(self, order_id: uuid.UUID, entry: TimelineEntry) -> None:
        await self._db.execute(_ADD_ENTRY, _entry_row(order_id, entry))

    async def view(self, order_id: uuid.UUID) -> OrderView | None:
        order = await (await self._db.execute(_ORDER, {"order_id": order_id})).fetchone()
        if order is None:
            return None
        lines = await (await self._db.execute(_LINES, {"order_id": order_id})).fetchall()
        timeline = await (await self._db.execute(_TIMELINE, {"order_id": order_id})).fetchall()
        return to_view(order, lines, timeline)

    async def by_key(self, key: str) -> dict[str, Any] | None:
        return await (await self._db.execute(_ORDER_BY_KEY, {"key": key})).fetchone()

    async def products(self) -> list[dict[str, Any]]:
        return await (await self._db.execute(_PRODUCTS)).fetchall()


class OrderSaga:
    """The event side: what the order service records as the saga's events arrive."""

    def __init__(self, connection: Connection[dict]):
        self._db = connection

    def lock(self, order_id: uuid.UUID) -> dict[str, Any] | None:
        return self._db.execute(_LOCK_ORDER, {"order_id": order_id}).fetchone()

    def lines(self, order_id: uuid.UUID) -> list[dict[str, Any]]:
        return self._db.execute(_LINES, {"order_id": order_id}).fetchall()

    def steps(self, order_id: uuid.UUID) -> set[str]:
        return {row["step"] for row in self._db.execute(_TIMELINE, {"order_id": order_id})}

    def add_entry(self, order_id: uuid.UUID, entry: TimelineEntry) -> None:
        self._db.execute(_ADD_ENTRY, _entry_row(order_id, entry))

    def update(self, order: dict[str, Any], now: datetime) -> None:
        self._db.execute(_UPDATE, {**order, "b_id": order["id"], "updated_at": now})

    def change_stock(self, changes: list[tuple[str, int]]) -> None:
        with self._db.cursor() as cursor:
            cursor.executemany(
                _CHANGE_STOCK, [{"b_sku": sku, "b_change": change} for sku, change in changes]
            )


def _entry_row(order_id: uuid.UUID, entry: TimelineEntry) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "step": str(entry.step),
        "service": entry.service,
        "at": entry.at,
        "detail": entry.detail,
    }
