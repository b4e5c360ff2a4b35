"""Placing an order the way the seed article's OrderService does it.

Save the order (committed: there is no rollback after this), then call
inventory, payment, fulfillment and notification one after another through
the mesh. When a call fails, undo the earlier steps by hand; the undo calls
can fail too, and then the order is marked failed with the mess left behind
(and recorded, so that the audit and the timeline can show it).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from distributed.order.config import UNIT
from distributed.order.peers import PeerError, PeerFailed, PeerRefused, Peers
from distributed.order.repository import OrderRepository
from distributed.order.timeline import build_view, gather_records
from service_kit.unit_of_work import SqlUnitOfWork
from shop.errors import (
    DependencyFailed,
    IdempotencyKeyReused,
    OrderInProgress,
    OrderNotFound,
    OutOfStock,
    PaymentDeclined,
)
from shop.order_request import OrderRequest
from shop.order_view import OrderView, TimelineEntry
from shop.pricing import PricedLine, price
from shop.status import OrderStatus, Step

log = logging.getLogger(__name__)

UnitOfWorkFactory = Callable[[], SqlUnitOfWork[OrderRepository]]


def _now() -> datetime:
    return datetime.now(UTC)


class PlacedOrder:
    def __init__(self, view: OrderView, replayed: bool = False):
        self.view = view
        self.replayed = replayed


class _Order:
    """The order being placed, what the other services answered, and what went wrong."""

    def __init__(self, request: OrderRequest, lines: tuple[PricedLine, ...], total: int):
        self.id = uuid.uuid4()
        self.request = request
        self.lines = lines
        self.total = total
        self.created_at = _now()
        self.reservation: dict[str, Any] | None = None
        self.payment: dict[str, Any] | None = None
        self.shipment: dict[str, Any] | None = None
        self.notification: dict[str, Any] | None = None
        self.steps: list[TimelineEntry] = [TimelineEntry(Step.VALIDATED, UNIT, self.created_at)]

    def row(self, key: str | None) -> dict[str, Any]:
        return {
            "id": self.id,
            "customer_id": self.request.customer_id,
            "status": OrderStatus.PENDING.value,
            "total_cents": self.total,
            "reason_code": None,
            "reason": None,
            "idempotency_key": key,
            "request_fingerprint": self.request.fingerprint(),
            "reservation_id": None,
            "payment_id": None,
            "shipment_id": None,
            "created_at": self.created_at,
            "updated_at": self.created_at,
        }


class OrderFlow:
    def __init__(self, new_unit_of_work: UnitOfWorkFactory, peers: Peers):
        self._new_unit_of_work = new_unit_of_work
        self._peers = peers

    async def place(self, request: OrderRequest, key: str | None) -> PlacedOrder:
        priced = price(request.lines)
        order = _Order(request, priced.lines, priced.total_cents)
        # Step 1: save the order. From here on nothing can be rolled back.
        async with self._new_unit_of_work() as uow:
            if not await uow.repository.claim(order.row(key), priced.lines):
                await uow.rollback()
                assert key is not None
                return PlacedOrder(await self._replay(uow, key, request), replayed=True)
            await uow.repository.add_step(order.id, Step.VALIDATED, None, order.created_at)
            await uow.commit()

        # Step 2: reserve stock.
        try:
            order.reservation = await self._peers.reserve(order.id, request.lines)
        except PeerRefused as refused:
            return await self._finish(order, OrderStatus.REJECTED, OutOfStock.code, refused.detail)
        except PeerFailed as failure:
            return await self._fail(order, failure)

        # Step 3: charge the card.
        try:
            order.payment = await self._peers.charge(order.id, order.total, request.payment_token)
        except PeerRefused as refused:
            await self._release_stock(order)
            return await self._finish(
                order, OrderStatus.REJECTED, PaymentDeclined.code, refused.detail
            )
        except PeerFailed as failure:
            await self._release_stock(order)
            return await self._fail(order, failure)

        # Step 4: create the shipment.
        try:
            order.shipment = await self._peers.ship(order.id, request.lines)
        except PeerError as failure:
            await self._refund(order)
            await self._release_stock(order)
            return await self._fail(order, failure)

        # Step 5: notify. Best effort, as in most first versions: the order stands anyway.
        try:
            order.notification = await self._peers.notify(
                order.id, request.customer_id, f"Order {order.id} confirmed"
            )
        except PeerError as failure:
            log.warning("order %s: notification failed: %s", order.id, failure)
            order.steps.append(TimelineEntry(Step.NOTIFICATION_FAILED, UNIT, _now(), str(failure)))
        return await self._finish(order, OrderStatus.CONFIRMED)

    async def _release_stock(self, order: _Order) -> None:
        if order.reservation is None:
            return
        try:
            order.reservation = await self._peers.release(order.reservation["id"])
        except PeerError as failure:  # might fail: then the stock stays reserved
            self._compensation_failed(order, "release stock", failure)

    async def _refund(self, order: _Order) -> None:
        if order.payment is None:
            return
        try:
            order.payment = await self._peers.refund(order.payment["id"])
        except PeerError as failure:  # might fail: then the customer stays charged
            self._compensation_failed(order, "refund payment", failure)

    def _compensation_failed(self, order: _Order, what: str, failure: PeerError) -> None:
        log.error("order %s: compensation failed (%s): %s", order.id, what, failure)
        order.steps.append(
            TimelineEntry(Step.COMPENSATION_FAILED, UNIT, _now(), f"{what}: {failure}")
        )

    async def _fail(self, order: _Order, failure: PeerError) -> PlacedOrder:
        reason = f"{failure.service} failed: {failure}"
        return await self._finish(order, OrderStatus.FAILED, DependencyFailed.code, reason)

    async def _finish(
        self,
        order: _Order,
        status: OrderStatus,
        reason_code: str | None = None,
        reason: str | None = None,
    ) -> PlacedOrder:
        """Mark the order final. This can fail too, and then the order stays PENDING."""
        now = _now()
        final_step = {
            OrderStatus.CONFIRMED: Step.CONFIRMED,
            OrderStatus.REJECTED: Step.REJECTED,
            OrderStatus.FAILED: Step.FAILED,
        }[status]
        new_steps = [*order.steps[1:], TimelineEntry(final_step, UNIT, now, reason)]
        async with self._new_unit_of_work() as uow:
            for entry in new_steps:
                await uow.repository.add_step(order.id, entry.step, entry.detail, entry.at)
            await uow.repository.finish(
                order.id,
                {
                    "status": status.value,
                    "reason_code": reason_code,
                    "reason": reason,
                    "reservation_id": _id(order.reservation),
                    "payment_id": _id(order.payment),
                    "shipment_id": _id(order.shipment),
                    "updated_at": now,
                },
            )
            await uow.commit()
        own = [order.steps[0], *new_steps]
        records = {
            "inventory": [order.reservation] if order.reservation else [],
            "payment": [order.payment] if order.payment else [],
            "fulfillment": [order.shipment] if order.shipment else [],
            "notification": [order.notification] if order.notification else [],
        }
        row = order.row(None) | {
            "status": status.value,
            "reason_code": reason_code,
            "reason": reason,
            "updated_at": now,
        }
        return PlacedOrder(build_view(row, order.lines, own, records))

    async def _replay(
        self, uow: SqlUnitOfWork[OrderRepository], key: str, request: OrderRequest
    ) -> OrderView:
        stored = await uow.repository.get_by_key(key)
        if stored is None:
            raise IdempotencyKeyReused(
                f"Idempotency-Key {key!r} was used before but its order is gone"
            )
        if stored["request_fingerprint"] != request.fingerprint():
            raise IdempotencyKeyReused(
                f"Idempotency-Key {key!r} was already used with a different request "
                f"(order {stored['id']}); use a new key for a new order"
            )
        if stored["status"] == OrderStatus.PENDING.value:
            raise OrderInProgress(
                f"order {stored['id']} for this Idempotency-Key is still being placed; "
                "ask again later with GET /orders/{id}"
            )
        return await self.view(stored["id"])

    async def view(self, order_id: uuid.UUID) -> OrderView:
        async with self._new_unit_of_work() as uow:
            order = await uow.repository.get(order_id)
            if order is None:
                raise OrderNotFound(f"no order with id {order_id}")
            lines = await uow.repository.lines(order_id)
            steps = await uow.repository.steps(order_id)
        own = [TimelineEntry(s["step"], UNIT, s["at"], s["detail"]) for s in steps]
        records, unavailable = await gather_records(self._peers, order_id)
        return build_view(order, lines, own + unavailable, records)

    async def products(self) -> list[dict[str, Any]]:
        try:
            return await self._peers.products()
        except PeerError as failure:
            raise DependencyFailed(f"the catalog is unavailable: {failure}") from None


def _id(record: dict[str, Any] | None) -> uuid.UUID | None:
    return None if record is None else uuid.UUID(record["id"])
