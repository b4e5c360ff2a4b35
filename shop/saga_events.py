"""The event-driven variant's saga: event types, which topic carries each, and their data.

Events carry the state the next step needs (event-carried state transfer), so
no service has to ask another: OrderPlaced carries the lines, total and card
token; each later event passes on what the steps after it need.

    OrderPlaced -> StockReserved | StockRejected
    StockReserved -> PaymentSucceeded | PaymentFailed
    PaymentFailed -> StockReleased                      (compensation)
    PaymentSucceeded -> ShipmentCreated -> CustomerNotified
"""

from __future__ import annotations

from typing import Any

from shop.order_request import RequestedLine, parse_lines

ORDER_PLACED = "OrderPlaced"
STOCK_RESERVED = "StockReserved"
STOCK_REJECTED = "StockRejected"
STOCK_RELEASED = "StockReleased"
PAYMENT_SUCCEEDED = "PaymentSucceeded"
PAYMENT_FAILED = "PaymentFailed"
SHIPMENT_CREATED = "ShipmentCreated"
CUSTOMER_NOTIFIED = "CustomerNotified"

# Which topic each event type is published on (the producing service's topic).
TOPIC_OF = {
    ORDER_PLACED: "orders",
    STOCK_RESERVED: "inventory",
    STOCK_REJECTED: "inventory",
    STOCK_RELEASED: "inventory",
    PAYMENT_SUCCEEDED: "payments",
    PAYMENT_FAILED: "payments",
    SHIPMENT_CREATED: "shipments",
    CUSTOMER_NOTIFIED: "notifications",
}


def lines_data(lines: tuple[RequestedLine, ...]) -> list[dict[str, Any]]:
    return [{"sku": line.sku, "quantity": line.quantity} for line in lines]


def lines_of(data: dict[str, Any]) -> tuple[RequestedLine, ...]:
    """The lines an event carries, validated as strictly as a request's."""
    return parse_lines(data["lines"])
