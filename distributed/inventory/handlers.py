"""Reserving and releasing stock. Each call is its own local transaction, and that is all."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from distributed.inventory.repository import InventoryRepository
from service_kit.unit_of_work import SqlUnitOfWork
from shop.errors import Conflict, NotFound, OutOfStock
from shop.order_request import RequestedLine

UnitOfWorkFactory = Callable[[], SqlUnitOfWork[InventoryRepository]]


def _reservation_json(row: dict[str, Any], lines: list[tuple[str, int]]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "order_id": str(row["order_id"]),
        "status": row["status"],
        "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines],
        "created_at": row["created_at"].isoformat(),
        "released_at": row["released_at"].isoformat() if row["released_at"] else None,
    }


async def reserve(
    new_unit_of_work: UnitOfWorkFactory, order_id: uuid.UUID, lines: tuple[RequestedLine, ...]
) -> dict[str, Any]:
    async with new_unit_of_work() as uow:
        stock = await uow.repository.lock_stock([line.sku for line in lines])
        for line in lines:
            if stock.get(line.sku, 0) < line.quantity:
                raise OutOfStock(line.sku, line.quantity, stock.get(line.sku, 0))
        reservation_id, now = uuid.uuid4(), datetime.now(UTC)
        await uow.repository.change_stock([(line.sku, -line.quantity) for line in lines])
        await uow.repository.add_reservation(reservation_id, order_id, lines, now)
        await uow.commit()
    row = {"id": reservation_id, "order_id": order_id, "status": "RESERVED"}
    row |= {"created_at": now, "released_at": None}
    return _reservation_json(row, [(line.sku, line.quantity) for line in lines])


async def release(new_unit_of_work: UnitOfWorkFactory, reservation_id: uuid.UUID) -> dict[str, Any]:
    async with new_unit_of_work() as uow:
        row = await uow.repository.lock_reservation(reservation_id)
        if row is None:
            raise NotFound(f"no reservation with id {reservation_id}")
        if row["status"] != "RESERVED":
            raise Conflict(f"reservation {reservation_id} is already {row['status']}")
        lines = await uow.repository.reservation_lines(reservation_id)
        now = datetime.now(UTC)
        await uow.repository.lock_stock([sku for sku, _ in lines])
        await uow.repository.change_stock(lines)
        await uow.repository.mark_released(reservation_id, now)
        await uow.commit()
    return _reservation_json(row | {"status": "RELEASED", "released_at": now}, lines)


async def reservations_for_order(
    new_unit_of_work: UnitOfWorkFactory, order_id: uuid.UUID
) -> list[dict[str, Any]]:
    async with new_unit_of_work() as uow:
        rows = await uow.repository.reservations_for_order(order_id)
        return [
            _reservation_json(row, await uow.repository.reservation_lines(row["id"]))
            for row in rows
        ]


async def list_products(new_unit_of_work: UnitOfWorkFactory) -> list[dict[str, Any]]:
    async with new_unit_of_work() as uow:
        rows = await uow.repository.list_products()
    return [
        {"sku": r["sku"], "name": r["name"], "price_cents": r["price_cents"], "stock": r["stock"]}
        for r in rows
    ]
