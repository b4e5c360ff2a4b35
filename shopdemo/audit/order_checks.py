"""The invariants of each order, by its status, against the records every service keeps of it.

Pending orders are in flight as far as the audit can tell: only their age and a second
live reservation (stock taken twice is wrong at any stage) are judged.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Protocol, TypeVar

from shop.status import OrderStatus
from shopdemo.audit.facts import Order, Payment, Shipment, VariantFacts
from shopdemo.audit.kinds import Anomaly
from shopdemo.audit.report import Findings, Pending


class _OfAnOrder(Protocol):
    @property
    def order_id(self) -> uuid.UUID: ...


Record = TypeVar("Record", bound=_OfAnOrder)


def by_order(records: Iterable[Record]) -> dict[uuid.UUID, list[Record]]:
    grouped: dict[uuid.UUID, list[Record]] = defaultdict(list)
    for record in records:
        grouped[record.order_id].append(record)
    return grouped


def check_orders(
    facts: VariantFacts, findings: Findings, now: datetime, pending_after_s: float
) -> Pending:
    """Adds each order's anomalies to `findings`; returns how many orders are pending."""
    payments = by_order(facts.payments)
    reservations = by_order(facts.reservations or [])
    shipments = by_order(facts.shipments)
    notifications = by_order(facts.notifications)
    pending_ages: list[float] = []
    for order in facts.orders:
        captured = [p for p in payments.get(order.id, []) if p.captured]
        live_reservations = [r for r in reservations.get(order.id, []) if r.live]
        live_shipments = [s for s in shipments.get(order.id, []) if s.live]
        notified = len(notifications.get(order.id, []))
        if order.status == OrderStatus.CONFIRMED:
            _check_confirmed(order, findings, captured, live_shipments, notified)
            if facts.reservations is not None and not live_reservations:
                findings.add(Anomaly.CONFIRMED_WITHOUT_STOCK, order.id)
        elif order.status in (OrderStatus.REJECTED, OrderStatus.FAILED):
            for effects, kind in (
                (captured, Anomaly.NOT_CONFIRMED_BUT_CHARGED),
                (live_reservations, Anomaly.NOT_CONFIRMED_BUT_HOLDING_STOCK),
                (live_shipments, Anomaly.NOT_CONFIRMED_BUT_SHIPPED),
            ):
                if effects:
                    findings.add(kind, order.id)
            if notified:
                findings.add(Anomaly.NOT_CONFIRMED_BUT_NOTIFIED, order.id)
        elif order.status == OrderStatus.PENDING:
            age = (now - order.created_at).total_seconds()
            pending_ages.append(age)
            if age > pending_after_s:
                findings.add(Anomaly.STUCK_PENDING, order.id)
        else:
            findings.add(Anomaly.UNKNOWN_STATUS, order.id)
        holds_stock = order.status in (OrderStatus.CONFIRMED, OrderStatus.PENDING)
        if holds_stock and len(live_reservations) > 1:
            findings.add(Anomaly.STOCK_TAKEN_TWICE, order.id)
    return Pending(
        count=len(pending_ages),
        oldest_age_s=max(pending_ages) if pending_ages else None,
        stuck_after_s=pending_after_s,
    )


def _check_confirmed(
    order: Order,
    findings: Findings,
    captured: list[Payment],
    live_shipments: list[Shipment],
    notified: int,
) -> None:
    if not captured:
        findings.add(Anomaly.CONFIRMED_WITHOUT_PAYMENT, order.id)
    elif len(captured) > 1:
        findings.add(Anomaly.CONFIRMED_CHARGED_MORE_THAN_ONCE, order.id)
    elif captured[0].amount_cents != order.total_cents:
        findings.add(Anomaly.CONFIRMED_WRONG_AMOUNT, order.id)
    if not live_shipments:
        findings.add(Anomaly.CONFIRMED_WITHOUT_SHIPMENT, order.id)
    elif len(live_shipments) > 1:
        findings.add(Anomaly.CONFIRMED_SHIPPED_MORE_THAN_ONCE, order.id)
    if not notified:
        findings.add(Anomaly.CONFIRMED_NOT_NOTIFIED, order.id)
    elif notified > 1:
        findings.add(Anomaly.CONFIRMED_NOTIFIED_MORE_THAN_ONCE, order.id)
