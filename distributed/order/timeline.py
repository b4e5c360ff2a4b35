"""An order's view, built from every service's own records of it.

There is no single place that knows what happened to an order: the order
service asks each service for its records and merges them by time. When a
service does not answer, the view says so instead of guessing.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from distributed.order.peers import PeerError, Peers
from shop.order_view import OrderView, PaymentView, ShipmentView, TimelineEntry
from shop.pricing import PricedLine
from shop.status import OrderStatus, Step

_RECORDS = (
    ("inventory", "/reservations"),
    ("payment", "/payments"),
    ("fulfillment", "/shipments"),
    ("notification", "/notifications"),
)


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def reservation_entries(reservation: dict[str, Any]) -> list[TimelineEntry]:
    entries = [TimelineEntry(Step.STOCK_RESERVED, "inventory", _at(reservation["created_at"]))]
    if reservation.get("released_at"):
        entries.append(
            TimelineEntry(Step.STOCK_RELEASED, "inventory", _at(reservation["released_at"]))
        )
    return entries


def payment_entries(payment: dict[str, Any]) -> list[TimelineEntry]:
    created = _at(payment["created_at"])
    if payment["status"] == "DECLINED":
        return [TimelineEntry(Step.PAYMENT_DECLINED, "payment", created, payment["reason"])]
    entries = [
        TimelineEntry(Step.PAYMENT_CHARGED, "payment", created, payment["provider_reference"])
    ]
    if payment.get("refunded_at"):
        entries.append(TimelineEntry(Step.PAYMENT_REFUNDED, "payment", _at(payment["refunded_at"])))
    return entries


def shipment_entries(shipment: dict[str, Any]) -> list[TimelineEntry]:
    entries = [TimelineEntry(Step.SHIPMENT_CREATED, "fulfillment", _at(shipment["created_at"]))]
    if shipment.get("cancelled_at"):
        entries.append(
            TimelineEntry(Step.SHIPMENT_CANCELLED, "fulfillment", _at(shipment["cancelled_at"]))
        )
    return entries


def notification_entries(notification: dict[str, Any]) -> list[TimelineEntry]:
    return [TimelineEntry(Step.CUSTOMER_NOTIFIED, "notification", _at(notification["created_at"]))]


_ENTRIES = {
    "inventory": reservation_entries,
    "payment": payment_entries,
    "fulfillment": shipment_entries,
    "notification": notification_entries,
}


def build_view(
    order: dict[str, Any],
    lines: tuple[PricedLine, ...],
    own_steps: list[TimelineEntry],
    records: dict[str, list[dict[str, Any]]],
) -> OrderView:
    entries = list(own_steps)
    for service, rows in records.items():
        for row in rows:
            entries.extend(_ENTRIES[service](row))
    entries.sort(key=lambda entry: entry.at)
    payment = _chosen(records.get("payment", []), order.get("payment_id"), "CAPTURED")
    shipment = _chosen(records.get("fulfillment", []), order.get("shipment_id"), "CREATED")
    return OrderView(
        id=order["id"],
        customer_id=order["customer_id"],
        status=OrderStatus(order["status"]),
        lines=lines,
        created_at=order["created_at"],
        updated_at=order["updated_at"],
        reason_code=order["reason_code"],
        reason=order["reason"],
        payment=None
        if payment is None
        else PaymentView(payment["status"], payment["amount_cents"], payment["provider_reference"]),
        shipment=None
        if shipment is None
        else ShipmentView(uuid.UUID(shipment["id"]), shipment["status"]),
        timeline=tuple(entries),
    )


def _chosen(
    rows: list[dict[str, Any]], recorded_id: Any, live_status: str
) -> dict[str, Any] | None:
    """The record the order service kept the id of; else the latest one still in effect."""
    for row in rows:
        if recorded_id is not None and row["id"] == str(recorded_id):
            return row
    live = [row for row in rows if row["status"] in (live_status, "REFUNDED", "CANCELLED")]
    return live[-1] if live else None


async def gather_records(
    peers: Peers, order_id: uuid.UUID
) -> tuple[dict[str, list[dict[str, Any]]], list[TimelineEntry]]:
    """Every service's records of the order, asked in parallel; failures become entries."""
    results = await asyncio.gather(
        *(peers.records(service, path, order_id) for service, path in _RECORDS),
        return_exceptions=True,
    )
    records: dict[str, list[dict[str, Any]]] = {}
    unavailable: list[TimelineEntry] = []
    for (service, _), result in zip(_RECORDS, results, strict=True):
        if isinstance(result, PeerError):
            unavailable.append(
                TimelineEntry(Step.SERVICE_UNAVAILABLE, service, datetime.now(UTC), str(result))
            )
        elif isinstance(result, BaseException):
            raise result
        else:
            records[service] = result
    return records, unavailable
