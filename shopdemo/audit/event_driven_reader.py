"""Reading the event-driven variant's five databases into the audit's records.

Each service keeps at most one reservation, payment, shipment and notification per
order (the order id is their key). Outbox and processed events are plumbing and not
read; every service's dead letters are, since a dead-lettered event is a saga that
stopped.
"""

from __future__ import annotations

from shopdemo.audit.facts import (
    Notification,
    Order,
    Payment,
    Reservation,
    Shipment,
    VariantFacts,
    quantities_by,
)
from shopdemo.audit.snapshot import Connect, Snapshot, read_database, read_orders, read_stock


def read_event_driven(connect: Connect) -> VariantFacts:
    orders, order_letters = read_database(connect, "ev_order", _orders)
    reservations, stock, inventory_letters = read_database(connect, "ev_inventory", _inventory)
    payments, payment_letters = read_database(connect, "ev_payment", _payments)
    shipments, fulfillment_letters = read_database(connect, "ev_fulfillment", _shipments)
    notifications, notification_letters = read_database(connect, "ev_notification", _notifications)
    return VariantFacts(
        variant="event_driven",
        orders=orders,
        payments=payments,
        reservations=reservations,
        shipments=shipments,
        notifications=notifications,
        stock=stock,
        dead_letters={
            "ev_order": order_letters,
            "ev_inventory": inventory_letters,
            "ev_payment": payment_letters,
            "ev_fulfillment": fulfillment_letters,
            "ev_notification": notification_letters,
        },
        notes=[
            "stock is read from inventory; the order service's catalog read model is not audited"
        ],
    )


def _dead_letters(db: Snapshot) -> list[str]:
    """The message key of each dead letter (the order id), or what stands in for it."""
    rows = db.rows("SELECT key, event_id FROM dead_letters ORDER BY id")
    return [_key_text(row["key"], row["event_id"]) for row in rows]


def _key_text(key: bytes | None, event_id: object) -> str:
    if key:
        return bytes(key).decode("utf-8", errors="replace")
    return f"event {event_id}" if event_id is not None else "(unreadable message)"


def _orders(db: Snapshot) -> tuple[list[Order], list[str]]:
    return read_orders(db), _dead_letters(db)


def _inventory(db: Snapshot) -> tuple[list[Reservation], dict[str, int], list[str]]:
    lines = quantities_by(
        db.rows("SELECT order_id, sku, quantity FROM reservation_lines"), "order_id"
    )
    reservations = [
        Reservation(row["order_id"], row["status"], lines.get(row["order_id"], {}))
        for row in db.rows(
            "SELECT order_id, status FROM reservations ORDER BY created_at, order_id"
        )
    ]
    return reservations, read_stock(db), _dead_letters(db)


def _payments(db: Snapshot) -> tuple[list[Payment], list[str]]:
    rows = db.rows(
        "SELECT order_id, status, amount_cents FROM payments ORDER BY created_at, order_id"
    )
    return [Payment(r["order_id"], r["status"], r["amount_cents"]) for r in rows], _dead_letters(db)


def _shipments(db: Snapshot) -> tuple[list[Shipment], list[str]]:
    rows = db.rows("SELECT order_id, status FROM shipments ORDER BY created_at, order_id")
    return [Shipment(r["order_id"], r["status"]) for r in rows], _dead_letters(db)


def _notifications(db: Snapshot) -> tuple[list[Notification], list[str]]:
    rows = db.rows("SELECT order_id FROM notifications ORDER BY created_at, order_id")
    return [Notification(r["order_id"]) for r in rows], _dead_letters(db)
