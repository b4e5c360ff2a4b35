"""The monolith's use cases. One transaction per order: lock, check, charge, take, ship, notify.

A business rejection (out of stock, declined card) or a failure of the card
processor keeps only the order record with its final status and timeline;
any other failure rolls back everything, the order record included.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from monolith.config import UNIT
from monolith.repository import ProductRow
from monolith.unit_of_work import UnitOfWork
from service_kit.payment_calls import charge
from shop.errors import (
    IdempotencyKeyReused,
    OrderNotFound,
    OutOfStock,
    PaymentDeclined,
    PaymentProviderError,
)
from shop.order_request import OrderRequest
from shop.order_view import OrderView, PaymentView, ShipmentView, TimelineEntry
from shop.payment_provider import ChargeResult, SimulatedCardProcessor
from shop.pricing import PricedLine, price
from shop.status import OrderStatus, Step

UnitOfWorkFactory = Callable[[], UnitOfWork]


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class PlacedOrder:
    """The result of POST /orders: the order, and whether it replays an earlier request."""

    view: OrderView
    replayed: bool = False


@dataclass
class _Progress:
    """What is known about the order being placed, and its timeline so far."""

    order_id: uuid.UUID
    customer_id: str
    lines: tuple[PricedLine, ...]
    created_at: datetime
    timeline: list[TimelineEntry] = field(default_factory=list)

    def step(self, step: Step, detail: str | None = None) -> datetime:
        at = _now()
        self.timeline.append(TimelineEntry(step, UNIT, at, detail))
        return at


async def place_order(
    new_unit_of_work: UnitOfWorkFactory,
    processor: SimulatedCardProcessor,
    request: OrderRequest,
    idempotency_key: str | None,
) -> PlacedOrder:
    priced = price(request.lines)
    fingerprint = request.fingerprint()
    async with new_unit_of_work() as uow:
        order = _Progress(uuid.uuid4(), request.customer_id, priced.lines, _now())
        claimed = await uow.orders.claim(
            order.order_id,
            request.customer_id,
            priced.total_cents,
            idempotency_key,
            fingerprint,
            order.created_at,
        )
        if not claimed:
            assert idempotency_key is not None
            await uow.rollback()
            return PlacedOrder(await _replay(new_unit_of_work, idempotency_key, fingerprint), True)
        order.timeline.append(TimelineEntry(Step.VALIDATED, UNIT, order.created_at))
        # Lock the stock rows before the order lines reference them: the lines' foreign key
        # takes a share lock on the product rows, and taking it first would deadlock two
        # orders for the same product.
        stock = await uow.orders.lock_stock([line.sku for line in priced.lines])
        await uow.orders.add_lines(order.order_id, priced.lines)
        shortage = _first_shortage(priced.lines, stock)
        if shortage is not None:
            order.step(Step.STOCK_REJECTED, shortage.message)
            return await _finish(uow, order, OrderStatus.REJECTED, Step.REJECTED, shortage)
        order.step(Step.STOCK_RESERVED)

        # The order id is the processor's idempotency key: a retried charge is not a new charge.
        outcome = await charge(
            processor, request.payment_token, priced.total_cents, str(order.order_id)
        )
        if outcome.result is ChargeResult.DECLINED:
            declined = PaymentDeclined(outcome.reason or "declined")
            order.step(Step.PAYMENT_DECLINED, declined.message)
            return await _finish(uow, order, OrderStatus.REJECTED, Step.REJECTED, declined)
        if outcome.result is ChargeResult.ERROR:
            failed = PaymentProviderError(
                f"the card processor failed ({outcome.reason}); no charge was made, "
                "place the order again"
            )
            order.step(Step.PAYMENT_FAILED, failed.message)
            return await _finish(uow, order, OrderStatus.FAILED, Step.FAILED, failed)
        payment = PaymentView("CAPTURED", priced.total_cents, outcome.reference)
        charged_at = order.step(Step.PAYMENT_CHARGED, outcome.reference)
        await uow.orders.take_stock(priced.lines)
        await uow.orders.add_payment(order.order_id, payment, charged_at)

        shipment = ShipmentView(uuid.uuid4(), "CREATED")
        await uow.orders.add_shipment(order.order_id, shipment, order.step(Step.SHIPMENT_CREATED))

        # Simulated notification: recorded in the database, not sent anywhere.
        await uow.orders.add_notification(
            order.order_id,
            "email",
            f"Order {order.order_id} confirmed for {request.customer_id}",
            order.step(Step.CUSTOMER_NOTIFIED),
        )
        return await _finish(
            uow, order, OrderStatus.CONFIRMED, Step.CONFIRMED, payment=payment, shipment=shipment
        )


async def _finish(
    uow: UnitOfWork,
    order: _Progress,
    status: OrderStatus,
    step: Step,
    reason: OutOfStock | PaymentDeclined | PaymentProviderError | None = None,
    payment: PaymentView | None = None,
    shipment: ShipmentView | None = None,
) -> PlacedOrder:
    finished_at = order.step(step)
    reason_code = None if reason is None else reason.code
    reason_text = None if reason is None else reason.message
    await uow.orders.finish(
        order.order_id, status, order.timeline, finished_at, reason_code, reason_text
    )
    await uow.commit()
    view = OrderView(
        id=order.order_id,
        customer_id=order.customer_id,
        status=status,
        lines=order.lines,
        created_at=order.created_at,
        updated_at=finished_at,
        reason_code=reason_code,
        reason=reason_text,
        payment=payment,
        shipment=shipment,
        timeline=tuple(order.timeline),
    )
    return PlacedOrder(view)


def _first_shortage(lines: tuple[PricedLine, ...], stock: dict[str, int]) -> OutOfStock | None:
    for line in lines:
        available = stock.get(line.sku, 0)
        if available < line.quantity:
            return OutOfStock(line.sku, line.quantity, available)
    return None


async def _replay(
    new_unit_of_work: UnitOfWorkFactory, idempotency_key: str, fingerprint: str
) -> OrderView:
    async with new_unit_of_work() as uow:
        stored = await uow.orders.find_by_idempotency_key(idempotency_key)
    if stored is None:
        # Only reachable if the first request's order was deleted by hand.
        raise IdempotencyKeyReused(
            f"Idempotency-Key {idempotency_key!r} was used before but its order is gone; "
            "use a new key"
        )
    if stored.request_fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            f"Idempotency-Key {idempotency_key!r} was already used with a different request "
            f"(order {stored.view.id}); use a new key for a new order"
        )
    return stored.view


async def get_order(new_unit_of_work: UnitOfWorkFactory, order_id: uuid.UUID) -> OrderView:
    async with new_unit_of_work() as uow:
        view = await uow.orders.get(order_id)
    if view is None:
        raise OrderNotFound(f"no order with id {order_id}")
    return view


async def list_products(new_unit_of_work: UnitOfWorkFactory) -> list[ProductRow]:
    async with new_unit_of_work() as uow:
        return await uow.orders.list_products()
