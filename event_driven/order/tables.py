"""The event-driven order service's own tables, plus its outbox and processed events."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    MetaData,
    Table,
    Text,
    Uuid,
)

from service_kit.events.tables import add_event_tables

metadata = MetaData()
events = add_event_tables(metadata)

orders = Table(
    "orders",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("customer_id", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("total_cents", Integer, nullable=False),
    Column("reason_code", Text),
    Column("reason", Text),
    Column("idempotency_key", Text, unique=True),
    Column("request_fingerprint", Text),
    # What the other services reported, as their events arrived.
    Column("payment_amount_cents", Integer),
    Column("provider_reference", Text),
    Column("shipment_id", Uuid),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("order_id", Uuid, ForeignKey("orders.id"), primary_key=True),
    Column("sku", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("quantity", Integer, CheckConstraint("quantity > 0"), nullable=False),
    Column("unit_price_cents", Integer, nullable=False),
)

# Every step of the saga as the order service learned it: when it happened (the event's
# occurred_at) and in which service.
order_timeline = Table(
    "order_timeline",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("order_id", Uuid, ForeignKey("orders.id"), nullable=False, index=True),
    Column("step", Text, nullable=False),
    Column("service", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("detail", Text),
)

# The catalog as the order service sees it: seeded like inventory's, then kept up to date
# from inventory's events. Eventually consistent, and never ahead of a final order.
products = Table(
    "products",
    metadata,
    Column("sku", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("price_cents", Integer, nullable=False),
    Column("stock", Integer, nullable=False),
)
