"""The payment service's own table; no other service reads it."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, MetaData, Table, Text, Uuid

metadata = MetaData()

# One row per charge request, as most first versions have it: payments are keyed
# by their own id, and an order may have several (a retry after a decline, say).
payments = Table(
    "payments",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("order_id", Uuid, nullable=False, index=True),
    Column("status", Text, nullable=False),  # CAPTURED | DECLINED | REFUNDED
    Column("amount_cents", Integer, nullable=False),
    Column("provider_reference", Text),
    Column("reason", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("refunded_at", DateTime(timezone=True)),
)
