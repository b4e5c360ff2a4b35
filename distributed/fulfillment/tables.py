"""The fulfillment service's own tables; no other service reads them."""

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

shipments = Table(
    "shipments",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("order_id", Uuid, nullable=False, index=True),
    Column("status", Text, nullable=False),  # CREATED | CANCELLED
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("cancelled_at", DateTime(timezone=True)),
)

shipment_lines = Table(
    "shipment_lines",
    metadata,
    Column("shipment_id", Uuid, ForeignKey("shipments.id"), primary_key=True),
    Column("sku", Text, primary_key=True),
    Column("quantity", Integer, CheckConstraint("quantity > 0"), nullable=False),
)
