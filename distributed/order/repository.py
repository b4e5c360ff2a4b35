"""SQL for the order service, on one connection that the unit of work owns."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert

from distributed.order.tables import order_lines, order_steps, orders
from service_kit.sql import compile_sql
from shop.pricing import PricedLine, line_records

_CLAIM = compile_sql(
    insert(orders).on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(orders.c.id)
)
_ADD_LINE = compile_sql(insert(order_lines))
_ADD_STEP = compile_sql(
    insert(order_steps).values(
        order_id=bindparam("order_id"),
        step=bindparam("step"),
        detail=bindparam("detail"),
        at=bindparam("at"),
    )
)
_FINISH = compile_sql(
    update(orders)
    .where(orders.c.id == bindparam("b_id"))
    .values(
        status=bindparam("status"),
        reason_code=bindparam("reason_code"),
        reason=bindparam("reason"),
        reservation_id=bindparam("reservation_id"),
        payment_id=bindparam("payment_id"),
        shipment_id=bindparam("shipment_id"),
        updated_at=bindparam("updated_at"),
    )
)
_ORDER = compile_sql(select(orders).where(orders.c.id == bindparam("order_id")))
_ORDER_BY_KEY = compile_sql(select(orders).where(orders.c.idempotency_key == bindparam("key")))
_LINES = compile_sql(
    select(order_lines)
    .where(order_lines.c.order_id == bindparam("order_id"))
    .order_by(order_lines.c.sku)
)
_STEPS = compile_sql(
    select(order_steps)
    .where(order_steps.c.order_id == bindparam("order_id"))
    .order_by(order_steps.c.id)
)


class OrderRepository:
    def __init__(self, connection: AsyncConnection[dict]):
        self._db = connection

    async def claim(self, order: dict[str, Any], lines: tuple[PricedLine, ...]) -> bool:
        """Insert the order as PENDING with its lines; False if the idempotency key is taken."""
        if await (await self._db.execute(_CLAIM, order)).fetchone() is None:
            return False
        async with self._db.cursor() as cursor:
            await cursor.executemany(_ADD_LINE, line_records(order["id"], lines))
        return True

    async def add_step(
        self, order_id: uuid.UUID, step: str, detail: str | None, at: datetime
    ) -> None:
        await self._db.execute(
            _ADD_STEP, {"order_id": order_id, "step": step, "detail": detail, "at": at}
        )

    async def finish(self, order_id: uuid.UUID, outcome: dict[str, Any]) -> None:
        await self._db.execute(_FINISH, {"b_id": order_id, **outcome})

    async def get(self, order_id: uuid.UUID) -> dict[str, Any] | None:
        return await (await self._db.execute(_ORDER, {"order_id": order_id})).fetchone()

    async def get_by_key(self, key: str) -> dict[str, Any] | None:
        return await (await self._db.execute(_ORDER_BY_KEY, {"key": key})).fetchone()

    async def lines(self, order_id: uuid.UUID) -> tuple[PricedLine, ...]:
        rows = await (await self._db.execute(_LINES, {"order_id": order_id})).fetchall()
        return tuple(
            PricedLine(r["sku"], r["name"], r["quantity"], r["unit_price_cents"]) for r in rows
        )

    async def steps(self, order_id: uuid.UUID) -> list[dict[str, Any]]:
        return await (await self._db.execute(_STEPS, {"order_id": order_id})).fetchall()
