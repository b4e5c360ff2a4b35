"""SQL for the monolith's order flow, on one connection that the unit of work owns."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from monolith.tables import (
    notifications,
    order_lines,
    order_timeline,
    orders,
    payments,
    products,
    shipments,
)
from shop.order_view import OrderView, PaymentView, ShipmentView, TimelineEntry
from shop.pricing import PricedLine
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


# Statements built once: SQLAlchemy caches their compiled form, and every call only
# binds new parameters (a .values(...) with literals would be compiled per call).
_claim = (
    insert(orders).on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(orders.c.id)
)
_add_line = insert(order_lines)
_add_payment = insert(payments)
_add_shipment = insert(shipments)
_add_notification = insert(notifications)
_add_timeline_entry = insert(order_timeline)
_finish = update(orders).where(orders.c.id == bindparam("b_id"))
_take_stock = (
    update(products)
    .where(products.c.sku == bindparam("b_sku"))
    .values(stock=products.c.stock - bindparam("b_quantity"))
)


class OrderRepository:
    def __init__(self, connection: AsyncConnection):
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
            "idempotency_key": idempotency_key,
            "request_fingerprint": fingerprint,
            "created_at": now,
            "updated_at": now,
        }
        return (await self._db.execute(_claim, row)).first() is not None

    async def add_lines(self, order_id: uuid.UUID, lines: tuple[PricedLine, ...]) -> None:
        await self._db.execute(
            _add_line,
            [
                {
                    "order_id": order_id,
                    "sku": line.sku,
                    "name": line.name,
                    "quantity": line.quantity,
                    "unit_price_cents": line.unit_price_cents,
                }
                for line in lines
            ],
        )

    async def lock_stock(self, skus: list[str]) -> dict[str, int]:
        """Lock the stock rows in a fixed order (by SKU) so two orders never deadlock.

        NO KEY UPDATE: the strongest lock the stock update needs, and one that
        does not block foreign-key checks of other orders' lines.
        """
        rows = await self._db.execute(
            select(products.c.sku, products.c.stock)
            .where(products.c.sku.in_(skus))
            .order_by(products.c.sku)
            .with_for_update(key_share=True)
        )
        return {row.sku: row.stock for row in rows}

    async def take_stock(self, lines: tuple[PricedLine, ...]) -> None:
        await self._db.execute(
            _take_stock, [{"b_sku": line.sku, "b_quantity": line.quantity} for line in lines]
        )

    async def add_payment(self, order_id: uuid.UUID, payment: PaymentView, now: datetime) -> None:
        await self._db.execute(
            _add_payment,
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
            _add_shipment,
            {"id": shipment.id, "order_id": order_id, "status": shipment.status, "created_at": now},
        )

    async def add_notification(
        self, order_id: uuid.UUID, channel: str, message: str, now: datetime
    ) -> None:
        await self._db.execute(
            _add_notification,
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
        await self._db.execute(
            _add_timeline_entry,
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
            _finish,
            {
                "b_id": order_id,
                "status": status.value,
                "reason_code": reason_code,
                "reason": reason,
                "updated_at": now,
            },
        )

    async def find_by_idempotency_key(self, key: str) -> StoredOrder | None:
        row = (
            await self._db.execute(
                select(orders.c.id, orders.c.request_fingerprint).where(
                    orders.c.idempotency_key == key
                )
            )
        ).first()
        if row is None:
            return None
        view = await self.get(row.id)
        assert view is not None
        return StoredOrder(view, row.request_fingerprint)

    async def get(self, order_id: uuid.UUID) -> OrderView | None:
        order = (await self._db.execute(select(orders).where(orders.c.id == order_id))).first()
        if order is None:
            return None
        lines = await self._db.execute(
            select(order_lines)
            .where(order_lines.c.order_id == order_id)
            .order_by(order_lines.c.sku)
        )
        payment = (
            await self._db.execute(select(payments).where(payments.c.order_id == order_id))
        ).first()
        shipment = (
            await self._db.execute(select(shipments).where(shipments.c.order_id == order_id))
        ).first()
        timeline = await self._db.execute(
            select(order_timeline)
            .where(order_timeline.c.order_id == order_id)
            .order_by(order_timeline.c.seq)
        )
        return OrderView(
            id=order.id,
            customer_id=order.customer_id,
            status=OrderStatus(order.status),
            lines=tuple(
                PricedLine(line.sku, line.name, line.quantity, line.unit_price_cents)
                for line in lines
            ),
            created_at=order.created_at,
            updated_at=order.updated_at,
            reason_code=order.reason_code,
            reason=order.reason,
            payment=None
            if payment is None
            else PaymentView(payment.status, payment.amount_cents, payment.provider_reference),
            shipment=None if shipment is None else ShipmentView(shipment.id, shipment.status),
            timeline=tuple(
                TimelineEntry(entry.step, entry.service, entry.at, entry.detail)
                for entry in timeline
            ),
        )

    async def list_products(self) -> list[ProductRow]:
        rows = await self._db.execute(select(products).order_by(products.c.sku))
        return [ProductRow(row.sku, row.name, row.price_cents, row.stock) for row in rows]
