"""The event tables a service adds to its schema, and the saga's topics."""

from __future__ import annotations

from sqlalchemy import MetaData

from service_kit.events.tables import add_event_tables
from service_kit.events.topics import (
    INVENTORY,
    NOTIFICATIONS,
    ORDERS,
    PAYMENTS,
    SAGA_TOPICS,
    SHIPMENTS,
)


def test_a_service_adds_the_outbox_processed_events_and_dead_letters_to_its_own_metadata() -> None:
    metadata = MetaData()

    tables = add_event_tables(metadata)

    assert set(metadata.tables) == {"outbox", "processed_events", "dead_letters"}
    assert tables.outbox is metadata.tables["outbox"]
    assert [column.name for column in tables.outbox.columns] == [
        "id",
        "event_id",
        "topic",
        "key",
        "payload",
        "created_at",
        "published_at",
    ]
    assert [column.name for column in tables.processed_events.primary_key] == ["event_id"]


def test_the_outbox_has_a_partial_index_on_the_rows_still_to_publish() -> None:
    (index,) = add_event_tables(MetaData()).outbox.indexes

    assert [column.name for column in index.columns] == ["id"]
    assert str(index.dialect_options["postgresql"]["where"]) == "outbox.published_at IS NULL"


def test_the_saga_has_five_topics_of_four_partitions_each() -> None:
    assert dict(SAGA_TOPICS) == {
        ORDERS: 4,
        INVENTORY: 4,
        PAYMENTS: 4,
        SHIPMENTS: 4,
        NOTIFICATIONS: 4,
    }
    assert set(SAGA_TOPICS) == {"orders", "inventory", "payments", "shipments", "notifications"}
