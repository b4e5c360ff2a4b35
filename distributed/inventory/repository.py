"""SQL for the inventory service, on one connection that the unit of work owns."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from sqlalchemy import any_, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert

from distributed.inventory.tables import products, reservation_lines, reservations
from service_kit.sql import compile_sql
from shop.order_request import RequestedLine

_LOCK_STOCK = compile_sql(
    select(products.c.sku, products.c.stock)
    .where(products.c.sku == any_(bindparam("skus")))
    .order_by(products.c.sku)
    .with_for_update(key_share=True)
)
_CHANGE_STOCK = compile_sql(
    update(products)
    .where(products.c.sku == bindparam("b_sku"))
    .values(stock=products.c.stock + bindparam("b_change"))
)
_ADD_RESERVATION = compile_sql(insert(reservations))
_ADD_RESERVATION_LINE = compile_sql(insert(reservation_lines))
_RESERVATION_FOR_UPDATE = compile_sql(
    select(reservations).where(reservations.c.id == bindparam("id")).with_for_update()
)
_RESERVATION_LINES = compile_sql(
    select(reservation_lines.c.sku, reservation_lines.c.quantity)
    .where(reservation_lines.c.reservation_id == bindparam("id"))
    .order_by(reservation_lines.c.sku)
)
_RELEASE = compile_sql(
    update(reservations)
    .where(reservations.c.id == bindparam("b_id"))
    .values(status=bindparam("status"), released_at=bindparam("released_at"))
)
_FOR_ORDER = compile_sql(
    select(reservations)
    .where(reservations.c.order_id == bindparam("order_id"))
    .order_by(reservations.c.created_at)
)
_PRODUCTS = compile_sql(select(products).order_by(products.c.sku))


class InventoryRepository:
    def __init__(self, connection: AsyncConnection[dict]):
        self._db = connection

    async def lock_stock(self, skus: list[str]) -> dict[str, int]:
        """Lock the stock rows in SKU order, so two reservations never deadlock."""
        rows = await (await self._db.execute(_LOCK_STOCK, {"skus": sorted(skus)})).fetchall()
        return {row["sku"]: row["stock"] for row in rows}

    async def change_stock(self, changes: list[tuple[str, int]]) -> None:
        async with self._db.cursor() as cursor:
            await cursor.executemany(
                _CHANGE_STOCK, [{"b_sku": sku, "b_change": change} for sku, change in changes]
            )

    async def add_reservation(
        self,
        reservation_id: uuid.UUID,
        order_id: uuid.UUID,
        lines: tuple[RequestedLine, ...],
        now: datetime,
    ) -> None:
        await self._db.execute(
            _ADD_RESERVATION,
            {
                "id": reservation_id,
                "order_id": order_id,
                "status": "RESERVED",
                "created_at": now,
                "released_at": None,
            },
        )
        async with self._db.cursor() as cursor:
            await cursor.executemany(
                _ADD_RESERVATION_LINE,
                [
                    {"reservation_id": reservation_id, "sku": line.sku, "quantity": line.quantity}
                    for line in lines
                ],
            )

    async def lock_reservation(self, reservation_id: uuid.UUID) -> dict[str, Any] | None:
        return await (
            await self._db.execute(_RESERVATION_FOR_UPDATE, {"id": reservation_id})
        ).fetchone()

    async def reservation_lines(self, reservation_id: uuid.UUID) -> list[tuple[str, int]]:
        rows = await (await self._db.execute(_RESERVATION_LINES, {"id": reservation_id})).fetchall()
        return [(row["sku"], row["quantity"]) for row in rows]

    async def mark_released(self, reservation_id: uuid.UUID, now: datetime) -> None:
        await self._db.execute(
            _RELEASE, {"b_id": reservation_id, "status": "RELEASED", "released_at": now}
        )

    async def reservations_for_order(self, order_id: uuid.UUID) -> list[dict[str, Any]]:
        return await (await self._db.execute(_FOR_ORDER, {"order_id": order_id})).fetchall()

    async def list_products(self) -> list[dict[str, Any]]:
        return await (await self._db.execute(_PRODUCTS)).fetchall()
