"""The event-driven fulfillment service's own table, plus its outbox and processed events."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, MetaData, Table, Text, Uuid

from service_kit.events.tables import add_event_tables

metadata = MetaData()
events = add_event_tables(metadata)

shipments = Table(
    "shipments",
    metadata,
    Column("order_id", Uuid, primary_key=True),  # one shipment per order
    Column("id", Uuid, nullable=False, unique=True),
    Column("status", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
