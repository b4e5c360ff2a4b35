"""SQL for the inventory service, on the connection of the event being handled."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from psycopg import Connection
from sqlalchemy import any_, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert

from event_driven.inventory.tables import products, reservation_lines, reservations
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
_ADD_RESERVATION = compile_sql(
    insert(reservations).on_conflict_do_nothing().returning(reservations.c.order_id)
)
_ADD_LINE = compile_sql(insert(reservation_lines))
_LOCK_RESERVATION = compile_sql(
    select(reservations).where(reservations.c.order_id == bindparam("order_id")).with_for_update()
)
_LINES = compile_sql(
    select(reservation_lines.c.sku, reservation_lines.c.quantity)
    .where(reservation_lines.c.order_id == bindparam("order_id"))
    .order_by(reservation_lines.c.sku)
)
_RELEASE = compile_sql(
    update(reservations)
    .where(reservations.c.order_id == bindparam("b_order_id"))
    .values(status=bindparam("status"), released_at=bindparam("released_at"))
)
_PRODUCTS = compile_sql(select(products).order_by(products.c.sku))
_FOR_ORDER = compile_sql(
    select(reservations).where(reservations.c.order_id == bindparam("order_id"))
)


class InventoryRepository:
    def __init__(self, connection: Connection[dict]):
        self._db = connection

    def lock_stock(self, skus: list[str]) -> dict[str, int]:
        """Lock the stock rows in SKU order, so two reservations never deadlock."""
        rows = self._db.execute(_LOCK_STOCK, {"skus": sorted(skus)}).fetchall()
        return {row["sku"]: row["stock"] for row in rows}

    def change_stock(self, changes: list[tuple[str, int]]) -> None:
        with self._db.cursor() as cursor:
            cursor.executemany(
                _CHANGE_STOCK, [{"b_sku": sku, "b_change": change} for sku, change in changes]
            )

    def add_reservation(
        self, order_id: uuid.UUID, lines: tuple[RequestedLine, ...], now: datetime
    ) -> bool:
        """False if the order already has a reservation."""
        row = {"order_id": order_id, "status": "RESERVED", "created_at": now, "released_at": None}
        if self._db.execute(_ADD_RESERVATION, row).fetchone() is None:
            return False
        with self._db.cursor() as cursor:
            cursor.executemany(
                _ADD_LINE,
                [{"order_id": order_id, "sku": ln.sku, "quantity": ln.quantity} for ln in lines],
            )
        return True

    def lock_reservation(self, order_id: uuid.UUID) -> dict[str, Any] | None:
        return self._db.execute(_LOCK_RESERVATION, {"order_id": order_id}).fetchone()

    def reservation_lines(self, order_id: uuid.UUID) -> list[tuple[str, int]]:
        rows = self._db.execute(_LINES, {"order_id": order_id}).fetchall()
        return [(row["sku"], row["quantity"]) for row in rows]

    def mark_released(self, order_id: uuid.UUID, now: datetime) -> None:
        self._db.execute(
            _RELEASE, {"b_order_id": order_id, "status": "RELEASED", "released_at": now}
        )


class InventoryReads:
    """Reads for the HTTP API (async)."""

    def __init__(self, connection):
        self._db = connection

    async def products(self) -> list[dict[str, Any]]:
        return await (await self._db.execute(_PRODUCTS)).fetchall()

    async def reservation(self, order_id: uuid.UUID) -> dict[str, Any] | None:
        return await (await self._db.execute(_FOR_ORDER, {"order_id": order_id})).fetchone()
