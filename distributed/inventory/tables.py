"""The inventory service's own tables; no other service reads them."""

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

metadata = MetaData()

products = Table(
    "products",
    metadata,
    Column("sku", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("price_cents", Integer, CheckConstraint("price_cents > 0"), nullable=False),
    Column("stock", Integer, CheckConstraint("stock >= 0"), nullable=False),
)

# One row per reservation request. Nothing stops two reservations for one order:
# the service cannot tell a retry from a second order for the same id.
reservations = Table(
    "reservations",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("order_id", Uuid, nullable=False, index=True),
    Column("status", Text, nullable=False),  # RESERVED | RELEASED
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("released_at", DateTime(timezone=True)),
)

reservation_lines = Table(
    "reservation_lines",
    metadata,
    Column("reservation_id", Uuid, ForeignKey("reservations.id"), primary_key=True),
    Column("sku", Text, ForeignKey("products.sku"), primary_key=True),
    Column("quantity", Integer, CheckConstraint("quantity > 0"), nullable=False),
)
