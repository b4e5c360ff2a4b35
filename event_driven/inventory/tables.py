"""The event-driven inventory service's own tables, plus its outbox and processed events."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    Table,
    Text,
    Uuid,
)

from service_kit.events.tables import add_event_tables

metadata = MetaData()
events = add_event_tables(metadata)

products = Table(
    "products",
    metadata,
    Column("sku", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("price_cents", Integer, CheckConstraint("price_cents > 0"), nullable=False),
    Column("stock", Integer, CheckConstraint("stock >= 0"), nullable=False),
)

# One reservation per order: the order id is the natural key, a second layer of
# protection behind the idempotent consumer.
reservations = Table(
    "reservations",
    metadata,
    Column("order_id", Uuid, primary_key=True),
    Column("status", Text, nullable=False),  # RESERVED | RELEASED
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("released_at", DateTime(timezone=True)),
)

reservation_lines = Table(
    "reservation_lines",
    metadata,
    Column("order_id", Uuid, ForeignKey("reservations.order_id"), primary_key=True),
    Column("sku", Text, ForeignKey("products.sku"), primary_key=True),
    Column("quantity", Integer, CheckConstraint("quantity > 0"), nullable=False),
)
