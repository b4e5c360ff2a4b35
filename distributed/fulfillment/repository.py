"""SQL for the fulfillment service, on one connection that the unit of work owns."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert

from distributed.fulfillment.tables import shipment_lines, shipments
from service_kit.sql import compile_sql
from shop.order_request import RequestedLine

_ADD = compile_sql(insert(shipments))
_ADD_LINE = compile_sql(insert(shipment_lines))
_LOCK = compile_sql(select(shipments).where(shipments.c.id == bindparam("id")).with_for_update())
_CANCEL = compile_sql(
    update(shipments)
    .where(shipments.c.id == bindparam("b_id"))
    .values(status=bindparam("status"), cancelled_at=bindparam("cancelled_at"))
)
_FOR_ORDER = compile_sql(
    select(shipments)
    .where(shipments.c.order_id == bindparam("order_id"))
    .order_by(shipments.c.created_at)
)


class FulfillmentRepository:
    def __init__(self, connection: AsyncConnection[dict]):
        self._db = connection

    async def add(self, shipment: dict[str, Any], lines: tuple[RequestedLine, ...]) -> None:
        await self._db.execute(_ADD, shipment)
        async with self._db.cursor() as cursor:
            await cursor.executemany(
                _ADD_LINE,
                [
                    {"shipment_id": shipment["id"], "sku": line.sku, "quantity": line.quantity}
                    for line in lines
                ],
            )

    async def lock(self, shipment_id: uuid.UUID) -> dict[str, Any] | None:
        return await (await self._db.execute(_LOCK, {"id": shipment_id})).fetchone()

    async def mark_cancelled(self, shipment_id: uuid.UUID, now: datetime) -> None:
        await self._db.execute(
            _CANCEL, {"b_id": shipment_id, "status": "CANCELLED", "cancelled_at": now}
        )

    async def for_order(self, order_id: uuid.UUID) -> list[dict[str, Any]]:
        return await (await self._db.execute(_FOR_ORDER, {"order_id": order_id})).fetchall()
