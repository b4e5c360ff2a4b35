"""Emitting the next event of the saga from a handler, inside the handler's transaction."""

from __future__ import annotations

from typing import Any

from psycopg import Connection

from service_kit.events.envelope import Event, caused_by
from service_kit.events.outbox import append_sync
from shop.saga_events import TOPIC_OF


def emit(
    connection: Connection, cause: Event, event_type: str, producer: str, data: dict[str, Any]
) -> Event:
    """Write the reaction to `cause` into the outbox (same order, same trace, new span).

    Written on the handler's connection, so it is committed together with the
    state change and the processed-event record, or not at all.
    """
    event = caused_by(cause, event_type, producer, data)
    append_sync(connection, TOPIC_OF[event_type], event)
    return event
