"""Reading the distributed variant's five databases into the audit's records.

Payments, reservations and shipments are one row per request here (a retried call is a
second row), so an order may have several of each: the checks count the live ones.
"""

from __future__ import annotations

from shopdemo.audit.facts import (
    Notification,
    Payment,
    Reservation,
    Shipment,
    VariantFacts,
    quantities_by,
)
from shopdemo.audit.snapshot import Connect, Snapshot, read_database, read_orders, read_stock


def read_distributed(connect: Connect) -> VariantFacts:
    orders = read_database(connect, "dist_order", read_orders)
    reservations, stock = read_database(connect, "dist_inventory", _inventory)
    payments = read_database(connect, "dist_payment", _payments)
    shipments = read_database(connect, "dist_fulfillment", _shipments)
    notifications = read_database(connect, "dist_notification", _notifications)
    return VariantFacts(
        variant="distributed",
        orders=orders,
        payments=payments,
        reservations=reservations,
        shipments=shipments,
        notifications=notifications,
        stock=stock,
        notes=[
            "payments, reservations and shipments are one row per request: a retried call"
            " leaves a second row, counted as a second charge, reservation or shipment"
        ],
    )


def _inventory(db: Snapshot) -> tuple[list[Reservation], dict[str, int]]:
    lines = quantities_by(
        db.rows("SELECT reservation_id, sku, quantity FROM reservation_lines"), "reservation_id"
    )
    reservations = [
        Reservation(row["order_id"], row["status"], lines.get(row["id"], {}))
        for row in db.rows("SELECT id, order_id, status FROM reservations ORDER BY created_at, id")
    ]
    return reservations, read_stock(db)


def _payments(db: Snapshot) -> list[Payment]:
    return [
        Payment(row["order_id"], row["status"], row["amount_cents"])
        for row in db.rows(
            "SELECT order_id, status, amount_cents FROM payments ORDER BY created_at, id"
        )
    ]


def _shipments(db: Snapshot) -> list[Shipment]:
    return [
        Shipment(row["order_id"], row["status"])
        for row in db.rows("SELECT order_id, status FROM shipments ORDER BY created_at, id")
    ]


def _notifications(db: Snapshot) -> list[Notification]:
    return [
        Notification(row["order_id"])
        for row in db.rows("SELECT order_id FROM notifications ORDER BY created_at, id")
    ]
