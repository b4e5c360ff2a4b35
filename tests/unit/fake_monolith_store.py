"""An in-memory stand-in for the monolith's unit of work, for handler unit tests only.

Transactions are modelled by working on a copy of the store and swapping it in
on commit, so "nothing is kept without commit" holds here as in PostgreSQL.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace

from monolith.repository import ProductRow, StoredOrder
from shop.catalog import CATALOG
from shop.order_view import OrderView
from shop.status import OrderStatus


@dataclass
class Store:
    stock: dict[str, int] = field(default_factory=lambda: {p.sku: p.initial_stock for p in CATALOG})
    orders: dict = field(default_factory=dict)
    keys: dict = field(default_factory=dict)
    payments: dict = field(default_factory=dict)
    shipments: dict = field(default_factory=dict)
    notifications: list = field(default_factory=list)


class FakeOrders:
    def __init__(self, store: Store):
        self.store = store

    async def claim(self, order_id, customer_id, total_cents, key, fingerprint, now):
        if key is not None and key in self.store.keys:
            return False
        if key is not None:
            self.store.keys[key] = (order_id, fingerprint)
        self.store.orders[order_id] = OrderView(
            order_id, customer_id, OrderStatus.PENDING, (), now, now
        )
        return True

    async def add_lines(self, order_id, lines):
        self.store.orders[order_id] = replace(self.store.orders[order_id], lines=lines)

    async def lock_stock(self, skus):
        return {sku: self.store.stock[sku] for sku in skus}

    async def take_stock(self, lines):
        for line in lines:
            assert self.store.stock[line.sku] >= line.quantity
            self.store.stock[line.sku] -= line.quantity

    async def add_payment(self, order_id, payment, now):
        self.store.payments[order_id] = payment

    async def add_shipment(self, order_id, shipment, now):
        self.store.shipments[order_id] = shipment

    async def add_notification(self, order_id, channel, message, now):
        self.store.notifications.append((order_id, message))

    async def finish(self, order_id, status, timeline, now, reason_code=None, reason=None):
        self.store.orders[order_id] = replace(
            self.store.orders[order_id],
            status=status,
            timeline=tuple(timeline),
            updated_at=now,
            reason_code=reason_code,
            reason=reason,
            payment=self.store.payments.get(order_id),
            shipment=self.store.shipments.get(order_id),
        )

    async def find_by_idempotency_key(self, key):
        if key not in self.store.keys:
            return None
        order_id, fingerprint = self.store.keys[key]
        return StoredOrder(self.store.orders[order_id], fingerprint)

    async def get(self, order_id):
        return self.store.orders.get(order_id)

    async def list_products(self):
        return [ProductRow(p.sku, p.name, p.price_cents, self.store.stock[p.sku]) for p in CATALOG]


class FakeUnitOfWork:
    def __init__(self, committed: Store):
        self.committed = committed

    async def __aenter__(self):
        self.working = copy.deepcopy(self.committed)
        self.orders = FakeOrders(self.working)
        return self

    async def __aexit__(self, *exc_info):
        self.orders = None

    async def commit(self):
        self.committed.__dict__.update(self.working.__dict__)

    async def rollback(self):
        self.working = copy.deepcopy(self.committed)
        self.orders = FakeOrders(self.working)
