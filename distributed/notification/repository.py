"""SQL for the notification service, on one connection that the unit of work owns."""

from __future__ import annotations

import uuid
from typing import Any

from psycopg import AsyncConnection
from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert

from distributed.notification.tables import notifications
from service_kit.sql import compile_sql

_ADD = compile_sql(insert(notifications))
_FOR_ORDER = compile_sql(
    select(notifications)
    .where(notifications.c.order_id == bindparam("order_id"))
    .order_by(notifications.c.created_at)
)


class NotificationRepository:
    def __init__(self, connection: AsyncConnection[dict]):
        self._db = connection

    async def add(self, notification: dict[str, Any]) -> None:
        await self._db.execute(_ADD, notification)

    async def for_order(self, order_id: uuid.UUID) -> list[dict[str, Any]]:
        return await (await self._db.execute(_FOR_ORDER, {"order_id": order_id})).fetchall()
