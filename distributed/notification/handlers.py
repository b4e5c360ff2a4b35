"""Recording customer notifications (simulated: recorded, never sent)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from distributed.notification.repository import NotificationRepository
from service_kit.unit_of_work import SqlUnitOfWork
from shop.contracts import NotificationRequest

UnitOfWorkFactory = Callable[[], SqlUnitOfWork[NotificationRepository]]


def notification_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "order_id": str(row["order_id"]),
        "customer_id": row["customer_id"],
        "channel": row["channel"],
        "message": row["message"],
        "created_at": row["created_at"].isoformat(),
    }


async def notify(
    new_unit_of_work: UnitOfWorkFactory, request: NotificationRequest
) -> dict[str, Any]:
    row = {
        "id": uuid.uuid4(),
        "order_id": request.order_id,
        "customer_id": request.customer_id,
        "channel": "email",
        "message": request.message,
        "created_at": datetime.now(UTC),
    }
    async with new_unit_of_work() as uow:
        await uow.repository.add(row)
        await uow.commit()
    return notification_json(row)


async def notifications_for_order(
    new_unit_of_work: UnitOfWorkFactory, order_id: uuid.UUID
) -> list[dict[str, Any]]:
    async with new_unit_of_work() as uow:
        return [notification_json(row) for row in await uow.repository.for_order(order_id)]
