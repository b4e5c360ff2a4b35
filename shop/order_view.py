"""The order as every variant's API shows it: one contract, three implementations.

Plain data and a to_json() so that one client, one test suite and one load
test fit all three variants.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shop.pricing import CURRENCY, PricedLine
from shop.status import OrderStatus


@dataclass(frozen=True)
class TimelineEntry:
    step: str
    service: str
    at: datetime
    detail: str | None = None


@dataclass(frozen=True)
class PaymentView:
    status: str
    amount_cents: int
    provider_reference: str | None


@dataclass(frozen=True)
class ShipmentView:
    id: uuid.UUID
    status: str


@dataclass(frozen=True)
class OrderView:
    id: uuid.UUID
    customer_id: str
    status: OrderStatus
    lines: tuple[PricedLine, ...]
    created_at: datetime
    updated_at: datetime
    reason_code: str | None = None
    reason: str | None = None
    payment: PaymentView | None = None
    shipment: ShipmentView | None = None
    timeline: tuple[TimelineEntry, ...] = field(default_factory=tuple)

    @property
    def total_cents(self) -> int:
        return sum(line.line_total_cents for line in self.lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "status": self.status.value,
            "customer_id": self.customer_id,
            "lines": [
                {
                    "sku": line.sku,
                    "name": line.name,
                    "quantity": line.quantity,
                    "unit_price_cents": line.unit_price_cents,
                    "line_total_cents": line.line_total_cents,
                }
                for line in self.lines
            ],
            "total_cents": self.total_cents,
            "currency": CURRENCY,
            "reason_code": self.reason_code,
            "reason": self.reason,
            "payment": None
            if self.payment is None
            else {
                "status": self.payment.status,
                "amount_cents": self.payment.amount_cents,
                "provider_reference": self.payment.provider_reference,
            },
            "shipment": None
            if self.shipment is None
            else {"id": str(self.shipment.id), "status": self.shipment.status},
            "timeline": [
                {
                    "step": entry.step,
                    "service": entry.service,
                    "at": entry.at.isoformat(),
                    "detail": entry.detail,
                }
                for entry in self.timeline
            ],
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }
