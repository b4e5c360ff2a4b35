"""The invariants of a variant as a whole: stock conservation, orphans, dead letters."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from shop.status import OrderStatus
from shopdemo.audit.facts import VariantFacts
from shopdemo.audit.kinds import Anomaly
from shopdemo.audit.report import Findings


def stock_held(facts: VariantFacts) -> dict[str, int]:
    """SKU -> the quantity that orders legitimately hold.

    Where stock is reserved, every live reservation holds its lines (a live reservation
    of a rejected order is an anomaly of its own, but it did take the stock). In the
    monolith, a confirmed order's lines are what its one transaction took.
    """
    if facts.reservations is None:
        holders: Iterable[Mapping[str, int]] = (
            order.lines for order in facts.orders if order.status == OrderStatus.CONFIRMED
        )
    else:
        holders = (reservation.lines for reservation in facts.reservations if reservation.live)
    held: dict[str, int] = {}
    for lines in holders:
        for sku, quantity in lines.items():
            held[sku] = held.get(sku, 0) + quantity
    return held


def check_stock(facts: VariantFacts, initial_stock: Mapping[str, int], findings: Findings) -> None:
    """For each SKU: seeded stock minus current stock must equal the stock held by orders.

    A SKU missing from the products table counts as stock 0; a SKU the catalog does not
    know counts as seeded with 0, so both show up instead of being skipped.
    """
    held = stock_held(facts)
    for sku in sorted(set(initial_stock) | set(facts.stock) | set(held)):
        taken = initial_stock.get(sku, 0) - facts.stock.get(sku, 0)
        if taken != held.get(sku, 0):
            findings.add(Anomaly.STOCK_NOT_CONSERVED, sku)


def check_orphans(facts: VariantFacts, findings: Findings) -> None:
    """Records of other services for an order id that the order service does not have."""
    known = {order.id for order in facts.orders}
    for kind, records in (
        (Anomaly.ORPHAN_PAYMENT, facts.payments),
        (Anomaly.ORPHAN_RESERVATION, facts.reservations or []),
        (Anomaly.ORPHAN_SHIPMENT, facts.shipments),
        (Anomaly.ORPHAN_NOTIFICATION, facts.notifications),
    ):
        # One count per unknown order, however many records it has: the order is the anomaly.
        for order_id in dict.fromkeys(r.order_id for r in records if r.order_id not in known):
            findings.add(kind, order_id)


def check_dead_letters(facts: VariantFacts, findings: Findings) -> dict[str, int] | None:
    """Every dead letter counts; returns the count per database (None: no consumers)."""
    if facts.dead_letters is None:
        return None
    for keys in facts.dead_letters.values():
        for key in keys:
            findings.add(Anomaly.DEAD_LETTERS, key)
    return {database: len(keys) for database, keys in facts.dead_letters.items()}
