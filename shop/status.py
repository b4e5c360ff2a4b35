"""Order statuses, the steps an order goes through, and which status changes are legal."""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    # PENDING exists only where the flow is asynchronous (the event-driven saga);
    # the synchronous variants answer once the order is final.
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    REJECTED = "REJECTED"
    FAILED = "FAILED"

    @property
    def is_final(self) -> bool:
        return self is not OrderStatus.PENDING


class Step(StrEnum):
    """The steps of the flow, as they appear in an order's timeline."""

    VALIDATED = "validated"
    STOCK_RESERVED = "stock_reserved"
    STOCK_REJECTED = "stock_rejected"
    STOCK_RELEASED = "stock_released"
    PAYMENT_CHARGED = "payment_charged"
    PAYMENT_DECLINED = "payment_declined"
    PAYMENT_FAILED = "payment_failed"
    PAYMENT_REFUNDED = "payment_refunded"
    SHIPMENT_CREATED = "shipment_created"
    SHIPMENT_CANCELLED = "shipment_cancelled"
    CUSTOMER_NOTIFIED = "customer_notified"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    FAILED = "failed"
    # Distributed variant: what the order service saw go wrong.
    NOTIFICATION_FAILED = "notification_failed"
    COMPENSATION_FAILED = "compensation_failed"
    SERVICE_UNAVAILABLE = "service_unavailable"


_ALLOWED: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset(
        {OrderStatus.CONFIRMED, OrderStatus.REJECTED, OrderStatus.FAILED}
    ),
    OrderStatus.CONFIRMED: frozenset(),
    OrderStatus.REJECTED: frozenset(),
    OrderStatus.FAILED: frozenset(),
}


class IllegalTransition(ValueError):
    pass


def check_transition(current: OrderStatus, new: OrderStatus) -> None:
    """Final statuses never change: a late or duplicated step must not rewrite history."""
    if new not in _ALLOWED[current]:
        raise IllegalTransition(f"an order cannot go from {current} to {new}")
