"""The audit of the monolith's database, seeded with rows as the monolith writes them."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

import pytest

from monolith.schema import prepare_database
from shopdemo.audit import Anomaly
from tests.integration.test_audit_databases import (
    SEEDS,
    SeededShop,
    anomalies,
    found_alone,
    unit_databases,
)

pytestmark = pytest.mark.integration

PREPARE = {"monolith": prepare_database}

# What the monolith's own constraints make impossible: one payment and one shipment per order
# (unique), no record for an unknown order (foreign keys), no reservation record, no events.
IMPOSSIBLE = {
    Anomaly.CONFIRMED_CHARGED_MORE_THAN_ONCE,
    Anomaly.CONFIRMED_SHIPPED_MORE_THAN_ONCE,
    Anomaly.CONFIRMED_WITHOUT_STOCK,
    Anomaly.NOT_CONFIRMED_BUT_HOLDING_STOCK,
    Anomaly.STOCK_TAKEN_TWICE,
    Anomaly.ORPHAN_PAYMENT,
    Anomaly.ORPHAN_RESERVATION,
    Anomaly.ORPHAN_SHIPMENT,
    Anomaly.ORPHAN_NOTIFICATION,
    Anomaly.DEAD_LETTERS,
}


class MonolithShop(SeededShop):
    order_database = "monolith"
    reserves_stock = False

    def clean_run(self) -> None:
        self.confirmed()
        self.confirmed(lines={"BOOK-DDD": 1, "TSHIRT-BLK-M": 3})
        self.place("REJECTED", {"SNEAKER-RARE": 6})  # out of stock
        self.place("REJECTED")  # declined
        self.place("FAILED")  # the card processor failed

    def charge(self, order_id: uuid.UUID, status: str, amount_cents: int) -> uuid.UUID:
        self.databases.execute(
            "monolith",
            "INSERT INTO payments (id, order_id, status, amount_cents, created_at)"
            " VALUES (%s, %s, %s, %s, now())",
            uuid.uuid4(),
            order_id,
            status,
            amount_cents,
        )
        return order_id

    def ship(self, order_id: uuid.UUID, status: str) -> uuid.UUID:
        self.databases.execute(
            "monolith",
            "INSERT INTO shipments (id, order_id, status, created_at) VALUES (%s, %s, %s, now())",
            uuid.uuid4(),
            order_id,
            status,
        )
        return order_id

    def notify(self, order_id: uuid.UUID) -> uuid.UUID:
        self.databases.execute(
            "monolith",
            "INSERT INTO notifications (id, order_id, channel, message, created_at)"
            " VALUES (%s, %s, 'email', 'confirmed', now())",
            uuid.uuid4(),
            order_id,
        )
        return order_id

    def reserve(self, order_id: uuid.UUID, lines: Mapping[str, int], status: str) -> uuid.UUID:
        raise AssertionError("the monolith keeps no reservation record")

    def lose_stock(self, sku: str, quantity: int) -> str:
        self.databases.execute(
            "monolith", "UPDATE products SET stock = stock - %s WHERE sku = %s", quantity, sku
        )
        return sku


@pytest.fixture(scope="module")
def databases(pg_server):
    yield from unit_databases(pg_server, PREPARE)


@pytest.fixture
def shop(databases) -> MonolithShop:
    databases.reset()
    return MonolithShop(databases, "monolith")


def test_a_clean_monolith_run_of_confirmed_rejected_and_failed_orders_audits_clean(shop):
    shop.clean_run()
    report = shop.audit()
    assert anomalies(report) == {}
    assert report.orders_by_status == {"CONFIRMED": 2, "REJECTED": 2, "FAILED": 1}
    assert report.dead_letters_by_database is None


@pytest.mark.parametrize("kind", [kind for kind in SEEDS if kind not in IMPOSSIBLE], ids=str)
def test_each_anomaly_the_monolith_can_hold_is_found_with_its_id(shop, kind):
    found_alone(shop, kind)


def test_stock_taken_for_an_order_that_was_then_rejected_breaks_conservation_of_its_sku(shop):
    shop.clean_run()
    shop.place("REJECTED", {"KEYBOARD-LTD": 2})
    shop.lose_stock("KEYBOARD-LTD", 2)
    assert anomalies(shop.audit()) == {"stock_not_conserved": (1, ["KEYBOARD-LTD"])}
