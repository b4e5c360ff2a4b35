"""What an audit reads from a variant's databases, in one shape for all three variants.

The readers turn each variant's own tables into these records; the checks see nothing
else, so they can be tested on rows made in memory.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

SkuQuantities = Mapping[str, int]


@dataclass(frozen=True)
class Order:
    id: uuid.UUID
    status: str
    total_cents: int
    created_at: datetime
    lines: SkuQuantities


@dataclass(frozen=True)
class Payment:
    order_id: uuid.UUID
    status: str  # CAPTURED | DECLINED | REFUNDED | FAILED, depending on the variant
    amount_cents: int

    @property
    def captured(self) -> bool:
        # REFUNDED gave the money back; DECLINED and FAILED never took any.
        return self.status == "CAPTURED"


@dataclass(frozen=True)
class Reservation:
    order_id: uuid.UUID
    status: str  # RESERVED | RELEASED
    lines: SkuQuantities

    @property
    def live(self) -> bool:
        return self.status == "RESERVED"


@dataclass(frozen=True)
class Shipment:
    order_id: uuid.UUID
    status: str  # CREATED | CANCELLED

    @property
    def live(self) -> bool:
        return self.status != "CANCELLED"


@dataclass(frozen=True)
class Notification:
    order_id: uuid.UUID


@dataclass(frozen=True)
class VariantFacts:
    variant: str
    orders: list[Order]
    payments: list[Payment]
    # None where stock is taken in the order's own transaction, with no reservation record
    # (the monolith): then a confirmed order's lines are the stock it holds.
    reservations: list[Reservation] | None
    shipments: list[Shipment]
    notifications: list[Notification]
    stock: dict[str, int]  # SKU -> current stock, from the unit that owns stock
    # Database -> the message key (the order id) of each dead letter there; None where the
    # variant has no event consumers.
    dead_letters: dict[str, list[str]] | None = None
    notes: list[str] = field(default_factory=list)


def quantities_by(rows: Iterable[Mapping[str, Any]], key: str) -> dict[Any, dict[str, int]]:
    """Rows of (key, sku, quantity) -> {key: {sku: quantity}}: order or reservation lines."""
    grouped: dict[Any, dict[str, int]] = {}
    for row in rows:
        lines = grouped.setdefault(row[key], {})
        lines[row["sku"]] = lines.get(row["sku"], 0) + row["quantity"]
    return grouped
