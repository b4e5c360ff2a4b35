"""SQL for the payment service."""

from __future__ import annotations

import uuid
from typing import Any

from psycopg import Connection
from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert

from event_driven.payment.tables import payments
from service_kit.sql import compile_sql

_ADD = compile_sql(insert(payments).on_conflict_do_nothing().returning(payments.c.order_id))
_FOR_ORDER = compile_sql(select(payments).where(payments.c.order_id == bindparam("order_id")))


class PaymentRepository:
    def __init__(self, connection: Connection[dict]):
        self._db = connection

    def add(self, payment: dict[str, Any]) -> bool:
        """False if the order already has a payment."""
        return self._db.execute(_ADD, payment).fetchone() is not None

    def for_order(self, order_id: uuid.UUID) -> dict[str, Any] | None:
        return self._db.execute(_FOR_ORDER, {"order_id": order_id}).fetchone()


class PaymentReads:
    def __init__(self, connection):
        self._db = connection

    async def for_order(self, order_id: uuid.UUID) -> dict[str, Any] | None:
        return await (await self._db.execute(_FOR_ORDER, {"order_id": order_id})).fetchone()
