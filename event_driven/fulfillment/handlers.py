"""Creating the shipment once the payment succeeded (simulated: nothing leaves the building)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from psycopg import Connection
from sqlalchemy.dialects.postgresql import insert

from event_driven.fulfillment.config import UNIT
from event_driven.fulfillment.tables import shipments
from event_driven.reactions import emit
from service_kit.events.envelope import Event
from service_kit.sql import compile_sql
from shop.saga_events import PAYMENT_SUCCEEDED, SHIPMENT_CREATED

_ADD = compile_sql(insert(shipments).on_conflict_do_nothing().returning(shipments.c.id))


def handle(connection: Connection, event: Event) -> None:
    if event.type != PAYMENT_SUCCEEDED:
        return
    shipment_id = uuid.uuid4()
    row = {
        "order_id": event.order_id,
        "id": shipment_id,
        "status": "CREATED",
        "created_at": datetime.now(UTC),
    }
    if connection.execute(_ADD, row).fetchone() is None:
        return  # this order already has its shipment
    emit(
        connection,
        event,
        SHIPMENT_CREATED,
        UNIT,
        {
            "shipment_id": str(shipment_id),
            "customer_id": event.data["customer_id"],
            "amount_cents": event.data["amount_cents"],
            "provider_reference": event.data["provider_reference"],
        },
    )
