"""Dead letters: a message the consumer could not deal with, kept with the reason, then skipped.

A consumer must not stop at one bad message: every later event on its partition, for every
order there, would wait behind it. So a message that is not a readable event, or whose handler
kept failing, is written to `dead_letters` (its raw bytes, where it came from, the error) and
the consumer moves on. A person reads the table; nothing retries from it on its own.
"""

from __future__ import annotations

import uuid
from typing import Protocol

from psycopg import Connection
from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import insert

from service_kit.events.tables import STATEMENT_TABLES
from service_kit.sql import compile_sql

_dead_letters = STATEMENT_TABLES.dead_letters
_RECORD = compile_sql(
    insert(_dead_letters)
    .values(
        event_id=bindparam("event_id"),
        topic=bindparam("topic"),
        kafka_partition=bindparam("kafka_partition"),
        kafka_offset=bindparam("kafka_offset"),
        key=bindparam("key"),
        payload=bindparam("payload"),
        error=bindparam("error"),
        attempts=bindparam("attempts"),
    )
    # The same message read again (its offset was not committed before a crash): kept once.
    .on_conflict_do_nothing(index_elements=["topic", "kafka_partition", "kafka_offset"])
)
# Long enough for a traceback's last lines; a payload-sized message would bloat the table.
MAX_ERROR_LENGTH = 4000


class ReceivedMessage(Protocol):
    """What a kafka-python ConsumerRecord carries and a dead letter keeps."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


def record_dead_letter(
    connection: Connection,
    message: ReceivedMessage,
    error: str,
    attempts: int,
    event_id: uuid.UUID | None = None,
) -> None:
    """In the caller's transaction. `attempts` counts handler runs: 0 for an unreadable message."""
    connection.execute(
        _RECORD,
        {
            "event_id": event_id,
            "topic": message.topic,
            "kafka_partition": message.partition,
            "kafka_offset": message.offset,
            "key": message.key,
            "payload": message.value,
            "error": error[:MAX_ERROR_LENGTH],
            "attempts": attempts,
        },
    )
