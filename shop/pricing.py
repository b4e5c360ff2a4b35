"""Pricing: from requested lines to priced lines and an order total, in integer cents."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from typing import Any

from shop.catalog import PRODUCTS_BY_SKU
from shop.order_request import RequestedLine

CURRENCY = "EUR"


@dataclass(frozen=True)
class PricedLine:
    sku: str
    name: str
    quantity: int
    unit_price_cents: int

    @property
    def line_total_cents(self) -> int:
        return self.unit_price_cents * self.quantity


def line_records(order_id: uuid.UUID, lines: tuple[PricedLine, ...]) -> list[dict[str, Any]]:
    """Each line with its order's id: what every variant stores per order line."""
    return [{"order_id": order_id, **asdict(line)} for line in lines]


@dataclass(frozen=True)
class PricedOrder:
    lines: tuple[PricedLine, ...]

    @property
    def total_cents(self) -> int:
        return sum(line.line_total_cents for line in self.lines)


def price(lines: tuple[RequestedLine, ...]) -> PricedOrder:
    """Prices come from the catalog, never from the request."""
    priced = []
    for line in lines:
        product = PRODUCTS_BY_SKU[line.sku]
        priced.append(PricedLine(product.sku, product.name, line.quantity, product.price_cents))
    return PricedOrder(tuple(priced))
