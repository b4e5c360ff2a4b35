"""The transactional outbox: an event is stored in the caller's own transaction, never sent here.

Sending to Kafka inside a database transaction cannot be atomic with it: the commit may fail
after the send, or the process may die between them. So a service only inserts the event into
its `outbox` table on the connection that holds its state change; both commit or neither does.
The relay (relay.py) publishes committed rows afterwards.

Each append also notifies the relay's channel. PostgreSQL delivers a notification only when the
transaction commits, and not at all when it rolls back, so the relay wakes exactly when there is
something committed to publish; notifications of one transaction on one channel arrive once.
"""

from __future__ import annotations

from psycopg import AsyncConnection, Connection
from psycopg.rows import tuple_row
from sqlalchemy import Text, bindparam, func, insert, literal_column, select

from service_kit.events.envelope import Event
from service_kit.events.tables import STATEMENT_TABLES, EventTables, add_event_tables
from service_kit.sql import compile_sql

__all__ = ["DEFAULT_CHANNEL", "EventTables", "add_event_tables", "append", "append_sync"]

# Notification channels are per database, and every service has its own: one name serves all.
DEFAULT_CHANNEL = "outbox_events"

_outbox = STATEMENT_TABLES.outbox
_inserted = (
    insert(_outbox)
    .values(
        event_id=bindparam("event_id"),
        topic=bindparam("topic"),
        key=bindparam("key"),
        payload=bindparam("payload"),
    )
    .returning(_outbox.c.id)
    .cte("appended")
)
# Insert and notify in one round trip. (NOTIFY takes no parameters; pg_notify does.)
_APPEND = compile_sql(
    select(
        _inserted.c.id, func.pg_notify(bindparam("channel", type_=Text), literal_column("''"))
    ).select_from(_inserted)
)


async def append(
    connection: AsyncConnection, topic: str, event: Event, channel: str = DEFAULT_CHANNEL
) -> int:
    """Adds `event` to the outbox in the caller's open transaction; returns its outbox id.
    Committing or rolling back stays the caller's business."""
    # An explicit row factory: the caller's connection may make dicts or tuples.
    async with connection.cursor(row_factory=tuple_row) as cursor:
        await cursor.execute(_APPEND, _parameters(topic, event, channel))
        row = await cursor.fetchone()
    assert row is not None
    return row[0]


def append_sync(
    connection: Connection, topic: str, event: Event, channel: str = DEFAULT_CHANNEL
) -> int:
    """append() for synchronous code, such as a consumer's handler."""
    with connection.cursor(row_factory=tuple_row) as cursor:
        row = cursor.execute(_APPEND, _parameters(topic, event, channel)).fetchone()
    assert row is not None
    return row[0]


def _parameters(topic: str, event: Event, channel: str) -> dict[str, object]:
    return {
        "event_id": event.event_id,
        "topic": topic,
        "key": str(event.order_id),
        "payload": event.to_bytes(),
        "channel": channel,
    }
