"""Reading the monolith's one database into the audit's records.

The monolith takes stock in the order's own transaction and keeps no reservation
record, so its facts have no reservations: a confirmed order's lines are what it holds.
"""

from __future__ import annotations

from shopdemo.audit.facts import Notification, Payment, Shipment, VariantFacts
from shopdemo.audit.snapshot import Connect, Snapshot, read_database, read_orders, read_stock

DATABASE = "monolith"


def read_monolith(connect: Connect) -> VariantFacts:
    return read_database(connect, DATABASE, _facts)


def _facts(db: Snapshot) -> VariantFacts:
    return VariantFacts(
        variant="monolith",
        orders=read_orders(db),
        payments=[
            Payment(row["order_id"], row["status"], row["amount_cents"])
            for row in db.rows("SELECT order_id, status, amount_cents FROM payments")
        ],
        reservations=None,
        shipments=[
            Shipment(row["order_id"], row["status"])
            for row in db.rows("SELECT order_id, status FROM shipments")
        ],
        notifications=[
            Notification(row["order_id"]) for row in db.rows("SELECT order_id FROM notifications")
        ],
        stock=read_stock(db),
        notes=[
            "one database, one transaction per order: stock is taken with no reservation record,"
            " so confirmed_without_stock and stock_taken_twice cannot be seen per order;"
            " stock conservation (against confirmed orders' lines) covers them"
        ],
    )
