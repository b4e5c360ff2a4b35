"""The audit's per-order invariants, on records made in memory: one test per anomaly kind."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest

from shopdemo.audit.facts import (
    Notification,
    Order,
    Payment,
    Reservation,
    Shipment,
    VariantFacts,
)
from shopdemo.audit.kinds import Anomaly
from shopdemo.audit.report import AuditReport
from shopdemo.audit.variant_audit import check_variant

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
SEEDED = {"MUG-LOGO": 100, "BOOK-DDD": 10}
PRICES = {"MUG-LOGO": 1250, "BOOK-DDD": 5400}
TWO_MUGS = {"MUG-LOGO": 2}


class FakeShop:
    """A variant's records, written the way its services write them (stock included)."""

    def __init__(self, reserves_stock: bool = True) -> None:
        self.facts = VariantFacts(
            variant="fake",
            orders=[],
            payments=[],
            reservations=[] if reserves_stock else None,
            shipments=[],
            notifications=[],
            stock=dict(SEEDED),
        )

    def place(
        self,
        status: str,
        lines: Mapping[str, int] = TWO_MUGS,
        *,
        reservations: tuple[str, ...] = (),
        payments: tuple[str, ...] = (),
        charged_cents: int | None = None,
        shipments: tuple[str, ...] = (),
        notifications: int = 0,
        age_s: float = 1.0,
    ) -> uuid.UUID:
        total = sum(PRICES[sku] * quantity for sku, quantity in lines.items())
        order = Order(uuid.uuid4(), status, total, NOW - timedelta(seconds=age_s), dict(lines))
        self.facts.orders.append(order)
        if self.facts.reservations is None and status == "CONFIRMED":
            self.take_stock(lines)
        for reservation_status in reservations:
            self.reserve(order.id, lines, reservation_status)
        amount = total if charged_cents is None else charged_cents
        self.facts.payments.extend(Payment(order.id, s, amount) for s in payments)
        self.facts.shipments.extend(Shipment(order.id, s) for s in shipments)
        self.facts.notifications.extend(Notification(order.id) for _ in range(notifications))
        return order.id

    def confirmed(self, **overrides) -> uuid.UUID:
        effects = {
            "reservations": ("RESERVED",) if self.facts.reservations is not None else (),
            "payments": ("CAPTURED",),
            "shipments": ("CREATED",),
            "notifications": 1,
        }
        return self.place("CONFIRMED", **(effects | overrides))

    def reserve(self, order_id: uuid.UUID, lines: Mapping[str, int], status: str) -> None:
        assert self.facts.reservations is not None
        self.facts.reservations.append(Reservation(order_id, status, dict(lines)))
        if status == "RESERVED":
            self.take_stock(lines)

    def take_stock(self, lines: Mapping[str, int]) -> None:
        for sku, quantity in lines.items():
            self.facts.stock[sku] -= quantity

    def audit(self, pending_after_s: float = 30.0) -> AuditReport:
        return check_variant(self.facts, NOW, pending_after_s, SEEDED)


def clean_shop(reserves_stock: bool = True) -> FakeShop:
    """Confirmed, rejected (out of stock, declined), failed and a fresh pending order."""
    shop = FakeShop(reserves_stock)
    shop.confirmed()
    shop.confirmed(lines={"BOOK-DDD": 1, "MUG-LOGO": 1})
    shop.place("REJECTED", {"BOOK-DDD": 11})
    if reserves_stock:
        shop.place("REJECTED", reservations=("RELEASED",), payments=("DECLINED",))
        shop.place(
            "FAILED", reservations=("RELEASED",), payments=("REFUNDED",), shipments=("CANCELLED",)
        )
        shop.place("PENDING", reservations=("RESERVED",), age_s=2)
    else:
        shop.place("REJECTED")
        shop.place("FAILED")
    return shop


def anomalies(report: AuditReport) -> dict[str, tuple[int, list[str]]]:
    return {str(kind): (f.count, f.examples) for kind, f in report.found.items()}


@pytest.mark.parametrize("reserves_stock", [True, False], ids=["reservations", "monolith"])
def test_a_clean_run_of_confirmed_rejected_failed_and_fresh_pending_orders_has_no_anomaly(
    reserves_stock,
):
    report = clean_shop(reserves_stock).audit()
    assert anomalies(report) == {}
    assert report.clean


# Each case: what to place on top of a clean run, and the one anomaly it must be counted as.
PER_ORDER_CASES = {
    Anomaly.CONFIRMED_WITHOUT_PAYMENT: lambda s: s.confirmed(payments=()),
    Anomaly.CONFIRMED_CHARGED_MORE_THAN_ONCE: lambda s: s.confirmed(
        payments=("CAPTURED", "CAPTURED")
    ),
    Anomaly.CONFIRMED_WRONG_AMOUNT: lambda s: s.confirmed(charged_cents=1),
    Anomaly.CONFIRMED_WITHOUT_STOCK: lambda s: s.confirmed(reservations=()),
    Anomaly.CONFIRMED_WITHOUT_SHIPMENT: lambda s: s.confirmed(shipments=("CANCELLED",)),
    Anomaly.CONFIRMED_SHIPPED_MORE_THAN_ONCE: lambda s: s.confirmed(
        shipments=("CREATED", "CREATED")
    ),
    Anomaly.CONFIRMED_NOT_NOTIFIED: lambda s: s.confirmed(notifications=0),
    Anomaly.CONFIRMED_NOTIFIED_MORE_THAN_ONCE: lambda s: s.confirmed(notifications=2),
    Anomaly.NOT_CONFIRMED_BUT_CHARGED: lambda s: s.place(
        "FAILED", reservations=("RELEASED",), payments=("CAPTURED",)
    ),
    Anomaly.NOT_CONFIRMED_BUT_HOLDING_STOCK: lambda s: s.place(
        "FAILED", reservations=("RESERVED",), payments=("DECLINED",)
    ),
    Anomaly.NOT_CONFIRMED_BUT_SHIPPED: lambda s: s.place(
        "FAILED", reservations=("RELEASED",), payments=("REFUNDED",), shipments=("CREATED",)
    ),
    Anomaly.NOT_CONFIRMED_BUT_NOTIFIED: lambda s: s.place("REJECTED", notifications=1),
    Anomaly.STOCK_TAKEN_TWICE: lambda s: s.confirmed(reservations=("RESERVED", "RESERVED")),
    Anomaly.STUCK_PENDING: lambda s: s.place("PENDING", reservations=("RESERVED",), age_s=31),
    Anomaly.UNKNOWN_STATUS: lambda s: s.place("SHIPPED"),
}


@pytest.mark.parametrize("kind", list(PER_ORDER_CASES), ids=str)
def test_each_per_order_anomaly_is_found_alone_with_its_order_id(kind):
    shop = clean_shop()
    order_id = PER_ORDER_CASES[kind](shop)
    assert anomalies(shop.audit()) == {kind: (1, [str(order_id)])}


def test_a_second_live_reservation_of_a_pending_order_is_stock_taken_twice():
    shop = clean_shop()
    order_id = shop.place("PENDING", reservations=("RESERVED", "RESERVED"))
    assert anomalies(shop.audit()) == {Anomaly.STOCK_TAKEN_TWICE: (1, [str(order_id)])}


def test_a_second_charge_that_was_refunded_leaves_one_net_charge_and_no_anomaly():
    shop = clean_shop()
    shop.confirmed(payments=("REFUNDED", "CAPTURED", "DECLINED"))
    assert anomalies(shop.audit()) == {}


def test_a_failed_order_whose_stock_was_reserved_twice_and_never_released_holds_stock_once():
    shop = clean_shop()
    order_id = shop.place("FAILED", reservations=("RESERVED", "RESERVED"))
    found = anomalies(shop.audit())
    assert found == {Anomaly.NOT_CONFIRMED_BUT_HOLDING_STOCK: (1, [str(order_id)])}


def test_pending_orders_are_counted_with_the_oldest_age_and_only_old_ones_are_stuck():
    shop = clean_shop()
    stuck = shop.place("PENDING", reservations=("RESERVED",), age_s=45)
    report = shop.audit(pending_after_s=40)
    assert (report.pending.count, report.pending.oldest_age_s) == (2, 45.0)
    assert anomalies(report) == {Anomaly.STUCK_PENDING: (1, [str(stuck)])}


def test_no_pending_order_gives_a_count_of_zero_and_no_oldest_age():
    pending = clean_shop(reserves_stock=False).audit().pending
    assert (pending.count, pending.oldest_age_s) == (0, None)


def test_the_monolith_with_no_reservation_record_never_misses_stock_for_a_confirmed_order():
    shop = clean_shop(reserves_stock=False)
    shop.confirmed()
    assert anomalies(shop.audit()) == {}
