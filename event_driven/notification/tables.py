"""The event-driven notification service's own table, plus its outbox and processed events."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, MetaData, Table, Text, Uuid

from service_kit.events.tables import add_event_tables

metadata = MetaData()
events = add_event_tables(metadata)

notifications = Table(
    "notifications",
    metadata,
    Column("order_id", Uuid, primary_key=True),  # one confirmation message per order
    Column("customer_id", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("message", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
