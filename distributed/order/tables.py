"""The order service's own tables; no other service reads them."""

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

metadata = MetaData()

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
    # What the other services answered, kept to compensate and to show the order.
    Column("reservation_id", Uuid),
    Column("payment_id", Uuid),
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

# What the order service itself did or saw; the other steps live in the other services.
order_steps = Table(
    "order_steps",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("order_id", Uuid, ForeignKey("orders.id"), nullable=False, index=True),
    Column("step", Text, nullable=False),
    Column("detail", Text),
    Column("at", DateTime(timezone=True), nullable=False),
)
