"""Placing an order (answered at once) and following the saga to its end.

POST /orders writes the order and its OrderPlaced event in one local
transaction (the outbox), and answers 202. The order becomes final when the
order service has seen the events that end the saga: CONFIRMED after stock,
payment, shipment and notification; REJECTED or FAILED after a refusal, or
after a failed payment *and* the stock's release (compensation done).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from psycopg import Connection

from event_driven.order.config import UNIT
from event_driven.order.repository import OrderSaga, OrderWrites
from service_kit.events.envelope import Event
from service_kit.events.outbox import append
from service_kit.unit_of_work import SqlUnitOfWork
from shop.errors import IdempotencyKeyReused, OrderNotFound
from shop.order_request import OrderRequest
from shop.order_view import OrderView, TimelineEntry
from shop.pricing import price
from shop.saga_events import (
    CUSTOMER_NOTIFIED,
    ORDER_PLACED,
    PAYMENT_FAILED,
    PAYMENT_SUCCEEDED,
    SHIPMENT_CREATED,
    STOCK_REJECTED,
    STOCK_RELEASED,
    STOCK_RESERVED,
    TOPIC_OF,
    lines_data,
)
from shop.status import OrderStatus, Step, check_transition

UnitOfWorkFactory = Callable[[], SqlUnitOfWork[OrderWrites]]


class PlacedOrder:
    def __init__(self, view: OrderView, replayed: bool = False):
        self.view = view
        self.replayed = replayed


async def place_order(
    new_unit_of_work: UnitOfWorkFactory, request: OrderRequest, key: str | None
) -> PlacedOrder:
    priced = price(request.lines)
    now = datetime.now(UTC)
    order_id = uuid.uuid4()
    row = {
        "id": order_id,
        "customer_id": request.customer_id,
        "status": OrderStatus.PENDING.value,
        "total_cents": priced.total_cents,
        "reason_code": None,
        "reason": None,
        "idempotency_key": key,
        "request_fingerprint": request.fingerprint(),
        "payment_amount_cents": None,
        "provider_reference": None,
        "shipment_id": None,
        "created_at": now,
        "updated_at": now,
    }
    placed = Event(
        type=ORDER_PLACED,
        order_id=order_id,
        producer=UNIT,
        occurred_at=now,
        data={
            "customer_id": request.customer_id,
            "lines": lines_data(request.lines),
            "total_cents": priced.total_cents,
            "payment_token": request.payment_token,
        },
    )
    async with new_unit_of_work() as uow:
        if not await uow.repository.claim(row, priced.lines):
            await uow.rollback()
            assert key is not None
            return PlacedOrder(await _replay(uow, key, request), replayed=True)
        validated = TimelineEntry(Step.VALIDATED, UNIT, now)
        await uow.repository.add_entry(order_id, validated)
        # The order and the event that starts the saga commit together, or not at all.
        await append(uow.connection, TOPIC_OF[ORDER_PLACED], placed)
        await uow.commit()
    view = OrderView(
        id=order_id,
        customer_id=request.customer_id,
        status=OrderStatus.PENDING,
        lines=priced.lines,
        created_at=now,
        updated_at=now,
        timeline=(validated,),
    )
    return PlacedOrder(view)


async def _replay(uow: SqlUnitOfWork[OrderWrites], key: str, request: OrderRequest) -> OrderView:
    stored = await uow.repository.by_key(key)
    if stored is None:
        raise IdempotencyKeyReused(f"Idempotency-Key {key!r} was used before but its order is gone")
    if stored["request_fingerprint"] != request.fingerprint():
        raise IdempotencyKeyReused(
            f"Idempotency-Key {key!r} was already used with a different request "
            f"(order {stored['id']}); use a new key for a new order"
        )
    view = await uow.repository.view(stored["id"])
    assert view is not None
    return view


async def get_order(new_unit_of_work: UnitOfWorkFactory, order_id: uuid.UUID) -> OrderView:
    async with new_unit_of_work() as uow:
        view = await uow.repository.view(order_id)
    if view is None:
        raise OrderNotFound(f"no order with id {order_id}")
    return view


async def list_products(new_unit_of_work: UnitOfWorkFactory) -> list[dict[str, Any]]:
    async with new_unit_of_work() as uow:
        rows = await uow.repository.products()
    return [
        {"sku": r["sku"], "name": r["name"], "price_cents": r["price_cents"], "stock": r["stock"]}
        for r in rows
    ]


# What each saga event means for the order: the timeline step it adds.
_STEP_OF = {
    STOCK_RESERVED: Step.STOCK_RESERVED,
    STOCK_REJECTED: Step.STOCK_REJECTED,
    STOCK_RELEASED: Step.STOCK_RELEASED,
    PAYMENT_SUCCEEDED: Step.PAYMENT_CHARGED,
    SHIPMENT_CREATED: Step.SHIPMENT_CREATED,
    CUSTOMER_NOTIFIED: Step.CUSTOMER_NOTIFIED,
}
_CONFIRMING_STEPS = {
    Step.STOCK_RESERVED,
    Step.PAYMENT_CHARGED,
    Step.SHIPMENT_CREATED,
    Step.CUSTOMER_NOTIFIED,
}


def saga_follower(on_final: Callable[[str], None]) -> Callable[[Connection, Event], None]:
    """The order service's consumer handler; `on_final(status)` learns of each order that ends
    (for metrics; called inside the handler's transaction, so a retried event may repeat it)."""

    def handle(connection: Connection, event: Event) -> None:
        status = follow_saga(connection, event)
        if status is not None:
            on_final(status.value)

    return handle


def follow_saga(connection: Connection, event: Event) -> OrderStatus | None:
    """Record the step, and end the order when due; the new final status, if it just ended."""
    if event.type == ORDER_PLACED:
        return None  # its own event: the order was recorded when it was placed
    saga = OrderSaga(connection)
    order = saga.lock(event.order_id)
    if order is None:
        raise OrderNotFound(f"event {event.event_id} is about unknown order {event.order_id}")
    step = _step(event)
    saga.add_entry(
        event.order_id, TimelineEntry(step, event.producer, event.occurred_at, _detail(event))
    )
    _update_read_model(saga, event)
    _record_facts(order, event)
    status = _status_after(order, saga.steps(event.order_id) | {str(step)})
    ended = status is not OrderStatus(order["status"])
    if ended:
        check_transition(OrderStatus(order["status"]), status)
        order["status"] = status.value
        final = {OrderStatus.CONFIRMED: Step.CONFIRMED, OrderStatus.REJECTED: Step.REJECTED}
        now = datetime.now(UTC)
        saga.add_entry(
            event.order_id,
            TimelineEntry(final.get(status, Step.FAILED), UNIT, now, order["reason"]),
        )
    saga.update(order, datetime.now(UTC))
    return status if ended else None


def _step(event: Event) -> Step:
    if event.type == PAYMENT_FAILED:
        declined = event.data["reason_code"] == "payment_declined"
        return Step.PAYMENT_DECLINED if declined else Step.PAYMENT_FAILED
    return _STEP_OF[event.type]


def _detail(event: Event) -> str | None:
    data = event.data
    if event.type == PAYMENT_SUCCEEDED:
        return data["provider_reference"]
    if event.type == SHIPMENT_CREATED:
        return data["shipment_id"]
    return data.get("reason")


def _update_read_model(saga: OrderSaga, event: Event) -> None:
    """Keep the catalog read model in step with inventory's events."""
    if event.type not in (STOCK_RESERVED, STOCK_RELEASED):
        return
    sign = -1 if event.type == STOCK_RESERVED else 1
    lines = saga.lines(event.order_id)
    saga.change_stock([(line["sku"], sign * line["quantity"]) for line in lines])


def _record_facts(order: dict[str, Any], event: Event) -> None:
    data = event.data
    if event.type == PAYMENT_SUCCEEDED:
        order["payment_amount_cents"] = data["amount_cents"]
        order["provider_reference"] = data["provider_reference"]
    elif event.type == SHIPMENT_CREATED:
        order["shipment_id"] = uuid.UUID(data["shipment_id"])
    elif event.type in (STOCK_REJECTED, STOCK_RELEASED):
        order["reason_code"] = data["reason_code"]
        order["reason"] = data["reason"]


def _status_after(order: dict[str, Any], steps: set[str]) -> OrderStatus:
    current = OrderStatus(order["status"])
    if current.is_final:
        return current
    if Step.STOCK_REJECTED in steps:
        return OrderStatus.REJECTED
    if Step.STOCK_RELEASED in steps:
        declined = order["reason_code"] == "payment_declined"
        return OrderStatus.REJECTED if declined else OrderStatus.FAILED
    if _CONFIRMING_STEPS <= steps:
        return OrderStatus.CONFIRMED
    return current
