"""The event-driven payment service's own table, plus its outbox and processed events."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, MetaData, Table, Text, Uuid

from service_kit.events.tables import add_event_tables

metadata = MetaData()
events = add_event_tables(metadata)

# One payment per order: the order id is the natural key and the processor's idempotency key.
payments = Table(
    "payments",
    metadata,
    Column("order_id", Uuid, primary_key=True),
    Column("status", Text, nullable=False),  # CAPTURED | DECLINED | FAILED
    Column("amount_cents", Integer, nullable=False),
    Column("provider_reference", Text),
    Column("reason", Text),
    Column("attempts", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
