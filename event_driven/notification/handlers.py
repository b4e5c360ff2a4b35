"""Recording the customer's confirmation once the shipment exists (simulated: never sent)."""

from __future__ import annotations

from datetime import UTC, datetime

from psycopg import Connection
from sqlalchemy.dialects.postgresql import insert

from event_driven.notification.config import UNIT
from event_driven.notification.tables import notifications
from event_driven.reactions import emit
from service_kit.events.envelope import Event
from service_kit.sql import compile_sql
from shop.saga_events import CUSTOMER_NOTIFIED, SHIPMENT_CREATED

_ADD = compile_sql(
    insert(notifications).on_conflict_do_nothing().returning(notifications.c.order_id)
)


def handle(connection: Connection, event: Event) -> None:
    if event.type != SHIPMENT_CREATED:
        return
    row = {
        "order_id": event.order_id,
        "customer_id": event.data["customer_id"],
        "channel": "email",
        "message": f"Order {event.order_id} confirmed and shipped",
        "created_at": datetime.now(UTC),
    }
    if connection.execute(_ADD, row).fetchone() is None:
        return  # already notified
    emit(
        connection,
        event,
        CUSTOMER_NOTIFIED,
        UNIT,
        {
            "shipment_id": event.data["shipment_id"],
            "amount_cents": event.data["amount_cents"],
            "provider_reference": event.data["provider_reference"],
        },
    )
