"""Creating and cancelling shipments (simulated: nothing leaves the building)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from distributed.fulfillment.repository import FulfillmentRepository
from service_kit.unit_of_work import SqlUnitOfWork
from shop.contracts import ShipmentRequest
from shop.errors import Conflict, NotFound

UnitOfWorkFactory = Callable[[], SqlUnitOfWork[FulfillmentRepository]]


def shipment_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "order_id": str(row["order_id"]),
        "status": row["status"],
        "created_at": row["created_at"].isoformat(),
        "cancelled_at": row["cancelled_at"].isoformat() if row["cancelled_at"] else None,
    }


async def create_shipment(
    new_unit_of_work: UnitOfWorkFactory, request: ShipmentRequest
) -> dict[str, Any]:
    row = {
        "id": uuid.uuid4(),
        "order_id": request.order_id,
        "status": "CREATED",
        "created_at": datetime.now(UTC),
        "cancelled_at": None,
    }
    async with new_unit_of_work() as uow:
        await uow.repository.add(row, request.lines)
        await uow.commit()
    return shipment_json(row)


async def cancel_shipment(
    new_unit_of_work: UnitOfWorkFactory, shipment_id: uuid.UUID
) -> dict[str, Any]:
    async with new_unit_of_work() as uow:
        row = await uow.repository.lock(shipment_id)
        if row is None:
            raise NotFound(f"no shipment with id {shipment_id}")
        if row["status"] != "CREATED":
            raise Conflict(f"shipment {shipment_id} is already {row['status']}")
        now = datetime.now(UTC)
        await uow.repository.mark_cancelled(shipment_id, now)
        await uow.commit()
    return shipment_json(row | {"status": "CANCELLED", "cancelled_at": now})


async def shipments_for_order(
    new_unit_of_work: UnitOfWorkFactory, order_id: uuid.UUID
) -> list[dict[str, Any]]:
    async with new_unit_of_work() as uow:
        return [shipment_json(row) for row in await uow.repository.for_order(order_id)]
