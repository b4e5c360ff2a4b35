"""The anomaly kinds an audit counts, each with the one sentence that defines it.

Words used below: a payment is *captured* while its status is CAPTURED (REFUNDED,
DECLINED and FAILED rows moved no money, or gave it back); a reservation is *live*
while RESERVED; a shipment is *live* unless CANCELLED. "Not confirmed" means
REJECTED or FAILED.
"""

from __future__ import annotations

from enum import StrEnum


class Anomaly(StrEnum):
    # Confirmed orders: exactly one captured payment of the total, stock taken once,
    # one shipment, one notification.
    CONFIRMED_WITHOUT_PAYMENT = "confirmed_without_payment"
    CONFIRMED_CHARGED_MORE_THAN_ONCE = "confirmed_charged_more_than_once"
    CONFIRMED_WRONG_AMOUNT = "confirmed_wrong_amount"
    CONFIRMED_WITHOUT_STOCK = "confirmed_without_stock"
    CONFIRMED_WITHOUT_SHIPMENT = "confirmed_without_shipment"
    CONFIRMED_SHIPPED_MORE_THAN_ONCE = "confirmed_shipped_more_than_once"
    CONFIRMED_NOT_NOTIFIED = "confirmed_not_notified"
    CONFIRMED_NOTIFIED_MORE_THAN_ONCE = "confirmed_notified_more_than_once"
    # Rejected or failed orders: no effect may remain.
    NOT_CONFIRMED_BUT_CHARGED = "not_confirmed_but_charged"
    NOT_CONFIRMED_BUT_HOLDING_STOCK = "not_confirmed_but_holding_stock"
    NOT_CONFIRMED_BUT_SHIPPED = "not_confirmed_but_shipped"
    NOT_CONFIRMED_BUT_NOTIFIED = "not_confirmed_but_notified"
    # Any order.
    STOCK_TAKEN_TWICE = "stock_taken_twice"
    STUCK_PENDING = "stuck_pending"
    UNKNOWN_STATUS = "unknown_status"
    # Global.
    STOCK_NOT_CONSERVED = "stock_not_conserved"
    ORPHAN_PAYMENT = "orphan_payment"
    ORPHAN_RESERVATION = "orphan_reservation"
    ORPHAN_SHIPMENT = "orphan_shipment"
    ORPHAN_NOTIFICATION = "orphan_notification"
    DEAD_LETTERS = "dead_letters"


MEANING: dict[Anomaly, str] = {
    Anomaly.CONFIRMED_WITHOUT_PAYMENT: "confirmed, but no captured payment",
    Anomaly.CONFIRMED_CHARGED_MORE_THAN_ONCE: "confirmed, with more than one captured payment",
    Anomaly.CONFIRMED_WRONG_AMOUNT: "confirmed, one captured payment, not of the order's total",
    Anomaly.CONFIRMED_WITHOUT_STOCK: "confirmed, but no live reservation",
    Anomaly.CONFIRMED_WITHOUT_SHIPMENT: "confirmed, but no live shipment",
    Anomaly.CONFIRMED_SHIPPED_MORE_THAN_ONCE: "confirmed, with more than one live shipment",
    Anomaly.CONFIRMED_NOT_NOTIFIED: "confirmed, but the customer was never notified",
    Anomaly.CONFIRMED_NOTIFIED_MORE_THAN_ONCE: "confirmed, and the customer notified twice or more",
    Anomaly.NOT_CONFIRMED_BUT_CHARGED: "rejected or failed, with a captured payment (not refunded)",
    Anomaly.NOT_CONFIRMED_BUT_HOLDING_STOCK: "rejected or failed, with a live reservation",
    Anomaly.NOT_CONFIRMED_BUT_SHIPPED: "rejected or failed, with a live shipment",
    Anomaly.NOT_CONFIRMED_BUT_NOTIFIED: "rejected or failed, and the customer told it is confirmed",
    Anomaly.STOCK_TAKEN_TWICE: "confirmed or pending, with more than one live reservation",
    Anomaly.STUCK_PENDING: "pending for longer than --pending-after seconds",
    Anomaly.UNKNOWN_STATUS: "an order status the audit does not know",
    Anomaly.STOCK_NOT_CONSERVED: (
        "a SKU whose stock taken (seeded minus current) differs from the stock held by orders"
    ),
    Anomaly.ORPHAN_PAYMENT: "a payment for an order the order service does not have",
    Anomaly.ORPHAN_RESERVATION: "a reservation for an order the order service does not have",
    Anomaly.ORPHAN_SHIPMENT: "a shipment for an order the order service does not have",
    Anomaly.ORPHAN_NOTIFICATION: "a notification for an order the order service does not have",
    Anomaly.DEAD_LETTERS: "an event a consumer gave up on (kept in a dead_letters table)",
}
