"""The three tables reliable messaging needs in every service's own database.

- outbox: events written in the service's transaction, waiting for the relay to publish them;
- processed_events: the ids of events this service has dealt with, so a redelivery is skipped;
- dead_letters: messages it could not deal with (malformed, or a handler that kept failing),
  kept with the error for a person to look at, so that one bad message does not stop the rest.

A service adds them to its own MetaData (add_event_tables) and creates them with its other
tables. The statements in this package are compiled once against a private copy of the same
definitions: compiled SQL depends only on names and types, not on which MetaData holds them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)


@dataclass(frozen=True)
class EventTables:
    outbox: Table
    processed_events: Table
    dead_letters: Table


def add_event_tables(metadata: MetaData) -> EventTables:
    outbox = Table(
        "outbox",
        metadata,
        # The identity gives the publishing order: a key's events go out in the order written.
        Column("id", BigInteger, Identity(always=True), primary_key=True),
        Column("event_id", Uuid, nullable=False, unique=True),
        Column("topic", Text, nullable=False),
        Column("key", Text, nullable=False),  # the order id: the Kafka message key
        # The exact bytes the relay sends: no re-encoding between the service and the broker.
        Column("payload", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),  # set once the broker acknowledged
    )
    # The relay reads only unpublished rows, in id order; published ones pile up beside them.
    Index("outbox_unpublished", outbox.c.id, postgresql_where=outbox.c.published_at.is_(None))
    processed_events = Table(
        "processed_events",
        metadata,
        Column("event_id", Uuid, primary_key=True),
        Column("event_type", Text, nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    dead_letters = Table(
        "dead_letters",
        metadata,
        Column("id", BigInteger, Identity(always=True), primary_key=True),
        Column("event_id", Uuid),  # null when the message was not even a readable event
        Column("topic", Text, nullable=False),
        Column("kafka_partition", Integer, nullable=False),
        Column("kafka_offset", BigInteger, nullable=False),
        Column("key", LargeBinary),
        Column("payload", LargeBinary),
        Column("error", Text, nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        # A message read again after a crash, before its offset was committed, is kept once.
        UniqueConstraint("topic", "kafka_partition", "kafka_offset"),
    )
    return EventTables(outbox, processed_events, dead_letters)


# For compiling this package's statements; never created.
STATEMENT_TABLES = add_event_tables(MetaData())
