"""The request shapes the distributed services send each other, and their validation.

Services share these contracts, never tables or ORM models. A malformed
internal request is refused with the same kind of clear message as a
public one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from shop.errors import InvalidRequest
from shop.order_request import RequestedLine, parse_lines, parse_order_id


@dataclass(frozen=True)
class ReservationRequest:
    order_id: uuid.UUID
    lines: tuple[RequestedLine, ...]


@dataclass(frozen=True)
class ChargeRequest:
    order_id: uuid.UUID
    amount_cents: int
    payment_token: str


@dataclass(frozen=True)
class ShipmentRequest:
    order_id: uuid.UUID
    lines: tuple[RequestedLine, ...]


@dataclass(frozen=True)
class NotificationRequest:
    order_id: uuid.UUID
    customer_id: str
    message: str


def _object(raw: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise InvalidRequest(f"the body must be a JSON object with {', '.join(fields)}")
    missing = [name for name in fields if name not in raw]
    if missing:
        raise InvalidRequest(f"{', '.join(missing)} required", field=missing[0])
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        raise InvalidRequest(f"unknown field(s) {', '.join(unknown)}", field=unknown[0])
    return raw


def _order_id(raw: dict[str, Any]) -> uuid.UUID:
    if not isinstance(raw["order_id"], str):
        raise InvalidRequest("order_id must be a UUID string", field="order_id")
    return parse_order_id(raw["order_id"])


def _text(raw: dict[str, Any], name: str, limit: int) -> str:
    value = raw[name]
    if not isinstance(value, str) or not 0 < len(value) <= limit:
        raise InvalidRequest(f"{name} must be a string of 1 to {limit} characters", field=name)
    return value


def parse_reservation_request(raw: Any) -> ReservationRequest:
    body = _object(raw, ("order_id", "lines"))
    return ReservationRequest(_order_id(body), parse_lines(body["lines"]))


def parse_charge_request(raw: Any) -> ChargeRequest:
    body = _object(raw, ("order_id", "amount_cents", "payment_token"))
    amount = body["amount_cents"]
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount < 10**9:
        raise InvalidRequest("amount_cents must be a positive whole number", field="amount_cents")
    return ChargeRequest(_order_id(body), amount, _text(body, "payment_token", 64))


def parse_shipment_request(raw: Any) -> ShipmentRequest:
    body = _object(raw, ("order_id", "lines"))
    return ShipmentRequest(_order_id(body), parse_lines(body["lines"]))


def parse_notification_request(raw: Any) -> NotificationRequest:
    body = _object(raw, ("order_id", "customer_id", "message"))
    return NotificationRequest(
        _order_id(body), _text(body, "customer_id", 64), _text(body, "message", 500)
    )


def lines_json(lines: tuple[RequestedLine, ...]) -> list[dict[str, Any]]:
    return [{"sku": line.sku, "quantity": line.quantity} for line in lines]
