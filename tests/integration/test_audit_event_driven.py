"""The audit of the event-driven variant's five databases, seeded as its services write them."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Mapping

import pytest

from event_driven.fulfillment.schema import prepare_database as prepare_fulfillment
from event_driven.inventory.schema import prepare_database as prepare_inventory
from event_driven.notification.schema import prepare_database as prepare_notification
from event_driven.order.schema import prepare_database as prepare_order
from event_driven.payment.schema import prepare_database as prepare_payment
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
    "ev_order": prepare_order,
    "ev_inventory": prepare_inventory,
    "ev_payment": prepare_payment,
    "ev_fulfillment": prepare_fulfillment,
    "ev_notification": prepare_notification,
}

# The order id is the primary key of reservations, payments, shipments and notifications.
IMPOSSIBLE = {
    Anomaly.CONFIRMED_CHARGED_MORE_THAN_ONCE,
    Anomaly.CONFIRMED_SHIPPED_MORE_THAN_ONCE,
    Anomaly.CONFIRMED_NOTIFIED_MORE_THAN_ONCE,
    Anomaly.STOCK_TAKEN_TWICE,
}


class EventDrivenShop(SeededShop):
    order_database = "ev_order"
    _offsets = itertools.count()

    def clean_run(self) -> None:
        self.confirmed()
        self.confirmed(lines={"BOOK-DDD": 1, "TSHIRT-BLK-M": 3})
        self.place("REJECTED", {"SNEAKER-RARE": 6})  # StockRejected
        self.place("REJECTED", reservations=("RELEASED",), payments=("DECLINED",))
        self.place("FAILED", reservations=("RELEASED",), payments=("FAILED",))
        self.place("PENDING", reservations=("RESERVED",), payments=("CAPTURED",))  # in flight

    def reserve(self, order_id: uuid.UUID, lines: Mapping[str, int], status: str) -> uuid.UUID:
        released = "now()" if status == "RELEASED" else "NULL"
        self.databases.execute(
            "ev_inventory",
            "INSERT INTO reservations (order_id, status, created_at, released_at)"
            f" VALUES (%s, %s, now(), {released})",
            order_id,
            status,
        )
        for sku, quantity in lines.items():
            self.databases.execute(
                "ev_inventory",
                "INSERT INTO reservation_lines (order_id, sku, quantity) VALUES (%s, %s, %s)",
                order_id,
                sku,
                quantity,
            )
            if status == "RESERVED":
                self.lose_stock(sku, quantity)
        return order_id

    def charge(self, order_id: uuid.UUID, status: str, amount_cents: int) -> uuid.UUID:
        self.databases.execute(
            "ev_payment",
            "INSERT INTO payments (order_id, status, amount_cents, attempts, created_at)"
            " VALUES (%s, %s, %s, 1, now())",
            order_id,
            status,
            amount_cents,
        )
        return order_id

    def ship(self, order_id: uuid.UUID, status: str) -> uuid.UUID:
        self.databases.execute(
            "ev_fulfillment",
            "INSERT INTO shipments (order_id, id, status, created_at) VALUES (%s, %s, %s, now())",
            order_id,
            uuid.uuid4(),
            status,
        )
        return order_id

    def notify(self, order_id: uuid.UUID) -> uuid.UUID:
        self.databases.execute(
            "ev_notification",
            "INSERT INTO notifications (order_id, customer_id, channel, message, created_at)"
            " VALUES (%s, 'audit', 'email', 'confirmed', now())",
            order_id,
        )
        return order_id

    def lose_stock(self, sku: str, quantity: int) -> str:
        self.databases.execute(
            "ev_inventory", "UPDATE products SET stock = stock - %s WHERE sku = %s", quantity, sku
        )
        return sku

    def dead_letter(self, database: str, order_id: uuid.UUID) -> uuid.UUID:
        self.databases.execute(
            database,
            "INSERT INTO dead_letters"
            " (event_id, topic, kafka_partition, kafka_offset, key, payload, error, attempts)"
            " VALUES (%s, 'saga.stock', 0, %s, %s, %s, 'handler kept failing', 5)",
            uuid.uuid4(),
            next(self._offsets),
            str(order_id).encode(),
            b"{}",
        )
        return order_id


@pytest.fixture(scope="module")
def databases(pg_server):
    yield from unit_databases(pg_server, PREPARE)


@pytest.fixture
def shop(databases) -> EventDrivenShop:
    databases.reset()
    return EventDrivenShop(databases, "event_driven")


def test_a_clean_event_driven_run_with_one_order_in_flight_audits_clean(shop):
    shop.clean_run()
    report = shop.audit()
    assert anomalies(report) == {}
    assert report.orders_by_status == {"CONFIRMED": 2, "REJECTED": 2, "FAILED": 1, "PENDING": 1}
    assert report.dead_letters_by_database == dict.fromkeys(PREPARE, 0)


@pytest.mark.parametrize("kind", [kind for kind in SEEDS if kind not in IMPOSSIBLE], ids=str)
def test_each_anomaly_the_event_driven_variant_can_hold_is_found_with_its_id(shop, kind):
    found_alone(shop, kind)


def test_dead_letters_are_counted_in_the_database_that_kept_them(shop):
    shop.clean_run()
    shop.dead_letter("ev_order", shop.confirmed())
    shop.dead_letter("ev_inventory", shop.confirmed())
    shop.dead_letter("ev_inventory", shop.confirmed())
    report = shop.audit()
    assert report.findings.count(Anomaly.DEAD_LETTERS) == 3
    assert report.dead_letters_by_database == dict.fromkeys(PREPARE, 0) | {
        "ev_order": 1,
        "ev_inventory": 2,
    }


def test_a_saga_stopped_by_a_dead_letter_shows_as_a_stuck_order_and_its_dead_letter(shop):
    shop.clean_run()
    order_id = shop.place("PENDING", reservations=("RESERVED",), age_s=90)
    shop.dead_letter("ev_payment", order_id)
    assert anomalies(shop.audit()) == {
        "stuck_pending": (1, [str(order_id)]),
        "dead_letters": (1, [str(order_id)]),
    }
