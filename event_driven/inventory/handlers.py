"""The inventory service's reactions: reserve on OrderPlaced, release on PaymentFailed."""

from __future__ import annotations

from datetime import UTC, datetime

from psycopg import Connection

from event_driven.inventory.config import UNIT
from event_driven.inventory.repository import InventoryRepository
from event_driven.reactions import emit
from service_kit.events.envelope import Event
from shop.errors import OutOfStock
from shop.saga_events import (
    ORDER_PLACED,
    PAYMENT_FAILED,
    STOCK_REJECTED,
    STOCK_RELEASED,
    STOCK_RESERVED,
    lines_data,
    lines_of,
)


def handle(connection: Connection, event: Event) -> None:
    if event.type == ORDER_PLACED:
        reserve(connection, event)
    elif event.type == PAYMENT_FAILED:
        release(connection, event)


def reserve(connection: Connection, event: Event) -> None:
    repository = InventoryRepository(connection)
    lines = lines_of(dict(event.data))
    stock = repository.lock_stock([line.sku for line in lines])
    for line in lines:
        if stock.get(line.sku, 0) < line.quantity:
            refused = OutOfStock(line.sku, line.quantity, stock.get(line.sku, 0))
            emit(
                connection,
                event,
                STOCK_REJECTED,
                UNIT,
                {"reason_code": refused.code, "reason": refused.message},
            )
            return
    if not repository.add_reservation(event.order_id, lines, datetime.now(UTC)):
        return  # this order's stock is already reserved: never take it twice
    repository.change_stock([(line.sku, -line.quantity) for line in lines])
    emit(
        connection,
        event,
        STOCK_RESERVED,
        UNIT,
        {
            "customer_id": event.data["customer_id"],
            "lines": lines_data(lines),
            "total_cents": event.data["total_cents"],
            "payment_token": event.data["payment_token"],
        },
    )


def release(connection: Connection, event: Event) -> None:
    """Compensation: give the stock back, then say so, so that the order can end."""
    repository = InventoryRepository(connection)
    reservation = repository.lock_reservation(event.order_id)
    if reservation is None or reservation["status"] != "RESERVED":
        return  # nothing reserved, or already released
    lines = repository.reservation_lines(event.order_id)
    repository.lock_stock([sku for sku, _ in lines])
    repository.change_stock(lines)
    repository.mark_released(event.order_id, datetime.now(UTC))
    emit(
        connection,
        event,
        STOCK_RELEASED,
        UNIT,
        {"reason_code": event.data["reason_code"], "reason": event.data["reason"]},
    )
