"""SQL for the monolith's order flow, on one connection that the unit of work owns."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from psycopg import AsyncConnection
from sqlalchemy import any_, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert

from monolith.tables import (
    notifications,
    order_lines,
    order_timeline,
    orders,
    payments,
    products,
    shipments,
)
from service_kit.sql import compile_sql
from shop.order_view import OrderView, PaymentView, ShipmentView, TimelineEntry
from shop.pricing import PricedLine, line_records
from shop.status import OrderStatus


@dataclass(frozen=True)
class ProductRow:
    sku: str
    name: str
    price_cents: int
    stock: int


@dataclass(frozen=True)
class StoredOrder:
    view: OrderView
    request_fingerprint: str | None


def _by_order(table):
    return select(table).where(table.c.order_id == bindparam("order_id"))


_CLAIM = compile_sql(
    insert(orders).on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(orders.c.id)
)
# NO KEY UPDATE: the strongest lock the stock update needs, and one that does not
# block the foreign-key checks of other orders' lines on the same products.
_LOCK_STOCK = compile_sql(
    select(products.c.sku, products.c.stock)
    .where(products.c.sku == any_(bindparam("skus")))
    .order_by(products.c.sku)
    .with_for_update(key_share=True)
)
_TAKE_STOCK = compile_sql(
    update(products)
    .where(products.c.sku == bindparam("b_sku"))
    .values(stock=products.c.stock - bindparam("b_quantity"))
)
_ADD_LINE = compile_sql(insert(order_lines))
_ADD_PAYMENT = compile_sql(insert(payments))
_ADD_SHIPMENT = compile_sql(insert(shipments))
_ADD_NOTIFICATION = compile_sql(insert(notifications))
_ADD_TIMELINE_ENTRY = compile_sql(insert(order_timeline))
_FINISH = compile_sql(
    update(orders)
    .where(orders.c.id == bindparam("b_id"))
    .values(
        status=bindparam("status"),
        reason_code=bindparam("reason_code"),
        reason=bindparam("reason"),
        updated_at=bindparam("updated_at"),
    )
)
_ORDER = compile_sql(select(orders).where(orders.c.id == bindparam("order_id")))
_ORDER_BY_KEY = compile_sql(
    select(orders.c.id, orders.c.request_fingerprint).where(
        orders.c.idempotency_key == bindparam("key")
    )
)
_LINES = compile_sql(_by_order(order_lines).order_by(order_lines.c.sku))
_PAYMENT = compile_sql(_by_order(payments))
_SHIPMENT = compile_sql(_by_order(shipments))
_TIMELINE = compile_sql(_by_order(order_timeline).order_by(order_timeline.c.seq))
_PRODUCTS = compile_sql(select(products).order_by(products.c.sku))


class OrderRepository:
    """Each write is one round trip (psycopg pipelines executemany). Rows come as dicts."""

    def __init__(self, connection: AsyncConnection[dict]):
        self._db = connection

    async def claim(
        self,
        order_id: uuid.UUID,
        customer_id: str,
        total_cents: int,
        idempotency_key: str | None,
        fingerprint: str,
        now: datetime,
    ) -> bool:
        """Insert the order as PENDING. False if the idempotency key is already taken.

        A concurrent request with the same key waits here on the unique index
        until the first one commits, then sees the conflict.
        """
        row = {
            "id": order_id,
            "customer_id": customer_id,
            "status": OrderStatus.PENDING.value,
            "total_cents": total_cents,
            "reason_code": None,
            "reason": None,
            "idempotency_key": idempotency_key,
            "request_fingerprint": fingerprint,
            "created_at": now,
            "updated_at": now,
        }
        cursor = await self._db.execute(_CLAIM, row)
        return await cursor.fetchone() is not None

    async def lock_stock(self, skus: list[str]) -> dict[str, int]:
        """Lock the stock rows in a fixed order (by SKU) so two orders never deadlock."""
        rows = await (await self._db.execute(_LOCK_STOCK, {"skus": skus})).fetchall()
        return {row["sku"]: row["stock"] for row in rows}

    async def add_lines(self, order_id: uuid.UUID, lines: tuple[PricedLine, ...]) -> None:
        async with self._db.cursor() as cursor:
            await cursor.executemany(_ADD_LINE, line_records(order_id, lines))

    async def take_stock(self, lines: tuple[PricedLine, ...]) -> None:
        async with self._db.cursor() as cursor:
            await cursor.executemany(
                _TAKE_STOCK, [{"b_sku": line.sku, "b_quantity": line.quantity} for line in lines]
            )

    async def add_payment(self, order_id: uuid.UUID, payment: PaymentView, now: datetime) -> None:
        await self._db.execute(
            _ADD_PAYMENT,
            {
                "id": uuid.uuid4(),
                "order_id": order_id,
                "status": payment.status,
                "amount_cents": payment.amount_cents,
                "provider_reference": payment.provider_reference,
                "created_at": now,
            },
        )

    async def add_shipment(
        self, order_id: uuid.UUID, shipment: ShipmentView, now: datetime
    ) -> None:
        await self._db.execute(
            _ADD_SHIPMENT,
            {"id": shipment.id, "order_id": order_id, "status": shipment.status, "created_at": now},
        )

    async def add_notification(
        self, order_id: uuid.UUID, channel: str, message: str, now: datetime
    ) -> None:
        await self._db.execute(
            _ADD_NOTIFICATION,
            {
                "id": uuid.uuid4(),
                "order_id": order_id,
                "channel": channel,
                "message": message,
                "created_at": now,
            },
        )

    async def finish(
        self,
        order_id: uuid.UUID,
        status: OrderStatus,
        timeline: list[TimelineEntry],
        now: datetime,
        reason_code: str | None = None,
        reason: str | None = None,
    ) -> None:
        async with self._db.cursor() as cursor:
            await cursor.executemany(
                _ADD_TIMELINE_ENTRY,
                [
                    {
                        "order_id": order_id,
                        "seq": seq,
                        "step": entry.step,
                        "service": entry.service,
                        "at": entry.at,
                        "detail": entry.detail,
                    }
                    for seq, entry in enumerate(timeline)
                ],
            )
        await self._db.execute(
            _FINISH,
            {
                "b_id": order_id,
                "status": status.value,
                "reason_code": reason_code,
                "reason": reason,
                "updated_at": now,
            },
        )

    async def find_by_idempotency_key(self, key: str) -> StoredOrder | None:
        row = await (await self._db.execute(_ORDER_BY_KEY, {"key": key})).fetchone()
        if row is None:
            return None
        view = await self.get(row["id"])
        assert view is not None
        return StoredOrder(view, row["request_fingerprint"])

    async def get(self, order_id: uuid.UUID) -> OrderView | None:
        order = await (await self._db.execute(_ORDER, {"order_id": order_id})).fetchone()
        if order is None:
            return None
        key = {"order_id": order_id}
        lines = await (await self._db.execute(_LINES, key)).fetchall()
        payment = await (await self._db.execute(_PAYMENT, key)).fetchone()
        shipment = await (await self._db.execute(_SHIPMENT, key)).fetchone()
        timeline = await (await self._db.execute(_TIMELINE, key)).fetchall()
        return OrderView(
            id=order["id"],
            customer_id=order["customer_id"],
            status=OrderStatus(order["status"]),
            lines=tuple(
                PricedLine(line["sku"], line["name"], line["quantity"], line["unit_price_cents"])
                for line in lines
            ),
            created_at=order["created_at"],
            updated_at=order["updated_at"],
            reason_code=order["reason_code"],
            reason=order["reason"],
            payment=None
            if payment is None
            else PaymentView(
                payment["status"], payment["amount_cents"], payment["provider_reference"]
            ),
            shipment=None if shipment is None else ShipmentView(shipment["id"], shipment["status"]),
            timeline=tuple(
                TimelineEntry(entry["step"], entry["service"], entry["at"], entry["detail"])
                for entry in timeline
            ),
        )

    async def list_products(self) -> list[ProductRow]:
        rows = await (await self._db.execute(_PRODUCTS)).fetchall()
        return [ProductRow(r["sku"], r["name"], r["price_cents"], r["stock"]) for r in rows]
