"""The audit of the distributed variant's five databases, seeded as its services write them."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

import pytest

from distributed.fulfillment.schema import prepare_database as prepare_fulfillment
from distributed.inventory.schema import prepare_database as prepare_inventory
from distributed.notification.schema import prepare_database as prepare_notification
from distributed.order.schema import prepare_database as prepare_order
from distributed.payment.schema import prepare_database as prepare_payment
from shopdemo.audit import Anomaly
from tests.integration.test_audit_databases import (
    SEEDS,
    SeededShop,
    anomalies,
    found_alone,
    unit_databases,
)

pytestmark = pytest.mark.integration

PREPARE = {
    "dist_order": prepare_order,
    "dist_inventory": prepare_inventory,
    "dist_payment": prepare_payment,
    "dist_fulfillment": prepare_fulfillment,
    "dist_notification": prepare_notification,
}

# Nothing in the distributed variant consumes events.
IMPOSSIBLE = {Anomaly.DEAD_LETTERS}


class DistributedShop(SeededShop):
    order_database = "dist_order"

    def clean_run(self) -> None:
        self.confirmed()
        self.confirmed(lines={"BOOK-DDD": 1, "TSHIRT-BLK-M": 3})
        self.place("REJECTED", {"SNEAKER-RARE": 6})  # inventory refused
        self.place("REJECTED", reservations=("RELEASED",), payments=("DECLINED",))
        # Fulfillment failed: refunded and released, as the compensation does when it works.
        self.place("FAILED", reservations=("RELEASED",), payments=("REFUNDED",))
        self.place("FAILED", reservations=("RELEASED",))  # payment service unavailable
        self.place("PENDING", reservations=("RESERVED",))  # in flight, one second old

    def reserve(self, order_id: uuid.UUID, lines: Mapping[str, int], status: str) -> uuid.UUID:
        reservation_id = uuid.uuid4()
        released = "now()" if status == "RELEASED" else "NULL"
        self.databases.execute(
            "dist_inventory",
            "INSERT INTO reservations (id, order_id, status, created_at, released_at)"
            f" VALUES (%s, %s, %s, now(), {released})",
            reservation_id,
            order_id,
            status,
        )
        for sku, quantity in lines.items():
            self.databases.execute(
                "dist_inventory",
                "INSERT INTO reservation_lines (reservation_id, sku, quantity) VALUES (%s, %s, %s)",
                reservation_id,
                sku,
                quantity,
            )
            if status == "RESERVED":
                self.lose_stock(sku, quantity)
        return order_id

    def charge(self, order_id: uuid.UUID, status: str, amount_cents: int) -> uuid.UUID:
        refunded = "now()" if status == "REFUNDED" else "NULL"
        self.databases.execute(
            "dist_payment",
            "INSERT INTO payments (id, order_id, status, amount_cents, created_at, refunded_at)"
            f" VALUES (%s, %s, %s, %s, now(), {refunded})",
            uuid.uuid4(),
            order_id,
            status,
            amount_cents,
        )
        return order_id

    def ship(self, order_id: uuid.UUID, status: str) -> uuid.UUID:
        self.databases.execute(
            "dist_fulfillment",
            "INSERT INTO shipments (id, order_id, status, created_at) VALUES (%s, %s, %s, now())",
            uuid.uuid4(),
            order_id,
            status,
        )
        return order_id

    def notify(self, order_id: uuid.UUID) -> uuid.UUID:
        self.databases.execute(
            "dist_notification",
            "INSERT INTO notifications (id, order_id, customer_id, channel, message, created_at)"
            " VALUES (%s, %s, 'audit', 'email', 'confirmed', now())",
            uuid.uuid4(),
            order_id,
        )
        return order_id

    def lose_stock(self, sku: str, quantity: int) -> str:
        self.databases.execute(
            "dist_inventory", "UPDATE products SET stock = stock - %s WHERE sku = %s", quantity, sku
        )
        return sku


@pytest.fixture(scope="module")
def databases(pg_server):
    yield from unit_databases(pg_server, PREPARE)


@pytest.fixture
def shop(databases) -> DistributedShop:
    databases.reset()
    return DistributedShop(databases, "distributed")


def test_a_clean_distributed_run_with_compensated_failures_audits_clean(shop):
    shop.clean_run()
    report = shop.audit()
    assert anomalies(report) == {}
    assert report.orders_by_status == {"CONFIRMED": 2, "REJECTED": 2, "FAILED": 2, "PENDING": 1}
    assert report.pending.count == 1


@pytest.mark.parametrize("kind", [kind for kind in SEEDS if kind not in IMPOSSIBLE], ids=str)
def test_each_anomaly_the_distributed_variant_can_hold_is_found_with_its_id(shop, kind):
    found_alone(shop, kind)


def test_the_retry_storm_charging_a_failed_order_three_times_is_one_charged_order(shop):
    shop.clean_run()
    order_id = shop.place(
        "FAILED", reservations=("RELEASED",), payments=("CAPTURED", "CAPTURED", "CAPTURED")
    )
    assert anomalies(shop.audit()) == {"not_confirmed_but_charged": (1, [str(order_id)])}


def test_a_crash_after_reserving_leaves_a_stuck_order_that_legitimately_holds_its_stock(shop):
    shop.clean_run()
    order_id = shop.place("PENDING", reservations=("RESERVED",), age_s=300)
    report = shop.audit(pending_after_s=60)
    assert anomalies(report) == {"stuck_pending": (1, [str(order_id)])}
    assert report.pending.count == 2
    assert report.pending.oldest_age_s >= 300
