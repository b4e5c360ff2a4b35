"""SQL for the payment service, on one connection that the unit of work owns."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert

from distributed.payment.tables import payments
from service_kit.sql import compile_sql

_ADD = compile_sql(insert(payments))
_LOCK = compile_sql(select(payments).where(payments.c.id == bindparam("id")).with_for_update())
_REFUND = compile_sql(
    update(payments)
    .where(payments.c.id == bindparam("b_id"))
    .values(status=bindparam("status"), refunded_at=bindparam("refunded_at"))
)
_FOR_ORDER = compile_sql(
    select(payments)
    .where(payments.c.order_id == bindparam("order_id"))
    .order_by(payments.c.created_at)
)


class PaymentRepository:
    def __init__(self, connection: AsyncConnection[dict]):
        self._db = connection

    async def add(self, payment: dict[str, Any]) -> None:
        await self._db.execute(_ADD, payment)

    async def lock(self, payment_id: uuid.UUID) -> dict[str, Any] | None:
        return await (await self._db.execute(_LOCK, {"id": payment_id})).fetchone()

    async def mark_refunded(self, payment_id: uuid.UUID, now: datetime) -> None:
        await self._db.execute(
            _REFUND, {"b_id": payment_id, "status": "REFUNDED", "refunded_at": now}
        )

    async def for_order(self, order_id: uuid.UUID) -> list[dict[str, Any]]:
        return await (await self._db.execute(_FOR_ORDER, {"order_id": order_id})).fetchall()
